#include "planfix_flow/core/pacer.h"

#include <gtest/gtest.h>

#include <mutex>
#include <optional>
#include <thread>

namespace planfix_flow::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const TimePoint kStart = FromUnixSeconds(1'800'000'000);

TEST(Pacer, SpacesCallsToOnePerSecond) {
  FakeClock clock(kStart);
  Pacer pacer(clock);
  const std::vector<Pacer::Scope> planfix{{RateLimit{1, seconds(1)}, "planfix"}};
  EXPECT_EQ(pacer.Reserve(planfix), kStart);
  EXPECT_EQ(pacer.Reserve(planfix), kStart + seconds(1));
  EXPECT_EQ(pacer.Reserve(planfix), kStart + seconds(2));
}

TEST(Pacer, AllowsABurstUpToTheWindowCount) {
  FakeClock clock(kStart);
  Pacer pacer(clock);
  const std::vector<Pacer::Scope> group{{RateLimit{20, seconds(60)}, "group"}};
  for (int i = 0; i < 20; ++i) EXPECT_EQ(pacer.Reserve(group), kStart);
  EXPECT_EQ(pacer.Reserve(group), kStart + seconds(60));
}

TEST(Pacer, HonoursTheTightestOfSeveralScopes) {
  FakeClock clock(kStart);
  Pacer pacer(clock);
  auto scopes = [](const std::string& chat) {
    return std::vector<Pacer::Scope>{{RateLimit{30, seconds(1)}, "global"},
                                     {RateLimit{1, seconds(1)}, chat}};
  };
  EXPECT_EQ(pacer.Reserve(scopes("a")), kStart);
  EXPECT_EQ(pacer.Reserve(scopes("b")), kStart);  // another chat is not held back
  EXPECT_EQ(pacer.Reserve(scopes("a")), kStart + seconds(1));
  for (int i = 0; i < 28; ++i) pacer.Reserve(scopes("chat" + std::to_string(i)));
  // 30 calls already fall in the first second: the 31st new chat waits for the global window.
  EXPECT_EQ(pacer.Reserve(scopes("late")), kStart + seconds(1));
}

TEST(Pacer, PauseHoldsBackAKeyUntilTheGivenMoment) {
  FakeClock clock(kStart);
  Pacer pacer(clock);
  pacer.Pause("chat", kStart + seconds(30));
  EXPECT_EQ(pacer.Reserve({{RateLimit{1, seconds(1)}, "chat"}}), kStart + seconds(30));
  EXPECT_EQ(pacer.Reserve({{RateLimit{1, seconds(1)}, "other"}}), kStart);
}

TEST(Pacer, AcquireSleepsOnTheClock) {
  FakeClock clock(kStart);
  Pacer pacer(clock);
  const std::vector<Pacer::Scope> scope{{RateLimit{1, milliseconds(500)}, "x"}};
  pacer.Acquire(scope);
  pacer.Acquire(scope);
  EXPECT_EQ(clock.Now(), kStart + milliseconds(500));
}

TEST(Pacer, ATurnStartsAnIntervalAfterThePreviousAnswer) {
  FakeClock clock(kStart);
  Pacer pacer(clock);
  {
    auto turn = pacer.TakeTurn("planfix", seconds(1));
    EXPECT_EQ(clock.Now(), kStart);
    clock.Advance(milliseconds(300));  // the answer takes 300 ms
  }
  {
    auto turn = pacer.TakeTurn("planfix", seconds(1));
    EXPECT_EQ(clock.Now(), kStart + milliseconds(1300));  // a second after the answer
  }
  {
    auto turn = pacer.TakeTurn("planfix", seconds(1));  // an instant answer: a second later
    EXPECT_EQ(clock.Now(), kStart + milliseconds(2300));
  }
  auto other = pacer.TakeTurn("other", seconds(1));  // another account is not held back
  EXPECT_EQ(clock.Now(), kStart + milliseconds(2300));
}

TEST(Pacer, ASecondCallerWaitsForTheTurnInUseAndItsAnswer) {
  FakeClock clock(kStart);
  Pacer pacer(clock);
  std::optional<Pacer::Turn> first(pacer.TakeTurn("planfix", seconds(1)));
  TimePoint second_started{};
  std::thread second([&] {
    auto turn = pacer.TakeTurn("planfix", seconds(1));
    second_started = clock.Now();
  });
  clock.Advance(milliseconds(400));  // the first call is still waiting for its answer
  first.reset();                     // ... which comes now
  second.join();
  EXPECT_EQ(second_started, kStart + milliseconds(1400));
}

// While a bulk call holds the turn, an interactive caller that comes after a waiting bulk
// one still goes first; the bulk one takes the turn after it. Each waiter records its start.
TEST(Pacer, AnInteractiveCallerOvertakesAWaitingBulkOne) {
  FakeClock clock(kStart);
  Pacer pacer(clock);
  std::optional<Pacer::Turn> running;
  {
    BulkScope bulk;
    running.emplace(pacer.TakeTurn("planfix", seconds(1)));
  }
  std::mutex mutex;
  std::vector<std::pair<std::string, TimePoint>> starts;
  const auto call = [&](const std::string& who) {
    auto turn = pacer.TakeTurn("planfix", seconds(1));
    {
      std::lock_guard lock(mutex);
      starts.emplace_back(who, clock.Now());
    }
    clock.Advance(milliseconds(100));  // its answer
  };
  std::thread bulk_caller([&] {
    BulkScope bulk;
    EXPECT_EQ(CurrentCallPriority(), CallPriority::kBulk);
    call("bulk");
  });
  while (pacer.WaitingForTurn("planfix") < 1) std::this_thread::yield();
  std::thread press([&] {
    EXPECT_EQ(CurrentCallPriority(), CallPriority::kInteractive);
    call("press");
  });
  while (pacer.WaitingForTurn("planfix") < 2) std::this_thread::yield();
  clock.Advance(milliseconds(400));
  running.reset();  // the bulk call's answer
  press.join();
  bulk_caller.join();
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_EQ(starts[0].first, "press");
  EXPECT_EQ(starts[0].second, kStart + milliseconds(1400));  // a second after the answer
  EXPECT_EQ(starts[1].first, "bulk");
  EXPECT_EQ(starts[1].second, kStart + milliseconds(2500));      // a second after the press's
  EXPECT_EQ(CurrentCallPriority(), CallPriority::kInteractive);  // scopes end with themselves
}

}  // namespace
}  // namespace planfix_flow::core
