#include "app/money_effects.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "planfix_flow/core/log.h"
#include "planfix_flow/plan/effects.h"
#include "planfix_flow/workflow/digest.h"

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

void ScheduleMoneyDigest(storage::Database& database, const config::Config& config,
                         core::TimePoint now) {
  if (!config.invoices.enabled || !config.invoices.digest.enabled) return;
  const auto timer = database.GetTimer(workflow::kDigestTimerKey);
  if (timer && timer->state == storage::TimerState::kPending) return;
  storage::NewEvent event;
  event.source = storage::EventSource::kInternal;
  event.received_at = now;
  event.dedupe_key = fmt::format("invoices.digest.schedule:{}", core::ToUnixSeconds(now));
  event.kind = workflow::kEventDigestSchedule;
  event.payload = "{}";
  if (auto appended = database.AppendEvent(event); !appended) {
    core::Logger("app")->error("event=digest_not_scheduled error=\"{}\"",
                               appended.error().ToString());
  }
}

core::Result<std::optional<long long>> FindEarlierCreatedTask(planfix::PlanfixClient& planfix,
                                                              const planfix::TaskCreate& task) {
  planfix::TaskQuery query;
  if (task.template_id) {
    query.filters.push_back(planfix::TaskFilter{51, "equal", *task.template_id, std::nullopt});
  }
  constexpr std::string_view kContact = "contact:";
  if (task.counterparty_id.rfind(kContact, 0) == 0) {
    const std::string id = task.counterparty_id.substr(kContact.size());
    if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
      return core::Fail(core::ErrorCode::kPermanent,
                        "create task: the counterparty is not contact:<number>");
    }
    query.filters.push_back(planfix::TaskFilter{7, "equal", std::stoll(id), std::nullopt});
  }
  if (query.filters.empty()) return std::optional<long long>();
  auto tasks = planfix.ListTasks(query);
  if (!tasks) return core::Fail(tasks.error());
  for (const auto& found : *tasks) {
    if (found.name == task.name) return std::optional<long long>(found.id);
  }
  return std::optional<long long>();
}

}  // namespace planfix_flow::app
