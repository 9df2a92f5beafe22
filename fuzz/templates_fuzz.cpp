// Message templates (Mustache texts an operator edits) and rendering them with values that
// come from outside (client names, form answers). The input is one byte choosing the
// registered template, one choosing which values are empty, then the text. A text loads
// exactly when the check finds no problem; rendering escapes every value; a Telegram text
// that loads renders to markup Telegram's HTML parser accepts, whatever the values, and any
// escaped text parses back to itself.
#include <string>

#include "fuzz/fuzz_support.h"
#include "planfix_flow/telegram/html.h"
#include "planfix_flow/templates/template_set.h"

namespace {

namespace templates = planfix_flow::templates;
namespace telegram = planfix_flow::telegram;

// Markup, entities and quotes a value must never smuggle into the output unescaped.
constexpr char kValue[] = "<b x=\"1\">Ім'я & </b>";
constexpr std::string_view kUnescaped = "<b x=";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const auto& registry = templates::Registry();
  const templates::TemplateSpec& spec = registry[data[0] % registry.size()];
  const unsigned empty_mask = data[1];
  const std::string text(planfix_flow::fuzz::AsText(data + 2, size - 2));

  if (telegram::IsValidUtf8(text)) {
    const auto parsed = telegram::ParseHtml(telegram::EscapeHtml(text));
    FUZZ_CHECK(parsed && parsed->text == text && parsed->entities.empty());
  }

  const auto problems = templates::CheckTemplateText(text, &spec);
  (void)templates::CheckTemplateText(text, nullptr);
  const auto loaded = templates::TemplateSet::FromTexts({{"en", {{spec.name, text}}}}, "en");
  FUZZ_CHECK((loaded.set != nullptr) == problems.empty());
  FUZZ_CHECK((loaded.set != nullptr) == loaded.problems.empty());
  if (!loaded.set) return 0;

  templates::Values values;
  for (std::size_t i = 0; i < spec.variables.size(); ++i) {
    values[spec.variables[i]] = (empty_mask >> (i % 8)) & 1 ? "" : kValue;
  }
  const auto rendered = loaded.set->Render(spec.name, "en", values);
  FUZZ_CHECK(rendered.has_value());
  if (text.find(kUnescaped) == std::string::npos) {
    FUZZ_CHECK(rendered->find(kUnescaped) == std::string::npos);
  }
  if (spec.channel == templates::Channel::kTelegram) {
    FUZZ_CHECK(telegram::ParseHtml(*rendered).has_value());
  }
  if (!spec.variables.empty()) {
    templates::Values missing = values;
    missing.erase(spec.variables.back());
    const auto refused = loaded.set->Render(spec.name, "en", missing);
    FUZZ_CHECK(!refused && refused.error().code == planfix_flow::core::ErrorCode::kInvalidInput);
  }
  return 0;
}
