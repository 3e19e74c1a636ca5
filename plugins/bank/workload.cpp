// bank.workload: many clients making the tutorial's transfers at once, as `cockroach workload
// run bank` and pgbench do, with live progress, a summary, and an audit of the bank's invariants.
#include <chrono>
#include <cstdio>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <roachrun/roachrun.hpp>
#include <spdlog/spdlog.h>

#include "accounts.hpp"
#include "audit.hpp"
#include "steps.hpp"
#include "workload_client.hpp"
#include "host_spread.hpp"
#include "workload_config.hpp"
#include "workload_schema.hpp"
#include "workload_stats.hpp"

namespace roachrun_bank {

namespace {

using clock = std::chrono::steady_clock;

double ms(double micros) { return micros / 1000.0; }

std::string fixed(double v, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, v);
  return buffer;
}

// The clients' threads: each connects, then all start transferring together once every one is
// connected (so the clock, like pgbench's, leaves connection set-up out); stopped and joined on
// every way out of the step.
class ClientThreads {
 public:
  ClientThreads(RunControl& control, int clients) : control_(control), ready_(clients) {}
  ~ClientThreads() {
    go();
    stop_and_join();
  }
  void start(WorkloadClient& client) {
    running_.fetch_add(1);
    threads_.emplace_back([this, &client] {
      const bool connected = client.connect();
      ready_.count_down();
      go_.wait();
      if (connected) client.run();
      const auto end = clock::now().time_since_epoch().count();
      auto last = last_end_.load();
      while (end > last && !last_end_.compare_exchange_weak(last, end)) {
      }
      running_.fetch_sub(1);
    });
  }
  // Waits until every client has connected (or failed to), then lets them all go.
  void wait_until_ready() { ready_.wait(); }
  void go() {
    if (!released_) go_.count_down();
    released_ = true;
  }
  bool running() const { return running_.load() > 0; }
  void stop_and_join() {
    control_.stop();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }
  clock::time_point last_end() const { return clock::time_point(clock::duration(last_end_.load())); }

 private:
  RunControl& control_;
  std::vector<std::thread> threads_;
  std::atomic<int> running_{0};
  std::atomic<clock::rep> last_end_{0};
  std::latch ready_;
  std::latch go_{1};
  bool released_ = false;
};

// One progress line: the last interval's rate and latencies, the run's retries and failures.
std::string progress_line(double elapsed_s, double interval_s, const Totals& now, const Totals& before) {
  LatencyHistogram::Snapshot interval = now.latency;
  interval.subtract(before.latency);
  const auto done = (now.committed + now.declined) - (before.committed + before.declined);
  return "progress: " + fixed(elapsed_s, 1) + " s, " + fixed(static_cast<double>(done) / interval_s, 1) +
         " transfers/s, lat p50 " + fixed(ms(interval.quantile(0.50)), 3) + " ms p99 " +
         fixed(ms(interval.quantile(0.99)), 3) + " ms, retries " + std::to_string(now.retries) + ", failures " +
         std::to_string(now.failures);
}

// The audit after the run. After a lost target it waits (up to 10 s) for the server to answer
// again; if it does not, the audit says it could not run rather than guess.
struct AuditOutcome {
  std::optional<AuditReport> report;
  std::string could_not;  // why there is no report
};

AuditOutcome run_audit(roachrun::StepContext& ctx, const WorkloadConfig& config, const std::string& table,
                       const std::string& ledger) {
  const auto give_up = clock::now() + std::chrono::seconds(10);
  for (;;) {
    try {
      roachrun::Connection conn = roachrun::Connection::open(ctx.connection_options(""), "workload audit");
      return {audit_accounts(conn, table, config.ledger ? ledger : std::string(), config.accounts, config.initial_balance),
              {}};
    } catch (const roachrun::ConnectError& e) {
      if (clock::now() >= give_up || ctx.interrupted().load()) return {std::nullopt, e.what()};
      ctx.log().warn("audit: cannot connect yet, retrying for up to 10 s: {}", e.what());
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    } catch (const roachrun::DbError& e) {
      if (!roachrun::is_connection_lost_sqlstate(e.sqlstate()) || clock::now() >= give_up) return {std::nullopt, e.what()};
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
}

void run(roachrun::StepContext& ctx, const roachrun::Params& p) {
  const WorkloadConfig config = workload_config(p, ctx.retry_policy());
  roachrun::Connection& conn = ctx.connection();
  require_no_transaction(conn, "bank.workload");
  const std::string table = conn.escape_identifier(config.table);
  const std::string ledger = conn.escape_identifier(config.ledger_table);

  const auto fill_start = clock::now();
  create_workload_tables(conn, table, ledger, config.accounts, config.initial_balance, config.ledger);
  ctx.log().info("bank.workload: {} accounts of {} in {} ({} ms)", config.accounts, config.initial_balance, config.table,
                 std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - fill_start).count());

  const bool cockroach = conn.dialect().is_cockroach();
  const WorkloadSql sql = WorkloadSql::build(config, table, ledger, cockroach);
  int hosts = 1;
  std::vector<LibpqOptions> options = spread_over_hosts(ctx.connection_options(""), config.clients, hosts);

  RunControl control(config.transfers);
  FailureLog failures;
  std::vector<std::unique_ptr<ClientStats>> stats;
  std::vector<std::unique_ptr<WorkloadClient>> clients;
  for (int i = 0; i < config.clients; ++i) {
    stats.push_back(std::make_unique<ClientStats>());
    clients.push_back(std::make_unique<WorkloadClient>(i, config, sql, std::move(options[static_cast<std::size_t>(i)]),
                                                       control, *stats.back(), failures));
  }
  ctx.log().info("bank.workload: {} clients{} on {}, protocol {}, isolation {}, {}{}", config.clients,
                 hosts > 1 ? " over " + std::to_string(hosts) + " hosts" : std::string(),
                 cockroach ? "CockroachDB" : "PostgreSQL", to_string(config.protocol),
                 roachrun::to_string(config.retry.isolation),
                 config.duration ? "for " + std::to_string(config.duration->count()) + " ms" : std::string(),
                 config.transfers ? (config.duration ? " or " : "") + std::to_string(*config.transfers) + " transfers"
                                  : std::string());

  // The main thread watches: the deadline, Ctrl-C, the clients finishing, and a progress line a second.
  ClientThreads threads(control, config.clients);
  for (auto& client : clients) threads.start(*client);
  threads.wait_until_ready();
  const auto start = clock::now();
  threads.go();
  const auto deadline = config.duration ? start + *config.duration : clock::time_point::max();
  auto next_progress = start + std::chrono::seconds(1);
  Totals before, now;
  auto before_at = start;
  while (threads.running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto t = clock::now();
    if (t >= deadline || ctx.interrupted().load()) control.stop();
    // Past max_failures the step fails whatever comes next: no point running on.
    if (config.max_failures && failures_so_far(stats) > static_cast<std::uint64_t>(*config.max_failures)) control.stop();
    if (ctx.progress_enabled() && t >= next_progress) {
      add_up(stats, now);
      ctx.progress(progress_line(std::chrono::duration<double>(t - start).count(),
                                 std::chrono::duration<double>(t - before_at).count(), now, before));
      std::swap(before, now);
      before_at = t;
      next_progress += std::chrono::seconds(1);
    }
  }
  threads.stop_and_join();
  const double elapsed = std::max(1e-9, std::chrono::duration<double>(threads.last_end() - start).count());

  Totals total;
  add_up(stats, total);
  const std::exception_ptr fatal = control.fatal();
  const AuditOutcome audit = run_audit(ctx, config, table, ledger);
  const auto by_sqlstate = failures.by_sqlstate();

  // The summary: stdout, as the step's output.
  const double rate = static_cast<double>(total.committed + total.declined) / elapsed;
  std::ostream& out = ctx.out();
  out << "workload: protocol " << to_string(config.protocol) << ", " << config.clients
      << (config.clients == 1 ? " client, " : " clients, ") << config.accounts
      << " accounts, isolation " << roachrun::to_string(config.retry.isolation) << ", " << fixed(elapsed, 1) << " s\n";
  out << "transfers: " << total.committed << " committed (" << fixed(rate, 1) << "/s), " << total.declined
      << " declined (insufficient funds)";
  if (total.unfinished > 0) out << ", " << total.unfinished << " unfinished at stop";
  out << "\n";
  out << "latency: p50 " << fixed(ms(total.latency.quantile(0.50)), 3) << " ms, p95 "
      << fixed(ms(total.latency.quantile(0.95)), 3) << " ms, p99 " << fixed(ms(total.latency.quantile(0.99)), 3)
      << " ms, max " << fixed(ms(static_cast<double>(total.latency.max)), 3) << " ms\n";
  out << "retries: " << total.retries << " (backoff " << fixed(static_cast<double>(total.backoff_us) / 1e6, 3) << " s)\n";
  out << "failures: " << total.failures;
  if (!by_sqlstate.empty()) {
    out << " (";
    bool first = true;
    for (const auto& [state, count] : by_sqlstate) out << (first ? "" : ", ") << state << ": " << count, first = false;
    out << ")";
  }
  out << "\n";
  out << "audit: " << (audit.report ? describe(*audit.report, config.initial_balance) : "could not run: " + audit.could_not)
      << "\n";
  out.flush();

  roachrun::Value failures_json = roachrun::Value::object();
  for (const auto& [state, count] : by_sqlstate) failures_json[state] = count;
  ctx.set_result({
      {"protocol", to_string(config.protocol)},
      {"clients", config.clients},
      {"hosts", hosts},
      {"accounts", config.accounts},
      {"initial_balance", config.initial_balance},
      {"isolation", roachrun::to_string(config.retry.isolation)},
      {"distribution", to_string(config.distribution)},
      {"seed", config.seed},
      {"elapsed_seconds", elapsed},
      {"committed", total.committed},
      {"declined", total.declined},
      {"unfinished", total.unfinished},
      {"transfers_per_second", rate},
      {"latency_ms",
       {{"p50", ms(total.latency.quantile(0.50))},
        {"p95", ms(total.latency.quantile(0.95))},
        {"p99", ms(total.latency.quantile(0.99))},
        {"max", ms(static_cast<double>(total.latency.max))}}},
      {"retries", total.retries},
      {"backoff_seconds", static_cast<double>(total.backoff_us) / 1e6},
      {"failures", total.failures},
      {"failures_by_sqlstate", std::move(failures_json)},
      {"audit", audit.report ? to_json(*audit.report)
                             : roachrun::Value{{"ok", nullptr}, {"could_not_run", audit.could_not}}},
  });

  // What failed the step, most fundamental first: the error that stopped the run, a broken
  // invariant, then too many failed transfers.
  if (fatal) {
    const std::string audit_text =
        audit.report ? "; the audit afterwards: " + describe(*audit.report, config.initial_balance)
                     : "; the audit could not run: " + audit.could_not;
    try {
      std::rethrow_exception(fatal);
    } catch (const roachrun::ConnectError& e) {
      // Could not connect at the start: the target is unreachable (exit 3). Lost it during the
      // run and could not get it back: the step failed (exit 1), after the audit.
      if (!control.fatal_during_run()) throw;
      throw roachrun::StepError("lost the target during the run and could not reconnect: " + std::string(e.what()) +
                                audit_text);
    } catch (const roachrun::DbError& e) {
      if (!control.fatal_during_run()) throw;
      throw roachrun::DbError(e.sqlstate(), e.server_message(), "the workload stopped" + audit_text);
    }
  }
  if (audit.report && !audit.report->ok())
    throw roachrun::StepError("audit " + describe(*audit.report, config.initial_balance));
  if (!audit.report) throw roachrun::StepError("the audit could not run: " + audit.could_not);
  if (config.max_failures && total.failures > static_cast<std::uint64_t>(*config.max_failures))
    throw roachrun::StepError(std::to_string(total.failures) + " transfers failed after their retries (" +
                              failures.first_message() + "), more than max_failures: " +
                              std::to_string(*config.max_failures));
}

void run_audit_step(roachrun::StepContext& ctx, const roachrun::Params& p) {
  roachrun::Connection& conn = ctx.connection();
  require_no_transaction(conn, "bank.audit");
  const std::string table = quoted_table(conn, p);
  const std::string ledger = p.boolean("ledger") ? conn.escape_identifier(p.string("table") + "_ledger") : "";
  const std::int64_t initial = p.integer("initial_balance");
  const AuditReport report = audit_accounts(conn, table, ledger, p.integer("accounts"), initial);
  ctx.out() << "audit: " << describe(report, initial) << "\n";
  ctx.set_result(to_json(report));
  if (!report.ok()) throw roachrun::StepError("audit " + describe(report, initial));
}

}  // namespace

roachrun::StepType workload_step() {
  return roachrun::StepType{
      .name = "workload",
      .doc = "Concurrent transfers between accounts for a while, with progress, a summary and an audit",
      .params = workload_params(),
      .run = run,
      .check = check_workload,
  };
}

roachrun::StepType audit_step() {
  using roachrun::ParamType;
  roachrun::ParamSpec accounts = roachrun::optional_param("accounts", ParamType::integer, "accounts expected, 1..N", 1000);
  accounts.min = 1;
  roachrun::ParamSpec initial =
      roachrun::optional_param("initial_balance", ParamType::integer, "every account's balance at the start", 1000);
  initial.min = 0;
  return roachrun::StepType{
      .name = "audit",
      .doc = "Check a workload's accounts: total conserved, none negative, balances agree with the ledger",
      .params = {accounts, initial,
                 roachrun::optional_param("ledger", ParamType::boolean, "also check every account against <table>_ledger",
                                          false),
                 table_param()},
      .run = run_audit_step,
      .check = check_table,
  };
}

}  // namespace roachrun_bank
