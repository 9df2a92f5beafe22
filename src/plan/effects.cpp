#include "planfix_flow/plan/effects.h"

#include <fmt/format.h>

namespace planfix_flow::plan {

using core::ErrorCode;
using core::Fail;
using core::Result;
using nlohmann::json;

namespace {

// Reads the fields of one JSON object; the first problem is kept (and later reads return
// empty values), so a decoder reads on and checks once at the end. `path` names the object
// inside the payload ("report.", "custom_fields[2].") for the messages.
class Fields {
 public:
  Fields(const char* kind, const json& object, std::string path, std::string* problem)
      : kind_(kind), object_(object), path_(std::move(path)), problem_(problem) {}

  std::int64_t Int(const char* name) {
    const json* value = Find(name, /*required=*/true);
    if (value == nullptr) return 0;
    if (!value->is_number_integer()) return Wrong(name, "an integer"), 0;
    return value->get<std::int64_t>();
  }
  std::optional<std::int64_t> OptionalInt(const char* name) {
    const json* value = Find(name, /*required=*/false);
    if (value == nullptr) return std::nullopt;
    if (!value->is_number_integer()) return Wrong(name, "an integer"), std::nullopt;
    return value->get<std::int64_t>();
  }
  std::string String(const char* name) {
    const json* value = Find(name, /*required=*/true);
    if (value == nullptr) return {};
    if (!value->is_string()) return Wrong(name, "a string"), std::string();
    return value->get<std::string>();
  }
  std::optional<std::string> OptionalString(const char* name) {
    const json* value = Find(name, /*required=*/false);
    if (value == nullptr) return std::nullopt;
    if (!value->is_string()) return Wrong(name, "a string"), std::nullopt;
    return value->get<std::string>();
  }
  // A present (not null) member of any type; nullptr (and a problem) when missing.
  const json* Any(const char* name) { return Find(name, /*required=*/true); }
  const json* OptionalObject(const char* name) {
    const json* value = Find(name, /*required=*/false);
    if (value != nullptr && !value->is_object()) return Wrong(name, "an object"), nullptr;
    return value;
  }
  const json* Object(const char* name) {
    const json* value = Find(name, /*required=*/true);
    if (value != nullptr && !value->is_object()) return Wrong(name, "an object"), nullptr;
    return value;
  }
  const json* OptionalArray(const char* name) {
    const json* value = Find(name, /*required=*/false);
    if (value != nullptr && !value->is_array()) return Wrong(name, "an array"), nullptr;
    return value;
  }
  const json* Array(const char* name) {
    const json* value = Find(name, /*required=*/true);
    if (value != nullptr && !value->is_array()) return Wrong(name, "an array"), nullptr;
    return value;
  }
  // The strings of an optional array member; a member that is no string is a problem.
  std::vector<std::string> OptionalStrings(const char* name) {
    std::vector<std::string> out;
    const json* array = OptionalArray(name);
    if (array == nullptr) return out;
    for (std::size_t i = 0; i < array->size(); ++i) {
      if (!(*array)[i].is_string()) {
        Problem(fmt::format("{}{}[{}] must be a string", path_, name, i));
        return {};
      }
      out.push_back((*array)[i].get<std::string>());
    }
    return out;
  }
  std::string Path(const char* name) const { return path_ + name; }
  void Problem(std::string text) {
    if (problem_->empty()) *problem_ = fmt::format("{}: {}", kind_, text);
  }

 private:
  // Null counts as absent: the encoders never write null, and a reader cannot use it.
  const json* Find(const char* name, bool required) {
    const auto it = object_.find(name);
    if (it == object_.end() || it->is_null()) {
      if (required) Problem(fmt::format("{}{} is missing", path_, name));
      return nullptr;
    }
    return &*it;
  }
  void Wrong(const char* name, const char* type) {
    Problem(fmt::format("{}{} must be {}", path_, name, type));
  }

  const char* kind_;
  const json& object_;
  std::string path_;
  std::string* problem_;
};

// Parses the payload and runs `read` on its fields; kPermanent on any problem.
template <typename T, typename Read>
Result<T> DecodeWith(const char* kind, std::string_view payload, Read read) {
  const json object = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (!object.is_object()) {
    return Fail(ErrorCode::kPermanent, fmt::format("{}: the payload is not a JSON object", kind));
  }
  std::string problem;
  Fields fields(kind, object, "", &problem);
  T effect = read(fields, problem);
  if (!problem.empty()) return Fail(ErrorCode::kPermanent, problem);
  return effect;
}

}  // namespace

std::string Encode(const TelegramSendMessage& effect) {
  json payload{{"chat_id", effect.chat_id}, {"text", effect.text}};
  if (effect.report) {
    payload["report"] = {{"task", effect.report->task},
                         {"contact", effect.report->contact},
                         {"client_name", effect.report->client_name}};
  }
  if (!effect.keyboard.empty()) {
    json rows = json::array();
    for (const auto& row : effect.keyboard) {
      json buttons = json::array();
      for (const auto& button : row) {
        json item{{"text", button.text}};
        if (!button.callback_data.empty()) item["callback_data"] = button.callback_data;
        if (!button.url.empty()) item["url"] = button.url;
        buttons.push_back(std::move(item));
      }
      rows.push_back(std::move(buttons));
    }
    payload["reply_markup"] = {{"inline_keyboard", std::move(rows)}};
  }
  return payload.dump();
}

template <>
Result<TelegramSendMessage> Decode(std::string_view payload) {
  return DecodeWith<TelegramSendMessage>(
      kEffectTelegramSend, payload, [](Fields& fields, std::string& problem) {
        TelegramSendMessage effect;
        effect.chat_id = fields.Int("chat_id");
        effect.text = fields.String("text");
        if (const json* report = fields.OptionalObject("report")) {
          Fields in(kEffectTelegramSend, *report, "report.", &problem);
          effect.report = ClientReport{in.Int("task"), in.Int("contact"), in.String("client_name")};
        }
        if (const json* markup = fields.OptionalObject("reply_markup")) {
          Fields in(kEffectTelegramSend, *markup, "reply_markup.", &problem);
          const json* rows = in.Array("inline_keyboard");
          for (std::size_t r = 0; rows != nullptr && r < rows->size(); ++r) {
            const auto row_path = fmt::format("reply_markup.inline_keyboard[{}]", r);
            if (!(*rows)[r].is_array()) {
              in.Problem(row_path + " must be an array");
              break;
            }
            auto& buttons = effect.keyboard.emplace_back();
            for (std::size_t b = 0; b < (*rows)[r].size(); ++b) {
              const json& item = (*rows)[r][b];
              const auto path = fmt::format("{}[{}]", row_path, b);
              if (!item.is_object()) {
                in.Problem(path + " must be an object");
                break;
              }
              Fields button(kEffectTelegramSend, item, path + ".", &problem);
              buttons.push_back(KeyboardButton{button.String("text"),
                                               button.OptionalString("callback_data").value_or(""),
                                               button.OptionalString("url").value_or("")});
            }
          }
        }
        return effect;
      });
}

std::string Encode(const TelegramSendPlanfixFile& effect) {
  json payload{{"chat_id", effect.chat_id},
               {"file", effect.file},
               {"name", effect.name},
               {"size", effect.size}};
  if (!effect.caption.empty()) payload["caption"] = effect.caption;
  if (effect.report) {
    payload["report"] = {{"task", effect.report->task},
                         {"contact", effect.report->contact},
                         {"client_name", effect.report->client_name}};
  }
  return payload.dump();
}

template <>
Result<TelegramSendPlanfixFile> Decode(std::string_view payload) {
  return DecodeWith<TelegramSendPlanfixFile>(
      kEffectTelegramSendPlanfixFile, payload, [](Fields& fields, std::string& problem) {
        TelegramSendPlanfixFile effect;
        effect.chat_id = fields.Int("chat_id");
        effect.file = fields.Int("file");
        effect.name = fields.String("name");
        effect.size = fields.Int("size");
        effect.caption = fields.OptionalString("caption").value_or("");
        if (const json* report = fields.OptionalObject("report")) {
          Fields in(kEffectTelegramSendPlanfixFile, *report, "report.", &problem);
          effect.report = ClientReport{in.Int("task"), in.Int("contact"), in.String("client_name")};
        }
        return effect;
      });
}

std::string Encode(const TelegramAnswerCallback& effect) {
  return json{{"callback_query_id", effect.callback_query_id}, {"text", effect.text}}.dump();
}

template <>
Result<TelegramAnswerCallback> Decode(std::string_view payload) {
  return DecodeWith<TelegramAnswerCallback>(
      kEffectTelegramAnswerCallback, payload, [](Fields& fields, std::string&) {
        TelegramAnswerCallback effect;
        effect.callback_query_id = fields.String("callback_query_id");
        effect.text = fields.String("text");
        return effect;
      });
}

std::string Encode(const TelegramEditMessage& effect) {
  return json{{"chat_id", effect.chat_id}, {"message_id", effect.message_id}, {"text", effect.text}}
      .dump();
}

template <>
Result<TelegramEditMessage> Decode(std::string_view payload) {
  return DecodeWith<TelegramEditMessage>(kEffectTelegramEdit, payload,
                                         [](Fields& fields, std::string&) {
                                           TelegramEditMessage effect;
                                           effect.chat_id = fields.Int("chat_id");
                                           effect.message_id = fields.Int("message_id");
                                           effect.text = fields.String("text");
                                           return effect;
                                         });
}

std::string Encode(const PlanfixAddComment& effect) {
  json payload{{"task", effect.task}, {"description", effect.description}};
  if (!effect.recipients.empty()) payload["recipients"] = effect.recipients;
  return payload.dump();
}

template <>
Result<PlanfixAddComment> Decode(std::string_view payload) {
  return DecodeWith<PlanfixAddComment>(kEffectPlanfixComment, payload,
                                       [](Fields& fields, std::string&) {
                                         PlanfixAddComment effect;
                                         effect.task = fields.Int("task");
                                         effect.description = fields.String("description");
                                         effect.recipients = fields.OptionalStrings("recipients");
                                         return effect;
                                       });
}

std::string Encode(const PlanfixUpdateContact& effect) {
  json payload{{"contact", effect.contact}};
  if (!effect.custom_fields.empty()) {
    json fields = json::array();
    for (const auto& field : effect.custom_fields) {
      fields.push_back({{"id", field.id}, {"value", field.value}});
    }
    payload["custom_fields"] = std::move(fields);
  }
  if (effect.telegram_id) payload["telegram_id"] = *effect.telegram_id;
  if (effect.report) payload["report"] = *effect.report;
  return payload.dump();
}

template <>
Result<PlanfixUpdateContact> Decode(std::string_view payload) {
  return DecodeWith<PlanfixUpdateContact>(
      kEffectPlanfixUpdateContact, payload, [](Fields& fields, std::string& problem) {
        PlanfixUpdateContact effect;
        effect.contact = fields.Int("contact");
        if (const json* list = fields.OptionalArray("custom_fields")) {
          for (std::size_t i = 0; i < list->size(); ++i) {
            const auto path = fmt::format("custom_fields[{}]", i);
            if (!(*list)[i].is_object()) {
              fields.Problem(path + " must be an object");
              break;
            }
            Fields field(kEffectPlanfixUpdateContact, (*list)[i], path + ".", &problem);
            ContactFieldValue value;
            value.id = field.Int("id");
            if (const json* wire = field.Any("value")) value.value = *wire;
            effect.custom_fields.push_back(std::move(value));
          }
        }
        effect.telegram_id = fields.OptionalString("telegram_id");
        if (const json* report = fields.OptionalObject("report")) effect.report = *report;
        return effect;
      });
}

namespace {

json FieldValuesJson(const std::vector<ContactFieldValue>& values) {
  json fields = json::array();
  for (const auto& field : values) fields.push_back({{"id", field.id}, {"value", field.value}});
  return fields;
}

// The required, non-empty "custom_fields" list of `kind`'s payload.
std::vector<ContactFieldValue> RequiredFieldValues(const char* kind, Fields& fields,
                                                   std::string& problem) {
  std::vector<ContactFieldValue> values;
  const json* list = fields.Array("custom_fields");
  if (list == nullptr) return values;
  if (list->empty()) fields.Problem("custom_fields is empty");
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto path = fmt::format("custom_fields[{}]", i);
    if (!(*list)[i].is_object()) {
      fields.Problem(path + " must be an object");
      break;
    }
    Fields field(kind, (*list)[i], path + ".", &problem);
    ContactFieldValue value;
    value.id = field.Int("id");
    if (const json* wire = field.Any("value")) value.value = *wire;
    values.push_back(std::move(value));
  }
  return values;
}

}  // namespace

std::string Encode(const PlanfixSetTaskFields& effect) {
  return json{{"task", effect.task}, {"custom_fields", FieldValuesJson(effect.custom_fields)}}
      .dump();
}

template <>
Result<PlanfixSetTaskFields> Decode(std::string_view payload) {
  return DecodeWith<PlanfixSetTaskFields>(
      kEffectPlanfixSetTaskFields, payload, [](Fields& fields, std::string& problem) {
        PlanfixSetTaskFields effect;
        effect.task = fields.Int("task");
        effect.custom_fields = RequiredFieldValues(kEffectPlanfixSetTaskFields, fields, problem);
        return effect;
      });
}

std::string Encode(const PlanfixAddDataTagEntry& effect) {
  return json{{"task", effect.task},
              {"data_tag", effect.data_tag},
              {"custom_fields", FieldValuesJson(effect.custom_fields)}}
      .dump();
}

template <>
Result<PlanfixAddDataTagEntry> Decode(std::string_view payload) {
  return DecodeWith<PlanfixAddDataTagEntry>(
      kEffectPlanfixAddDataTagEntry, payload, [](Fields& fields, std::string& problem) {
        PlanfixAddDataTagEntry effect;
        effect.task = fields.Int("task");
        effect.data_tag = fields.Int("data_tag");
        effect.custom_fields = RequiredFieldValues(kEffectPlanfixAddDataTagEntry, fields, problem);
        return effect;
      });
}

std::string Encode(const PlanfixUpdateTask& effect) {
  return json{{"task", effect.task}, {"status", effect.status}}.dump();
}

template <>
Result<PlanfixUpdateTask> Decode(std::string_view payload) {
  return DecodeWith<PlanfixUpdateTask>(kEffectPlanfixUpdateTask, payload,
                                       [](Fields& fields, std::string&) {
                                         PlanfixUpdateTask effect;
                                         effect.task = fields.Int("task");
                                         effect.status = fields.Int("status");
                                         return effect;
                                       });
}

std::string Encode(const PlanfixCreateTask& effect) {
  json payload{{"name", effect.name},
               {"description", effect.description},
               {"counterparty", effect.counterparty}};
  if (effect.template_id) payload["template_id"] = *effect.template_id;
  if (effect.project_id) payload["project_id"] = *effect.project_id;
  if (effect.process_id) payload["process_id"] = *effect.process_id;
  if (!effect.assignees.empty()) payload["assignees"] = effect.assignees;
  if (effect.deal) payload["deal"] = *effect.deal;
  if (effect.report) payload["report"] = *effect.report;
  return payload.dump();
}

template <>
Result<PlanfixCreateTask> Decode(std::string_view payload) {
  return DecodeWith<PlanfixCreateTask>(kEffectPlanfixCreateTask, payload,
                                       [](Fields& fields, std::string&) {
                                         PlanfixCreateTask effect;
                                         effect.name = fields.String("name");
                                         effect.description = fields.String("description");
                                         effect.template_id = fields.OptionalInt("template_id");
                                         effect.project_id = fields.OptionalInt("project_id");
                                         effect.process_id = fields.OptionalInt("process_id");
                                         effect.counterparty = fields.String("counterparty");
                                         effect.assignees = fields.OptionalStrings("assignees");
                                         effect.deal = fields.OptionalInt("deal");
                                         effect.report = fields.OptionalString("report");
                                         return effect;
                                       });
}

std::string Encode(const TimeSync&) { return json::object().dump(); }

template <>
Result<TimeSync> Decode(std::string_view payload) {
  return DecodeWith<TimeSync>(kEffectTimeSync, payload,
                              [](Fields&, std::string&) { return TimeSync{}; });
}

std::string Encode(const TimeWriteEntry& effect) {
  return json{{"task", effect.task}, {"employee", effect.employee},
              {"date", effect.date}, {"from", effect.from},
              {"to", effect.to},     {"minutes", effect.minutes}}
      .dump();
}

template <>
Result<TimeWriteEntry> Decode(std::string_view payload) {
  return DecodeWith<TimeWriteEntry>(kEffectTimeWriteEntry, payload,
                                    [](Fields& fields, std::string&) {
                                      TimeWriteEntry effect;
                                      effect.task = fields.Int("task");
                                      effect.employee = fields.String("employee");
                                      effect.date = fields.String("date");
                                      effect.from = fields.String("from");
                                      effect.to = fields.String("to");
                                      effect.minutes = fields.Int("minutes");
                                      return effect;
                                    });
}

std::string Encode(const TimeSendSummary& effect) {
  return json{{"month", effect.month}, {"chat_id", effect.chat_id}}.dump();
}

template <>
Result<TimeSendSummary> Decode(std::string_view payload) {
  return DecodeWith<TimeSendSummary>(kEffectTimeSendSummary, payload,
                                     [](Fields& fields, std::string&) {
                                       TimeSendSummary effect;
                                       effect.month = fields.String("month");
                                       effect.chat_id = fields.Int("chat_id");
                                       return effect;
                                     });
}

}  // namespace planfix_flow::plan
