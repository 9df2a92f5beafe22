#include "planfix_flow/app/app.h"

#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "app/admin_console.h"
#include "app/effect_handlers.h"
#include "app/job_admin.h"
#include "app/money_effects.h"
#include "app/workflow_facts.h"
#include "planfix_flow/app/bank_reconciler.h"
#include "planfix_flow/app/forms_reconciler.h"
#include "planfix_flow/app/retention.h"
#include "planfix_flow/app/telegram_poller.h"
#include "planfix_flow/app/telegram_setup.h"
#include "planfix_flow/app/time_feature.h"
#include "planfix_flow/core/log.h"
#include "planfix_flow/engine/effect_executor.h"
#include "planfix_flow/engine/event_processor.h"
#include "planfix_flow/engine/scheduler.h"
#include "planfix_flow/google/forms_client.h"
#include "planfix_flow/http/curl_http_client.h"
#include "planfix_flow/http/ingress_server.h"
#include "planfix_flow/plan/effects.h"
#include "planfix_flow/planfix/planfix_client.h"
#include "planfix_flow/telegram/telegram_client.h"
#include "planfix_flow/workflow/report.h"
#include "planfix_flow/workflow/service_notices.h"
#include "planfix_flow/workflow/workflow.h"

namespace planfix_flow::app {

using core::ErrorCode;
using core::Fail;
using core::Result;
using nlohmann::json;

namespace {

storage::Synchronous ToStorage(config::SqliteSynchronous synchronous) {
  return synchronous == config::SqliteSynchronous::kNormal ? storage::Synchronous::kNormal
                                                           : storage::Synchronous::kFull;
}

}  // namespace

struct App::Impl {
  Impl(config::Config config_in, std::shared_ptr<const templates::TemplateSet> templates_in,
       core::Clock& clock_in, http::HttpClient& http_in, AppOptions options_in)
      : config(std::move(config_in)),
        templates(std::move(templates_in)),
        clock(clock_in),
        http(http_in),
        options(std::move(options_in)),
        calendar(MakeCalendar(config)),
        planfix(http, clock, PlanfixOptionsFor(config, metrics)),
        telegram(http, clock, TelegramOptionsFor(config)),
        facts(planfix, config, clock) {
    if (!templates) throw std::invalid_argument("App needs the loaded templates");
  }

  static calendar::WorkCalendar MakeCalendar(const config::Config& config) {
    auto calendar = calendar::WorkCalendar::Create(config.calendar);
    if (!calendar) throw std::invalid_argument("calendar: " + calendar.error().message);
    return std::move(*calendar);
  }

  static planfix::PlanfixOptions PlanfixOptionsFor(const config::Config& config,
                                                   core::Metrics& metrics) {
    planfix::PlanfixOptions options;
    options.metrics = &metrics;
    options.base_url = config.planfix.base_url;
    options.token = config.secrets.planfix_token;
    options.min_interval = std::chrono::milliseconds(config.planfix.min_interval_ms);
    options.timeout = std::chrono::seconds(config.planfix.request_timeout_seconds);
    return options;
  }

  static telegram::TelegramOptions TelegramOptionsFor(const config::Config& config) {
    telegram::TelegramOptions options;
    options.base_url = config.telegram.base_url;
    options.token = config.secrets.telegram_bot_token;
    options.per_chat = {1, std::chrono::milliseconds(config.telegram.per_chat_interval_ms)};
    options.per_group = {static_cast<std::size_t>(config.telegram.group_messages_per_minute),
                         std::chrono::minutes(1)};
    options.global = {static_cast<std::size_t>(config.telegram.global_messages_per_second),
                      std::chrono::seconds(1)};
    options.long_poll_timeout = std::chrono::seconds(config.telegram.polling_timeout_seconds);
    return options;
  }

  void Open() {
    storage::DatabaseOptions database_options;
    database_options.path = config.storage.path;
    database_options.synchronous = ToStorage(config.storage.synchronous);
    database = std::make_unique<storage::Database>(database_options);
    metrics.AddCollector(
        [db = database.get(), this](core::Metrics& m) { db->CollectMetrics(m, clock.Now()); });
    retention = std::make_unique<Retention>(*database, clock, metrics,
                                            RetentionOptions{config.storage.retention_days});

    staff_chat.store(database->CurrentChatId(config.telegram.staff_chat_id));
    if (staff_chat.load() != config.telegram.staff_chat_id) {
      core::Logger("app")->warn(
          "event=staff_chat_migrated configured={} current={} action=\"set "
          "telegram.staff_chat_id = {} in the config\"",
          config.telegram.staff_chat_id, staff_chat.load(), staff_chat.load());
    }
    signing = OpenSigningKeys();
    if (options.make_handler) {
      handler = options.make_handler();
    } else {
      handler = std::make_unique<workflow::Workflow>(
          workflow::RuleContext{&config, templates.get(), &calendar, &*signing, &staff_chat},
          facts);
    }
    time = std::make_unique<TimeFeature>(config, *templates, planfix, telegram, *database, clock,
                                         calendar);
    handler = time->Wrap(std::move(handler));

    // An event whose facts cannot be read (Planfix down) waits out an outage like a job does.
    engine::EventProcessorOptions processor_options;
    processor_options.seed = options.seed;
    processor_options.max_attempts = config.limits.job_max_attempts;
    processor_options.backoff.base = std::chrono::seconds(config.limits.backoff_base_seconds);
    processor_options.backoff.max = std::chrono::seconds(config.limits.backoff_max_seconds);
    processor = std::make_unique<engine::EventProcessor>(*database, *handler, clock,
                                                         processor_options, &metrics);
    engine::EffectExecutorOptions executor_options;
    executor_options.seed = options.seed;
    executor_options.max_attempts = config.limits.job_max_attempts;
    executor_options.backoff.base = std::chrono::seconds(config.limits.backoff_base_seconds);
    executor_options.backoff.max = std::chrono::seconds(config.limits.backoff_max_seconds);
    executor_options.report = [this](const engine::Job& job, const Result<std::string>& outcome) {
      return JobOutcomeEvent(job, outcome, clock.Now());
    };
    executor =
        std::make_unique<engine::EffectExecutor>(*database, clock, executor_options, &metrics);
    scheduler =
        std::make_unique<engine::Scheduler>(*database, clock, engine::SchedulerOptions{}, &metrics);
    RegisterEffectHandlers(*executor,
                           EffectServices{&planfix, &telegram, database.get(),
                                          [this](telegram::ChatId from, telegram::ChatId to) {
                                            NoteChatMigration(from, to);
                                          }});
    RegisterMoneyEffects(*executor, planfix);
    time->RegisterEffects(*executor);

    processor->SetListeners(
        engine::PlanListeners{[this] { executor->Notify(); }, [this] { scheduler->Notify(); }});
    database->SetEventsAddedListener([this] { processor->Notify(); });
    facts.set_flows(database.get());
    facts.set_time(database.get());
    OpenGoogle();
    OpenBank();
    job_admin = std::make_unique<DatabaseJobAdmin>(*database, *executor);
    telegram_setup = std::make_unique<TelegramSetup>(telegram, *database, clock, metrics,
                                                     TelegramSetupOptionsFor(config));
    if (config.telegram.mode == config::TelegramMode::kPolling) {
      TelegramPollerOptions poller_options;
      poller_options.poll_timeout = std::chrono::seconds(config.telegram.polling_timeout_seconds);
      poller = std::make_unique<TelegramPoller>(telegram, *database, clock, poller_options);
    }
  }

  // The signing keys. The previous key verifies for signing.previous_key_grace_days from the
  // moment this database first saw the current key, a fact recorded once (flow
  // "signing.key:<fingerprint>"), so restarts do not stretch the grace period and an operator
  // need not work out a date.
  workflow::SigningKeys OpenSigningKeys() {
    const auto& secrets = config.secrets;
    const workflow::SigningKeys current(secrets.signing_key);
    const storage::Flow first = database->EnsureFlow(
        storage::FlowChange{"signing.key:" + current.fingerprint(), "signing.key", std::nullopt,
                            std::nullopt, "in_use", "{}"},
        clock.Now());
    std::optional<core::TimePoint> until;
    std::string previous = "none";
    if (!secrets.signing_key_previous.empty()) {
      until = first.created_at + std::chrono::days(config.signing.previous_key_grace_days);
      previous = fmt::format("{} until {}", clock.Now() < *until ? "accepted" : "expired",
                             storage::FormatTime(*until));
    }
    core::Logger("app")->info("outcome=signing_keys key={} first_used={} previous=\"{}\"",
                              current.fingerprint(), storage::FormatTime(first.created_at),
                              previous);
    return workflow::SigningKeys(secrets.signing_key, secrets.signing_key_previous, until);
  }

  static TelegramSetupOptions TelegramSetupOptionsFor(const config::Config& config) {
    TelegramSetupOptions setup;
    setup.bot_username = config.telegram.bot_username;
    if (config.telegram.mode == config::TelegramMode::kWebhook) {
      setup.webhook_url = config.telegram.webhook_url;
      setup.secret_token = config.secrets.telegram_webhook_secret;
      setup.allowed_updates.assign(workflow::kTelegramUpdateTypes.begin(),
                                   workflow::kTelegramUpdateTypes.end());
      setup.check_interval = std::chrono::minutes(config.telegram.webhook_check_interval_minutes);
    }
    return setup;
  }

  // The monthly report's timer is set by each run for the next; when none is pending (first
  // start with [report], or a run that never happened) a report.schedule event sets it. After
  // the overdue timers fired, so a missed run is not scheduled a second time.
  void ScheduleMonthlyReport() {
    if (!config.report.enabled) return;
    const auto timer = database->GetTimer(workflow::kReportRunTimerKey);
    if (timer && timer->state == storage::TimerState::kPending) return;
    storage::NewEvent event;
    event.source = storage::EventSource::kInternal;
    event.received_at = clock.Now();
    event.dedupe_key = fmt::format("report.schedule:{}", core::ToUnixSeconds(event.received_at));
    event.kind = workflow::kEventReportSchedule;
    event.payload = "{}";
    if (auto appended = database->AppendEvent(event); !appended) {
      core::Logger("app")->error("event=report_not_scheduled error=\"{}\"",
                                 appended.error().ToString());
    }
  }

  // Telegram answered a send to `from` with "migrated to `to`" (a group became a supergroup).
  // Stored, so every later message goes to `to` at once, also after a restart; the staff
  // chat's own migration is announced once there (through an event, so it is said once).
  void NoteChatMigration(telegram::ChatId from, telegram::ChatId to) {
    const bool staff = database->CurrentChatId(config.telegram.staff_chat_id) == from;
    auto log = core::Logger("app");
    storage::NewEvent event;
    event.source = storage::EventSource::kInternal;
    event.dedupe_key = fmt::format("chat.migrated:{}:{}", from, to);
    event.kind = workflow::kEventTelegramChatMigrated;
    event.payload = workflow::ToJson(workflow::ChatMigration{from, to, staff});
    event.received_at = clock.Now();
    // The event first: should the process die before the mapping is stored, the next send
    // learns the migration again and the notice is still said once.
    if (auto appended = database->AppendEvent(event); !appended) {
      log->error("event=chat_migration_not_reported from={} to={} error=\"{}\"", from, to,
                 appended.error().ToString());
    }
    if (!database->RecordChatMigration(from, to, clock.Now())) return;
    if (staff) {
      staff_chat.store(to);
      log->warn(
          "event=staff_chat_migrated from={} to={} action=\"set telegram.staff_chat_id = {} in "
          "the config\"",
          from, to, to);
    } else {
      log->warn("event=chat_migrated from={} to={}", from, to);
    }
  }

  void OpenGoogle() {
    if (config.google.form_id.empty() || config.secrets.google_sa_key_file.empty()) {
      core::Logger("app")->warn(
          "outcome=reconciliation_off reason=\"no form id or service-account key\"");
      return;
    }
    auto key = google::LoadServiceAccountKey(config.secrets.google_sa_key_file);
    if (!key) throw std::invalid_argument("google service account: " + key.error().message);
    google::GoogleOptions google_options;
    google_options.forms_base_url = config.google.forms_base_url;
    google_options.token_url = config.google.token_url;
    google_options.key = std::move(*key);
    forms = std::make_unique<google::GoogleFormsClient>(http, clock, std::move(google_options));
    FormsReconcilerOptions reconcile;
    reconcile.form_id = config.google.form_id;
    reconcile.brief_code_question = config.google.brief_code_question;
    reconcile.interval = std::chrono::minutes(config.google.reconcile_interval_minutes);
    reconciler = std::make_unique<FormsReconciler>(*forms, *database, clock, reconcile);
  }

  // [bank]: the monobank client and its reconciler; nothing when the bank is off.
  void OpenBank() {
    if (!config.bank.enabled) return;
    bank::MonobankOptions bank_options;
    bank_options.base_url = config.bank.base_url;
    bank_options.token = config.secrets.monobank_token;
    monobank = std::make_unique<bank::MonobankClient>(http, clock, std::move(bank_options));
    BankReconcilerOptions reconcile;
    reconcile.accounts = config.bank.accounts;
    reconcile.webhook_url = config::MonobankWebhookUrl(config);
    reconcile.interval = std::chrono::seconds(config.bank.reconcile_interval_seconds);
    reconcile.first_lookback = std::chrono::days(config.bank.lookback_days);
    bank_reconciler =
        std::make_unique<BankReconciler>(*monobank, *database, clock, metrics, reconcile);
  }

  void StartServer() {
    http::ServerOptions server_options;
    server_options.host = config.server.host;
    server_options.port = config.server.port;
    server_options.body_limit_bytes = config.server.body_limit_bytes;
    server_options.threads = static_cast<std::size_t>(config.server.threads);
    server_options.keep_alive_timeout = std::chrono::seconds(config.server.keep_alive_seconds);
    server_options.max_connections = static_cast<std::size_t>(config.server.max_connections);
    server_options.max_connections_per_address =
        static_cast<std::size_t>(config.server.max_connections_per_address);
    server_options.trusted_proxies = config.server.trusted_proxies;
    // One setting for both: no single wait may outlast the whole request anyway.
    server_options.read_timeout = std::chrono::seconds(config.server.read_timeout_seconds);
    server_options.request_deadline = server_options.read_timeout;
    server_options.planfix_dedupe_window =
        std::chrono::seconds(config.server.planfix_dedupe_window_seconds);
    server_options.google_timestamp_tolerance =
        std::chrono::seconds(config.google.webhook_max_skew_seconds);
    http::Secrets secrets{config.secrets.planfix_webhook_secret,
                          config.secrets.google_webhook_secret,
                          config.telegram.mode == config::TelegramMode::kWebhook
                              ? config.secrets.telegram_webhook_secret
                              : std::string(),
                          config.secrets.admin_token};
    if (config.bank.enabled) {
      secrets.monobank_webhook_token = config.secrets.monobank_webhook_token;
      server_options.monobank_accounts = config.bank.accounts;
    }
    http::IngressHooks hooks;
    hooks.readiness_problems = [this] {
      std::vector<std::string> problems;
      if (!database->IsWritable()) problems.emplace_back("the database is not writable");
      if (auto telegram_problem = telegram_setup->Problem(); !telegram_problem.empty())
        problems.push_back(std::move(telegram_problem));
      return problems;
    };
    hooks.job_admin = job_admin.get();
    admin_console = std::make_unique<DatabaseAdminConsole>(config, *database, *executor, clock,
                                                           hooks.readiness_problems,
                                                           [this] { processor->Notify(); });
    hooks.admin_console = admin_console.get();
    server = std::make_unique<http::IngressServer>(server_options, *database, metrics, clock,
                                                   std::move(secrets), std::move(hooks));
    server->Start();
  }

  config::Config config;
  std::shared_ptr<const templates::TemplateSet> templates;
  core::Clock& clock;
  http::HttpClient& http;
  AppOptions options;
  core::Metrics metrics;
  calendar::WorkCalendar calendar;
  planfix::PlanfixClient planfix;
  telegram::TelegramClient telegram;
  WorkflowFacts facts;

  std::unique_ptr<storage::Database> database;
  std::optional<workflow::SigningKeys> signing;   // set by Open
  std::unique_ptr<TimeFeature> time;              // communication time (issue 14)
  std::unique_ptr<engine::EventHandler> handler;  // the workflow, unless options replace it
  std::unique_ptr<engine::EventProcessor> processor;
  std::unique_ptr<engine::EffectExecutor> executor;
  std::unique_ptr<engine::Scheduler> scheduler;
  std::unique_ptr<DatabaseJobAdmin> job_admin;
  std::unique_ptr<DatabaseAdminConsole> admin_console;
  std::unique_ptr<google::GoogleFormsClient> forms;
  std::unique_ptr<FormsReconciler> reconciler;
  std::unique_ptr<bank::MonobankClient> monobank;   // bank.enabled only
  std::unique_ptr<BankReconciler> bank_reconciler;  // bank.enabled only
  std::unique_ptr<Retention> retention;
  std::unique_ptr<http::IngressServer> server;
  std::unique_ptr<TelegramPoller> poller;  // telegram.mode = "polling" only
  std::unique_ptr<TelegramSetup> telegram_setup;
  // The staff chat as Telegram knows it now (the rules read it; a migration updates it).
  std::atomic<std::int64_t> staff_chat{0};
  std::vector<std::jthread> threads;
  bool started = false;
};

App::App(config::Config config, std::shared_ptr<const templates::TemplateSet> templates,
         core::Clock& clock, http::HttpClient& http, AppOptions options)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(templates), clock, http,
                                   std::move(options))) {}

App::~App() { Stop(); }

void App::Start() {
  if (impl_->started) return;
  auto log = core::Logger("app");
  impl_->Open();
  // This process is the database's one executor: a job still leased was left by a process
  // that ended during its call (kill -9), and runs again now instead of after its lease.
  const std::size_t released = impl_->database->ReleaseAbandonedJobs(impl_->clock.Now());
  // Overdue timers fire once at start-up, before anything new comes in.
  const std::size_t fired = impl_->scheduler->RunDue();
  impl_->time->Start();
  impl_->ScheduleMonthlyReport();
  ScheduleMoneyDigest(*impl_->database, impl_->config, impl_->clock.Now());
  impl_->StartServer();
  impl_->started = true;
  log->info(
      "outcome=started port={} database={} timers_fired_at_start={} jobs_released_at_start={}",
      port(), impl_->config.storage.path, fired, released);
  if (impl_->options.background_threads) {
    auto& impl = *impl_;
    impl.threads.emplace_back([&impl](const std::stop_token& stop) { impl.processor->Run(stop); });
    impl.threads.emplace_back([&impl](const std::stop_token& stop) { impl.executor->Run(stop); });
    impl.threads.emplace_back([&impl](const std::stop_token& stop) { impl.scheduler->Run(stop); });
    if (impl.reconciler) {
      impl.threads.emplace_back(
          [&impl](const std::stop_token& stop) { impl.reconciler->Run(stop); });
    }
    if (impl.config.storage.retention_days > 0) {
      impl.threads.emplace_back(
          [&impl](const std::stop_token& stop) { impl.retention->Run(stop); });
    }
    // Registers the bank's webhook, so it runs once the server listens (the bank probes it).
    if (impl.bank_reconciler) {
      impl.threads.emplace_back(
          [&impl](const std::stop_token& stop) { impl.bank_reconciler->Run(stop); });
    }
    // Stop waits for a Telegram call in flight: up to its request timeout.
    impl.threads.emplace_back(
        [&impl](const std::stop_token& stop) { impl.telegram_setup->Run(stop); });
    // Stop waits for a getUpdates in flight: up to telegram.polling_timeout_seconds.
    if (impl.poller) {
      impl.threads.emplace_back([&impl](const std::stop_token& stop) { impl.poller->Run(stop); });
    }
  }
}

void App::Stop() {
  if (!impl_->started) return;
  impl_->server->Stop();  // no new events; requests in flight finish first
  for (auto& thread : impl_->threads) thread.request_stop();
  impl_->processor->Notify();
  impl_->executor->Notify();
  impl_->scheduler->Notify();
  impl_->threads.clear();  // joins; an in-flight job finishes or is released
  impl_->server.reset();
  impl_->reconciler.reset();
  impl_->bank_reconciler.reset();
  impl_->monobank.reset();
  impl_->forms.reset();
  impl_->poller.reset();
  impl_->telegram_setup.reset();
  impl_->job_admin.reset();
  impl_->admin_console.reset();
  impl_->scheduler.reset();
  impl_->executor.reset();
  impl_->processor.reset();
  impl_->handler.reset();
  impl_->time.reset();
  impl_->database.reset();  // closes the database cleanly
  impl_->started = false;
  core::Logger("app")->info("outcome=stopped");
}

int App::port() const { return impl_->server ? impl_->server->port() : 0; }

std::size_t App::RunUntilIdle() {
  if (!impl_->started) throw std::logic_error("RunUntilIdle before Start");
  std::size_t steps = 0;
  for (;;) {
    std::size_t round = impl_->telegram_setup->RunDue();
    if (impl_->poller) round += impl_->poller->PollOnce(std::chrono::seconds(0)).value_or(0);
    while (impl_->processor->RunOnce() != engine::ProcessOutcome::kIdle) ++round;
    round += impl_->scheduler->RunDue();
    if (impl_->reconciler) round += impl_->reconciler->RunDue();
    if (impl_->bank_reconciler) round += impl_->bank_reconciler->RunDue();
    round += impl_->retention->RunDue();
    while (impl_->executor->RunOnce() != engine::JobOutcome::kIdle) ++round;
    if (round == 0) return steps;
    steps += round;
  }
}

storage::Database& App::database() { return *impl_->database; }
core::Metrics& App::metrics() { return impl_->metrics; }

int Serve(config::Config config, std::shared_ptr<const templates::TemplateSet> templates,
          AppOptions options) {
  core::SetLogLevel(config.logging.level);
  for (const auto& warning : config::ConfigWarnings(config)) {
    core::Logger("app")->warn("event=config_warning key={} message=\"{}\"", warning.key_path,
                              warning.message);
  }
  // Block the stop signals in every thread (the ones started below inherit the mask) and
  // wait for them here, so shutdown runs on this thread and not in a signal handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  core::SystemClock clock;
  http::CurlHttpClient http;
  App app(std::move(config), std::move(templates), clock, http, std::move(options));
  app.Start();
  int received = 0;
  sigwait(&signals, &received);
  core::Logger("app")->info("outcome=stopping signal={}",
                            received == SIGTERM ? "SIGTERM" : "SIGINT");
  app.Stop();
  return 0;
}

}  // namespace planfix_flow::app
