// The crash test's service (tests/fault/crash_test.cpp), built only with the tests: the real
// App as `planfix-flow serve` runs it (storage, ingress, event processor, effect executor,
// scheduler, Telegram client) with CrashLoadHandler in place of the workflow, because the
// workflow's rules read Planfix at 1 request/s and set timers days ahead, while the test needs
// thousands of events per second and timers due within seconds.
// Usage: planfix_flow_crash_harness --config FILE (secrets from the environment, as serve).
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "fault/crash_load.h"
#include "planfix_flow/app/app.h"
#include "planfix_flow/config/config.h"
#include "planfix_flow/engine/event_handler.h"
#include "planfix_flow/plan/effects.h"
#include "planfix_flow/workflow/workflow.h"

namespace planfix_flow::fault {
namespace {

using core::ErrorCode;
using core::Fail;
using nlohmann::json;

engine::Effect Message(std::int64_t chat_id, const std::string& job_key) {
  engine::Effect effect;
  effect.kind = plan::kEffectTelegramSend;
  effect.destination = fmt::format("telegram:chat:{}", chat_id);
  effect.payload = json{{"chat_id", chat_id}, {"text", MessageText(job_key)}}.dump();
  effect.idempotency_key = job_key;
  return effect;
}

class CrashLoadHandler final : public engine::EventHandler {
 public:
  core::Result<engine::Plan> Handle(const engine::StoredEvent& event,
                                    core::TimePoint now) override {
    const json payload = json::parse(event.payload, nullptr, /*allow_exceptions=*/false);
    if (!payload.is_object()) return Fail(ErrorCode::kInvalidInput, "payload is not an object");
    engine::Plan plan;
    if (event.kind == kTimerEventKind) {
      const auto update = payload.value("update", std::int64_t{0});
      plan.effects.push_back(Message(payload.value("chat", std::int64_t{0}), TimerJobKey(update)));
      plan.summary = fmt::format("crash timer of update {} fired", update);
      return plan;
    }
    const auto message = payload.find("message");
    if (message == payload.end() || !message->is_object()) {
      plan.summary = "no message";
      return plan;
    }
    const std::string text = message->value("text", "");
    if (!text.starts_with(kEffectCommand)) {
      plan.summary = "load only";
      return plan;
    }
    const auto update = payload.value("update_id", std::int64_t{0});
    const auto chat = message->value("chat", json::object()).value("id", std::int64_t{0});
    const auto delay =
        std::chrono::milliseconds(std::stoll(text.substr(std::string_view(kEffectCommand).size())));
    plan.effects.push_back(Message(chat, EventJobKey(update)));
    engine::TimerChange timer;
    timer.action = engine::TimerAction::kSet;
    timer.key = TimerKey(update);
    timer.kind = kTimerEventKind;
    timer.due_at = now + delay;
    timer.payload = json{{"update", update}, {"chat", chat}}.dump();
    plan.timers.push_back(std::move(timer));
    plan.summary = fmt::format("update {}: message and timer in {} ms", update, delay.count());
    return plan;
  }
};

}  // namespace
}  // namespace planfix_flow::fault

int main(int argc, char** argv) {
  namespace pf = planfix_flow;
  if (argc != 3 || std::string_view(argv[1]) != "--config") {
    std::cerr << "usage: planfix_flow_crash_harness --config FILE\n";
    return 2;
  }
  try {
    auto loaded = pf::config::LoadConfig(argv[2], pf::config::ProcessEnvironment());
    if (!loaded.ok()) {
      for (const auto& problem : loaded.problems) std::cerr << problem.ToString() << "\n";
      return 1;
    }
    pf::app::AppOptions options;
    options.make_handler = [] { return std::make_unique<pf::fault::CrashLoadHandler>(); };
    return pf::app::Serve(std::move(*loaded.config), loaded.templates, std::move(options));
  } catch (const std::exception& error) {
    std::cerr << "planfix_flow_crash_harness: fatal: " << error.what() << "\n";
    return 1;
  }
}
