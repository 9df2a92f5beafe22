#include "planfix_flow/engine/event_processor.h"

#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "engine/engine_test_util.h"

namespace planfix_flow::engine {
namespace {

using std::chrono::seconds;
using testing::kStart;
using testing::MakeEffect;
using testing::MakeEvent;

// A handler whose answer the test decides; records what it saw.
class FakeHandler final : public EventHandler {
 public:
  std::function<core::Result<Plan>(const StoredEvent&)> answer = [](const StoredEvent&) {
    return core::Result<Plan>(Plan{});
  };
  std::vector<StoredEvent> seen;

  core::Result<Plan> Handle(const StoredEvent& event, core::TimePoint /*now*/) override {
    seen.push_back(event);
    return answer(event);
  }
};

EventProcessorOptions NoJitter(int max_attempts = 3) {
  EventProcessorOptions options;
  options.max_attempts = max_attempts;
  options.backoff = BackoffPolicy{seconds(10), seconds(60), 2.0, 0.0};
  options.seed = 1;
  return options;
}

class EventProcessorTest : public ::testing::Test {
 protected:
  storage::Database db_{storage::DatabaseOptions{}};
  core::FakeClock clock_{kStart};
  FakeHandler handler_;
  core::Metrics metrics_;
};

TEST_F(EventProcessorTest, CommitsThePlanAndMarksTheEventDone) {
  EventProcessor processor(db_, handler_, clock_, NoJitter(), &metrics_);
  auto event = db_.AppendEvent(MakeEvent("a"));
  ASSERT_TRUE(event);
  handler_.answer = [](const StoredEvent&) {
    Plan plan;
    plan.effects = {MakeEffect("send:1")};
    plan.timers = {testing::SetTimer("brief.reminder:task:123", kStart + std::chrono::hours(48))};
    plan.flows = {{"brief:task:123", "brief", 123, 12, "sent", "{}"}};
    plan.summary = "brief sent";
    return core::Result<Plan>(plan);
  };
  int jobs_added = 0;
  int timers_changed = 0;
  processor.SetListeners({[&] { ++jobs_added; }, [&] { ++timers_changed; }});

  EXPECT_EQ(processor.RunOnce(), ProcessOutcome::kDone);
  EXPECT_EQ(processor.RunOnce(), ProcessOutcome::kIdle);
  ASSERT_EQ(handler_.seen.size(), 1u);
  EXPECT_EQ(handler_.seen[0].kind, "brief.send");
  EXPECT_EQ(db_.GetEvent(event->event_id)->state, storage::EventState::kDone);
  EXPECT_EQ(db_.ListJobs({}).size(), 1u);
  EXPECT_TRUE(db_.GetTimer("brief.reminder:task:123"));
  EXPECT_EQ(db_.GetFlow("brief:task:123")->state, "sent");
  EXPECT_EQ(jobs_added, 1);
  EXPECT_EQ(timers_changed, 1);
  EXPECT_NE(metrics_.Render().find(
                R"(planfix_flow_events_processed_total{kind="brief.send",outcome="done"} 1)"),
            std::string::npos);
}

TEST_F(EventProcessorTest, TakesEventsInTheOrderTheyWereCommitted) {
  EventProcessor processor(db_, handler_, clock_, NoJitter());
  for (const char* key : {"a", "b", "c"}) ASSERT_TRUE(db_.AppendEvent(MakeEvent(key)));
  while (processor.RunOnce() != ProcessOutcome::kIdle) {
  }
  ASSERT_EQ(handler_.seen.size(), 3u);
  EXPECT_EQ(handler_.seen[0].dedupe_key, "a");
  EXPECT_EQ(handler_.seen[1].dedupe_key, "b");
  EXPECT_EQ(handler_.seen[2].dedupe_key, "c");
}

TEST_F(EventProcessorTest, AFailingHandlerLeavesNoJobsAndIsRetriedWithBackoffThenDead) {
  EventProcessor processor(db_, handler_, clock_, NoJitter(3), &metrics_);
  auto event = db_.AppendEvent(MakeEvent("a"));
  ASSERT_TRUE(event);
  handler_.answer = [](const StoredEvent&) -> core::Result<Plan> {
    return core::Fail(core::ErrorCode::kUnavailable, "planfix is down");
  };

  EXPECT_EQ(processor.RunOnce(), ProcessOutcome::kRetry);
  auto stored = db_.GetEvent(event->event_id);
  EXPECT_EQ(stored->state, storage::EventState::kPending);
  EXPECT_EQ(stored->attempts, 1);
  EXPECT_EQ(stored->next_attempt_at, kStart + seconds(10));
  EXPECT_NE(stored->last_error.find("planfix is down"), std::string::npos);
  EXPECT_TRUE(db_.ListJobs({}).empty());

  clock_.Advance(seconds(9));
  EXPECT_EQ(processor.RunOnce(), ProcessOutcome::kIdle);  // not due yet
  clock_.Advance(seconds(1));
  EXPECT_EQ(processor.RunOnce(), ProcessOutcome::kRetry);
  EXPECT_EQ(db_.GetEvent(event->event_id)->next_attempt_at, clock_.Now() + seconds(20));

  clock_.Advance(seconds(20));
  EXPECT_EQ(processor.RunOnce(), ProcessOutcome::kDead);
  stored = db_.GetEvent(event->event_id);
  EXPECT_EQ(stored->state, storage::EventState::kDead);
  EXPECT_EQ(stored->attempts, 3);
  EXPECT_NE(stored->last_error.find("planfix is down"), std::string::npos);
  EXPECT_EQ(processor.RunOnce(), ProcessOutcome::kIdle);
  EXPECT_NE(metrics_.Render().find(
                R"(planfix_flow_events_processed_total{kind="brief.send",outcome="dead"} 1)"),
            std::string::npos);
}

TEST_F(EventProcessorTest, AThrowingHandlerCountsAsAFailedAttempt) {
  EventProcessor processor(db_, handler_, clock_, NoJitter(1));
  auto event = db_.AppendEvent(MakeEvent("a"));
  ASSERT_TRUE(event);
  handler_.answer = [](const StoredEvent&) -> core::Result<Plan> {
    throw std::runtime_error("rule bug");
  };
  EXPECT_EQ(processor.RunOnce(), ProcessOutcome::kDead);
  auto stored = db_.GetEvent(event->event_id);
  EXPECT_EQ(stored->state, storage::EventState::kDead);
  EXPECT_EQ(stored->last_error, "handler threw: rule bug");
}

TEST_F(EventProcessorTest, AnInvalidPlanFailsTheEventAndStoresNothingOfIt) {
  EventProcessor processor(db_, handler_, clock_, NoJitter());
  auto event = db_.AppendEvent(MakeEvent("a"));
  ASSERT_TRUE(event);
  handler_.answer = [](const StoredEvent&) {
    Plan plan;
    plan.effects = {MakeEffect("send:1"), MakeEffect("")};
    return core::Result<Plan>(plan);
  };
  // A retry would build the same plan: dead at once, with the reason.
  EXPECT_EQ(processor.RunOnce(), ProcessOutcome::kDead);
  EXPECT_TRUE(db_.ListJobs({}).empty());
  EXPECT_NE(db_.GetEvent(event->event_id)->last_error.find("idempotency key"), std::string::npos);
}

TEST_F(EventProcessorTest, ARefusalNoRetryCanChangeIsDeadAtOnceWithItsReason) {
  EventProcessor processor(db_, handler_, clock_, NoJitter(5));
  auto event = db_.AppendEvent(MakeEvent("a"));
  ASSERT_TRUE(event);
  handler_.answer = [](const StoredEvent&) -> core::Result<Plan> {
    return core::Fail(core::ErrorCode::kNotFound, "task 404 not found");
  };
  EXPECT_EQ(processor.RunOnce(), ProcessOutcome::kDead);
  auto stored = db_.GetEvent(event->event_id);
  EXPECT_EQ(stored->state, storage::EventState::kDead);
  EXPECT_EQ(stored->attempts, 1);
  EXPECT_NE(stored->last_error.find("task 404 not found"), std::string::npos);
  // Replayable once the cause is fixed.
  ASSERT_TRUE(db_.ReplayEvent(event->event_id, clock_.Now()));
  handler_.answer = [](const StoredEvent&) { return core::Result<Plan>(Plan{}); };
  EXPECT_EQ(processor.RunOnce(), ProcessOutcome::kDone);
}

TEST_F(EventProcessorTest, ARateLimitedHandlerIsRetriedNoSoonerThanRetryAfter) {
  EventProcessor processor(db_, handler_, clock_, NoJitter(5));
  auto event = db_.AppendEvent(MakeEvent("a"));
  ASSERT_TRUE(event);
  handler_.answer = [](const StoredEvent&) -> core::Result<Plan> {
    core::Error error{core::ErrorCode::kRateLimited, "Planfix: too many requests"};
    error.retry_after = seconds(900);
    return core::Fail(std::move(error));
  };
  EXPECT_EQ(processor.RunOnce(), ProcessOutcome::kRetry);
  EXPECT_EQ(db_.GetEvent(event->event_id)->next_attempt_at, kStart + seconds(900));  // not 10 s
  clock_.Advance(seconds(899));
  EXPECT_EQ(processor.RunOnce(), ProcessOutcome::kIdle);
}

TEST_F(EventProcessorTest, AReplayedEventAddsNoDuplicateJobs) {
  EventProcessor processor(db_, handler_, clock_, NoJitter(1));
  handler_.answer = [](const StoredEvent&) {
    Plan plan;
    plan.effects = {MakeEffect("brief.send:task:123")};
    return core::Result<Plan>(plan);
  };
  ASSERT_TRUE(db_.AppendEvent(MakeEvent("first-delivery")));
  EXPECT_EQ(processor.RunOnce(), ProcessOutcome::kDone);
  // Planfix retried with a new body hash, so the inbox stored a second event.
  ASSERT_TRUE(db_.AppendEvent(MakeEvent("second-delivery")));
  EXPECT_EQ(processor.RunOnce(), ProcessOutcome::kDone);
  EXPECT_EQ(db_.ListJobs({}).size(), 1u);

  // A dead event replayed by the operator also adds nothing that already exists.
  auto third = db_.AppendEvent(MakeEvent("third-delivery"));
  ASSERT_TRUE(third);
  auto good_answer = handler_.answer;
  handler_.answer = [](const StoredEvent&) -> core::Result<Plan> {
    return core::Fail(core::ErrorCode::kTimeout, "slow");
  };
  EXPECT_EQ(processor.RunOnce(), ProcessOutcome::kDead);
  ASSERT_TRUE(db_.ReplayEvent(third->event_id, clock_.Now()));
  handler_.answer = good_answer;
  EXPECT_EQ(processor.RunOnce(), ProcessOutcome::kDone);
  EXPECT_EQ(db_.GetEvent(third->event_id)->state, storage::EventState::kDone);
  EXPECT_EQ(db_.ListJobs({}).size(), 1u);
}

TEST_F(EventProcessorTest, RunProcessesEventsAppendedWhileItWaitsAndStopsWhenAsked) {
  EventProcessor processor(db_, handler_, clock_, NoJitter());
  db_.SetEventsAddedListener([&processor] { processor.Notify(); });
  std::atomic<int> handled{0};
  handler_.answer = [&handled](const StoredEvent&) {
    ++handled;
    return core::Result<Plan>(Plan{});
  };
  std::jthread loop([&processor](std::stop_token stop) { processor.Run(stop); });
  ASSERT_TRUE(db_.AppendEvent(MakeEvent("a")));
  EXPECT_TRUE(testing::Eventually([&] { return handled.load() == 1; }));
  ASSERT_TRUE(db_.AppendEvent(MakeEvent("b")));
  EXPECT_TRUE(testing::Eventually([&] { return handled.load() == 2; }));
  loop.request_stop();
  loop.join();
  EXPECT_EQ(db_.ListEvents(storage::EventState::kDone, 10).size(), 2u);
}

}  // namespace
}  // namespace planfix_flow::engine
