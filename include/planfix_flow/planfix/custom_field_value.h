// Shapes caller input (form answers, config values) into the JSON value Planfix expects for
// a custom field of a given type, per API-NOTES. Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "planfix_flow/core/result.h"
#include "planfix_flow/planfix/planfix_types.h"

namespace planfix_flow::planfix {

// `input` is what the caller has: usually a string (a form answer), an array of strings
// (checkbox answers), or a JSON number/bool. Returns the wire value, for example
//   kNumber "1 234,5" -> 1234.5        kDate "2026-11-27" -> {"date":"27-11-2026"}
//   kCheckbox "так"   -> true          kContact "12"      -> {"id":"contact:12"}
//   kSetOfValues "a"  -> ["a"]         kListOfUsers ["user:1", 5] ->
//   [{"id":"user:1"},{"id":"user:5"}]
// Fails with kInvalidInput (message names the type and the offending input) when the input
// does not convert, and for the computed read-only types.
core::Result<nlohmann::json> EncodeCustomFieldValue(FieldType type, const nlohmann::json& input);

// As above, and for a list (8) or set of values (20) also checks each option against the
// field's `enum_values` when the catalogue lists any.
core::Result<nlohmann::json> EncodeCustomFieldValue(const CustomFieldDefinition& field,
                                                    const nlohmann::json& input);

// Builds a ready CustomFieldValue for `field` from `input`.
core::Result<CustomFieldValue> MakeCustomFieldValue(const CustomFieldDefinition& field,
                                                    const nlohmann::json& input);

// What counts as yes and no for a checkbox field. Each list holds whole answers, compared
// without regard to case (Latin and Cyrillic) or surrounding spaces. Both empty: the defaults,
// "yes", "y", "true", "1", "on", "так", "да" against "no", "n", "false", "0", "off", "ні",
// "нет", also when an answer gives the same word in several languages split by "/" or "|"
// ("Так / Yes", "Ні / No"), as bilingual form options do.
struct CheckboxWords {
  std::vector<std::string> true_values;
  std::vector<std::string> false_values;
};

// The checkbox value `answer` stands for; kInvalidInput (naming what would count) otherwise.
core::Result<bool> ParseCheckboxAnswer(std::string_view answer, const CheckboxWords& words = {});

// Date helpers shared with callers: accept ISO "YYYY-MM-DD", "dd-MM-yyyy" and "dd.MM.yyyy"
// (valid calendar dates only) and return Planfix's "dd-MM-yyyy".
core::Result<std::string> ToPlanfixDate(std::string_view text);
// Accepts "H:mm", "HH:mm" and "HH:mm:ss"; returns "HH:mm".
core::Result<std::string> ToPlanfixTime(std::string_view text);

std::string_view FieldTypeName(FieldType type);

}  // namespace planfix_flow::planfix
