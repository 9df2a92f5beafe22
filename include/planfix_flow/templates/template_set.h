// Message templates: Mustache files per language (templates/<lang>/<name>.mustache), rendered
// for Telegram's HTML parse mode and for Planfix comments (also HTML). Every value is escaped
// (& < > " only); triple mustache, {{& }}, partials and delimiter changes are rejected.
// A TemplateSet is immutable after loading; safe to share between threads.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "planfix_flow/core/result.h"

namespace planfix_flow::templates {

// Where a rendered text goes. Both are HTML; Telegram accepts only a few tags (checked),
// Planfix comments any (<br> for a line break).
enum class Channel { kTelegram, kPlanfixComment };

// What the code promises about one template: the variables it supplies when rendering
// (`variables`: a template may use only these) and the ones a text must use or it would be
// pointless (`must_use`, e.g. the form link in brief_request).
struct TemplateSpec {
  std::string name;
  Channel channel = Channel::kTelegram;
  std::string purpose;
  std::vector<std::string> variables;
  std::vector<std::string> must_use;
};

// Every template the service renders. check-config requires each one in every language.
const std::vector<TemplateSpec>& Registry();
// nullptr when `name` is not registered.
const TemplateSpec* FindSpec(std::string_view name);
// The variables the code supplies to `name` (empty for an unknown name).
std::vector<std::string> RequiredVariables(std::string_view name);

// Variable name -> value (plain text; escaped when rendered). In a section ({{#v}}..{{/v}})
// or an inverted section ({{^v}}..{{/v}}), an empty value counts as false.
using Values = std::map<std::string, std::string, std::less<>>;

// The exact escaping used for every {{value}}: & < > " become &amp; &lt; &gt; &quot;.
std::string EscapeHtml(std::string_view text);

// One problem found while loading; `where` is the file path (or "name (lang)" for in-memory
// texts), `message` says what is wrong.
struct TemplateProblem {
  std::string where;
  std::string message;
};

// Checks one template text against its spec (pass nullptr to check syntax only): UTF-8, syntax,
// forbidden tags, variables outside the spec, unbalanced sections, must_use variables absent,
// and for Telegram texts the static markup (only Telegram's tags, nested properly; no bare &,
// < or >).
std::vector<std::string> CheckTemplateText(std::string_view text, const TemplateSpec* spec);

class TemplateSet;

struct TemplateLoadResult {
  std::shared_ptr<const TemplateSet> set;  // null when there are problems
  std::vector<TemplateProblem> problems;
};

class TemplateSet {
 public:
  // Loads <dir>/<lang>/<name>.mustache for every registered name and every language.
  // Collects every problem: unreadable directory or file, missing template, unknown template
  // file (a typo in a file name), and everything CheckTemplateText reports.
  static TemplateLoadResult Load(const std::filesystem::path& dir,
                                 const std::vector<std::string>& languages,
                                 const std::string& default_language);

  // Builds a set from in-memory texts: language -> (name -> text). Used by tests and the demo;
  // only checks the texts given (a registered template may be absent).
  static TemplateLoadResult FromTexts(
      const std::map<std::string, std::map<std::string, std::string>>& texts,
      const std::string& default_language);

  // Renders `name` in `language`, falling back to the default language when the set has no
  // such language. Fails with kInvalidInput when `values` lacks any variable the spec declares
  // (whether or not this language's text uses it; never renders a blank instead) and
  // kNotFound for an unknown template. Leading and trailing whitespace is trimmed.
  core::Result<std::string> Render(std::string_view name, std::string_view language,
                                   const Values& values) const;

  bool Has(std::string_view name, std::string_view language) const;
  const std::string& default_language() const { return default_language_; }
  std::vector<std::string> languages() const;
  // Number of (language, template) texts loaded.
  std::size_t size() const;

 private:
  struct Text {
    std::string source;
    std::vector<std::string> used_variables;
  };
  TemplateSet() = default;

  std::string default_language_;
  std::map<std::string, std::map<std::string, Text, std::less<>>, std::less<>> texts_;
};

}  // namespace planfix_flow::templates
