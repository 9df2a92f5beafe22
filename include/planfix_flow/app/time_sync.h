// TimeSync: reads the Planfix time data tag's entries into SQLite (issue 14). Each run is one
// complete read: the entries dated within the window (or, once a day and on the first run,
// every entry of the tag), checked and stored in one transaction, so an entry edited in
// Planfix is corrected, a deleted one removed, none doubled, and a failed read changes
// nothing. Entries that cannot count are stored as problems with the reason and logged once.
// RunOnce from one thread at a time (the executor's).
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "planfix_flow/calendar/work_calendar.h"
#include "planfix_flow/config/config.h"
#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/result.h"
#include "planfix_flow/planfix/planfix_client.h"
#include "planfix_flow/storage/database.h"
#include "planfix_flow/timekeeping/time_entry.h"

namespace planfix_flow::app {

struct TimeSyncOptions {
  std::int64_t data_tag = 0;
  timekeeping::EntryLayout layout;
  int window_days = 45;
  // A full read of the tag at least this often: it finds what a windowed read cannot see
  // (entries without a date, old entries edited or moved to an older date).
  core::Duration full_every = std::chrono::hours(24);
  // Task facts (process, template, deletion) older than this are read again.
  core::Duration task_facts_max_age = std::chrono::hours(24);
  std::int64_t amount_field = 0;  // the deal's amount field, kept with the task's facts
  // A task outside this process has its parent's facts read too: the parent may be the deal.
  std::int64_t deal_process = 0;
  // Who has an hourly rate: an entry of anyone else cannot be priced and is a problem, unless
  // a default rate covers everyone.
  std::set<std::string> rated_employees;
  bool default_rate = false;
  // time.rate_field: the employees' rates in Planfix, read before the entries (planfix_rates.h).
  std::int64_t rate_field = 0;
};

TimeSyncOptions TimeSyncOptionsFor(const config::Config& config);

struct TimeSyncReport {
  bool full = false;
  std::string window_from;  // empty on a full read
  std::size_t read = 0;     // entries Planfix returned
  storage::TimeSyncCounts counts;
};

class TimeSync {
 public:
  TimeSync(planfix::PlanfixClient& planfix, storage::Database& database, core::Clock& clock,
           const calendar::WorkCalendar& calendar, TimeSyncOptions options);

  // One complete read. An error (Planfix unreachable, a refused read) stores nothing.
  // Then the facts of the tasks recent payments were matched to, and of their parents, for
  // the report's received money (ReadPaymentTasks).
  core::Result<TimeSyncReport> RunOnce();

  // The task facts (parent, process, client) of the invoice tasks of the payments matched in
  // the last window_days, and of their parents, read as for time entries (cached for
  // task_facts_max_age). An error is logged and left to the next sync.
  void ReadPaymentTasks();

 private:
  core::Result<storage::TimeTaskRecord> TaskFacts(std::int64_t task);

  planfix::PlanfixClient& planfix_;
  storage::Database& database_;
  core::Clock& clock_;
  const calendar::WorkCalendar& calendar_;
  TimeSyncOptions options_;
};

}  // namespace planfix_flow::app
