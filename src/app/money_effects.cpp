#include "app/money_effects.h"

#include <nlohmann/json.hpp>

#include "planfix_flow/plan/effects.h"

namespace planfix_flow::app {

using nlohmann::json;

void RegisterMoneyEffects(engine::EffectExecutor& executor, planfix::PlanfixClient& planfix) {
  executor.Register(plan::kEffectPlanfixAddDataTagEntry,
                    [&planfix](const engine::Job& job) -> core::Result<std::string> {
                      auto payload = plan::Decode<plan::PlanfixAddDataTagEntry>(job.payload);
                      if (!payload) return core::Fail(payload.error());
                      std::vector<planfix::CustomFieldValue> item;
                      for (const auto& field : payload->custom_fields) {
                        planfix::CustomFieldValue value;
                        value.field_id = field.id;
                        value.value = field.value;
                        item.push_back(std::move(value));
                      }
                      auto added =
                          planfix.AddDataTagEntries(payload->task, payload->data_tag, {item});
                      if (!added) return core::Fail(added.error());
                      json result{{"keys", added->keys}};
                      if (added->comment_id) result["comment_id"] = *added->comment_id;
                      return result.dump();
                    });
}

}  // namespace planfix_flow::app
