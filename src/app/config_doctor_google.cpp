// The config doctor's Google checks: the service account's token, the form, the brief code
// question and its entry id, and each [[brief.answers]] question against its Planfix field.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "config_doctor_support.h"
#include "planfix_flow/app/config_doctor.h"
#include "planfix_flow/planfix/custom_field_value.h"
#include "planfix_flow/workflow/brief.h"

namespace planfix_flow::app {

namespace {

using doctor::Ok;
using doctor::Problem;
using doctor::Quoted;
using google::QuestionKind;
using planfix::FieldType;

struct Found {
  const google::FormQuestion* question = nullptr;
  std::string title;  // the item's title, "<grid>: <row>" for a grid row
};

// Titles as the Apps Script and AnswersByTitle key answers: an item's title, or
// "<grid title>: <row title>" for a row of a grid.
std::vector<Found> Questions(const google::Form& form) {
  std::vector<Found> all;
  for (const auto& item : form.items) {
    for (const auto& question : item.questions) {
      const bool row = question.kind == QuestionKind::kGridRow;
      all.push_back({&question, row ? item.title + ": " + question.title : item.title});
    }
  }
  return all;
}

// The question kinds whose answers convert to a field of `type`; empty: any kind.
std::vector<QuestionKind> KindsFor(FieldType type) {
  switch (type) {
    case FieldType::kNumber:
      return {QuestionKind::kShortText, QuestionKind::kScale, QuestionKind::kRating,
              QuestionKind::kRadio, QuestionKind::kDropDown};
    case FieldType::kDate:
      return {QuestionKind::kDate};
    case FieldType::kTime:
      return {QuestionKind::kTime};
    case FieldType::kDateTime:
      return {QuestionKind::kDateTime};
    case FieldType::kCheckbox:
      return {QuestionKind::kRadio, QuestionKind::kDropDown, QuestionKind::kShortText,
              QuestionKind::kCheckbox};
    case FieldType::kList:
      return {QuestionKind::kRadio, QuestionKind::kDropDown};
    case FieldType::kSetOfValues:
      return {QuestionKind::kCheckbox, QuestionKind::kRadio, QuestionKind::kDropDown};
    default:
      return {};  // line and text take any answer as text; the others are checked by Planfix
  }
}

std::string KindList(const std::vector<QuestionKind>& kinds) {
  std::vector<std::string> names;
  for (const auto kind : kinds) names.emplace_back(google::ToString(kind));
  return fmt::format("{}", fmt::join(names, ", "));
}

// "entry.1234" and a questionId: Google's pre-fill entry number is the questionId read as
// hexadecimal.
std::optional<unsigned long long> EntryNumber(std::string_view question_id) {
  unsigned long long number = 0;
  const auto [end, error] =
      std::from_chars(question_id.data(), question_id.data() + question_id.size(), number, 16);
  if (error != std::errc() || end != question_id.data() + question_id.size()) return std::nullopt;
  return number;
}

void CheckBriefCode(const config::Config& config, const google::Form& form,
                    std::vector<DoctorCheck>& checks) {
  const auto& google = config.google;
  const auto all = Questions(form);
  const auto found = std::find_if(all.begin(), all.end(), [&](const Found& f) {
    return workflow::IsBriefCodeTitle(f.title, google.brief_code_question);
  });
  const std::string key = "google.brief_code_question";
  if (found == all.end()) {
    std::vector<std::string> titles;
    for (const auto& f : all) titles.push_back(Quoted(f.title));
    checks.push_back(
        Problem(key, Quoted(google.brief_code_question),
                fmt::format("no such question in the form (questions: {})",
                            titles.empty() ? "none" : fmt::format("{}", fmt::join(titles, ", ")))));
    return;
  }
  const auto kind = found->question->kind;
  if (kind != QuestionKind::kShortText && kind != QuestionKind::kParagraph) {
    checks.push_back(Problem(key, Quoted(google.brief_code_question),
                             fmt::format("question \"{}\" is a {} question; a pre-filled code "
                                         "needs a short-text one",
                                         found->title, google::ToString(kind))));
  } else {
    checks.push_back(Ok(key, Quoted(google.brief_code_question),
                        fmt::format("question \"{}\" ({}, questionId {})", found->title,
                                    google::ToString(kind), found->question->question_id)));
  }
  const std::string entry_key = "google.brief_code_entry";
  const std::string configured = google.brief_code_entry;
  const auto number = EntryNumber(found->question->question_id);
  if (!number) {
    checks.push_back(Problem(entry_key, Quoted(configured),
                             fmt::format("question \"{}\" has questionId \"{}\", which is not the "
                                         "hexadecimal id Google gives: cannot compare",
                                         found->title, found->question->question_id)));
    return;
  }
  const std::string expected = fmt::format("entry.{}", *number);
  if (configured != expected) {
    checks.push_back(Problem(entry_key, Quoted(configured),
                             fmt::format("question \"{}\" is {} (questionId {}): a pre-filled "
                                         "link would leave the code empty",
                                         found->title, expected, found->question->question_id)));
    return;
  }
  checks.push_back(
      Ok(entry_key, Quoted(configured), fmt::format("the entry of question \"{}\"", found->title)));
}

void CheckAnswers(const config::Config& config, const google::Form& form, const PlanfixFacts& facts,
                  std::vector<DoctorCheck>& checks) {
  const auto all = Questions(form);
  for (std::size_t i = 0; i < config.brief.answers.size(); ++i) {
    const auto& answer = config.brief.answers[i];
    const std::string key = fmt::format("brief.answers[{}].question", i + 1);
    const auto found = std::find_if(all.begin(), all.end(),
                                    [&](const Found& f) { return f.title == answer.question; });
    if (found == all.end()) {
      std::vector<std::string> titles;
      for (const auto& f : all) titles.push_back(Quoted(f.title));
      checks.push_back(Problem(
          key, Quoted(answer.question),
          fmt::format("no question with this exact title in the form "
                      "(questions: {})",
                      titles.empty() ? "none" : fmt::format("{}", fmt::join(titles, ", ")))));
      continue;
    }
    std::optional<FieldType> type;
    std::string field_text;
    if (answer.type) {
      type = workflow::CatalogueType(*answer.type);
      field_text = fmt::format("type = \"{}\"", config::ToString(*answer.type));
    } else if (const auto field = facts.contact_fields.find(answer.field_id);
               field != facts.contact_fields.end()) {
      type = field->second.type;
      field_text = fmt::format("contact field {} is a {} field", answer.field_id,
                               planfix::FieldTypeName(field->second.type));
    }
    const auto kind = found->question->kind;
    const auto kinds = type ? KindsFor(*type) : std::vector<QuestionKind>{};
    if (!kinds.empty() && std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
      checks.push_back(Problem(key, Quoted(answer.question),
                               fmt::format("a {} question, but {}: it takes {} answers",
                                           google::ToString(kind), field_text, KindList(kinds))));
      continue;
    }
    checks.push_back(Ok(key, Quoted(answer.question),
                        fmt::format("a {} question{}", google::ToString(kind),
                                    type ? " (fits " + field_text + ")" : std::string())));
  }
}

}  // namespace

std::vector<DoctorCheck> CheckGoogleForm(const config::Config& config,
                                         google::GoogleFormsClient& forms,
                                         const PlanfixFacts& facts) {
  std::vector<DoctorCheck> checks;
  const std::string key_file = std::string(config::kEnvGoogleSaKeyFile);
  auto token = forms.AccessToken();
  if (!token) {
    checks.push_back(Problem(key_file, "",
                             "Google gave the service account no token: " + token.error().message));
    checks.push_back(doctor::Note("google", "", "the other Google checks were skipped"));
    return checks;
  }
  checks.push_back(Ok(key_file, "", "the service account gets a token"));
  auto form = forms.GetForm(config.google.form_id);
  if (!form) {
    const auto code = form.error().code;
    const std::string hint =
        code == core::ErrorCode::kNotFound       ? " (no such form: check the id in its edit URL)"
        : code == core::ErrorCode::kUnauthorized ? " (share the form with the service account)"
                                                 : "";
    checks.push_back(
        Problem("google.form_id", Quoted(config.google.form_id),
                "the form cannot be read (forms.get): " + form.error().message + hint));
    return checks;
  }
  checks.push_back(
      Ok("google.form_id", Quoted(config.google.form_id),
         fmt::format("form \"{}\" with {} questions", form->title, Questions(*form).size())));
  CheckBriefCode(config, *form, checks);
  CheckAnswers(config, *form, facts, checks);
  return checks;
}

}  // namespace planfix_flow::app
