// bank.workload: many clients making the tutorial's transfers at once, as `cockroach workload
// run bank` and pgbench do, with live progress, a summary, and an audit of the bank's invariants.
#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <roachrun/roachrun.hpp>
#include <spdlog/spdlog.h>

#include "accounts.hpp"
#include "audit.hpp"
#include "client.hpp"
#include "client_threads.hpp"
#include "config.hpp"
#include "host_spread.hpp"
#include "schema.hpp"
#include "stats.hpp"
#include "steps.hpp"
#include "summary.hpp"
#include "time_series.hpp"

namespace roachrun_bank {

namespace {

using clock = std::chrono::steady_clock;

// The clients of one run and what they count.
struct Clients {
  RunControl control;
  FailureLog failures;
  OutageSpans outages;
  std::vector<std::unique_ptr<ClientStats>> stats;
  std::vector<std::unique_ptr<WorkloadClient>> clients;

  // REQUIRES: `spread` outlives the clients (they count by its hosts).
  Clients(const WorkloadConfig& config, const WorkloadSql& sql, HostSpread& spread) : control(config.transfers) {
    for (int i = 0; i < config.clients; ++i) {
      stats.push_back(std::make_unique<ClientStats>(spread.hosts.size()));
      clients.push_back(std::make_unique<WorkloadClient>(i, config, sql,
                                                         std::move(spread.clients[static_cast<std::size_t>(i)]),
                                                         spread.hosts, control, *stats.back(), failures, outages));
    }
  }
};

// What the clients did, as it went.
struct Measured {
  clock::time_point start;
  double elapsed_seconds = 0;
  std::vector<Interval> series;
};

// The clients' figures so far, with the retry engine's fault record (for the reconnects of each
// host; read only when there are several, as the record takes a lock).
struct Sample {
  Totals totals;
  roachrun::FaultRecords faults;
};

void take_sample(const Clients& run, std::size_t hosts, Sample& out) {
  add_up(run.stats, out.totals);
  if (hosts > 1) out.faults = roachrun::fault_records();
}

// Runs the clients until they stop: the deadline, Ctrl-C, max_failures, or the transfer count.
// Every config.interval a row of the time series, and the progress line from it (at most one a
// second); the last row is the part-interval up to the last transfer, so the rows add up to the
// run's totals.
Measured run_clients(roachrun::StepContext& ctx, const WorkloadConfig& config, Clients& run,
                     const std::vector<std::string>& endpoints) {
  ClientThreads threads(run.control, config);
  threads.start(run.clients);
  threads.wait_until_ready();
  Measured measured;
  measured.start = clock::now();
  const auto start = measured.start;
  threads.go();
  const auto deadline = config.duration ? start + *config.duration : clock::time_point::max();
  auto next_row = start + config.interval;
  auto next_progress = start + std::chrono::seconds(1);
  // `older`: the sample the last row started from, so a short tail can join that row.
  Sample older, before, now;
  auto before_at = start, older_at = start;
  const auto since_start = [&start](clock::time_point t) { return std::chrono::duration<double>(t - start).count(); };
  const auto row_between = [&](const Sample& from, clock::time_point from_at, clock::time_point t) {
    return interval_between(since_start(from_at), std::chrono::duration<double>(t - from_at).count(), now.totals,
                            from.totals, endpoints, now.faults, from.faults);
  };
  const auto add_row = [&](clock::time_point t) {
    measured.series.push_back(row_between(before, before_at, t));
    std::swap(older, before);
    std::swap(before, now);
    older_at = before_at;
    before_at = t;
  };
  while (threads.running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto t = clock::now();
    if (t >= deadline || ctx.interrupted().load()) run.control.stop();
    // Past max_failures the step fails whatever comes next: no point running on.
    if (config.max_failures && failures_so_far(run.stats) > static_cast<std::uint64_t>(*config.max_failures))
      run.control.stop();
    if (t >= next_row) {
      take_sample(run, endpoints.size(), now);
      add_row(t);
      while (next_row <= t) next_row += config.interval;  // a late wake-up skips, never bunches up
      if (ctx.progress_enabled() && t >= next_progress) {
        // add_row() made the sample just taken `before`: the run's figures up to now.
        ctx.progress(progress_line(since_start(t), measured.series.back(), before.totals));
        while (next_progress <= t) next_progress += std::chrono::seconds(1);
      }
    }
  }
  threads.stop_and_join();
  const auto end = std::max(threads.last_end(), before_at);
  take_sample(run, endpoints.size(), now);
  // The tail after the last full interval, usually the few ms the clients took to stop: shorter
  // than half an interval, it joins the row before (a rate over 20 ms is noise that looks like a
  // collapse); else it is a row of its own. Either way the rows add up to the run.
  if (!measured.series.empty() && end - before_at < config.interval / 2) {
    measured.series.back() = row_between(older, older_at, end);
  } else if (end > before_at) {
    measured.series.push_back(row_between(before, before_at, end));
  } else if (measured.series.empty()) {
    measured.series.push_back(row_between(before, before_at, end));  // no time at all: one empty row
  }
  measured.elapsed_seconds = std::max(1e-9, since_start(end));
  return measured;
}

// The audit after the run, on the step's own connection (it sat idle during the run). After a
// lost target it waits as every step does, within retry.reconnect_budget (the retry engine); if
// the target does not answer by then, the audit says it could not run rather than guess. After
// Ctrl-C it does not run at all: its statements could wait for locks the interrupt was meant to
// get away from, and no new connection may be opened then; the summary says so and bank.audit
// checks later.
AuditOutcome audit_after_run(roachrun::StepContext& ctx, const WorkloadConfig& config, const std::string& table,
                             const std::string& ledger) {
  const AuditOutcome interrupted{std::nullopt, "interrupted (bank.audit checks the accounts later)"};
  if (ctx.interrupted().load()) return interrupted;
  try {
    return {audit_accounts(ctx, table, config.ledger ? ledger : std::string(), config.accounts, config.initial_balance),
            {}};
  } catch (const roachrun::Interrupted&) {
    return interrupted;
  } catch (const roachrun::Error& e) {
    if (ctx.interrupted().load()) return interrupted;  // a statement cancelled by Ctrl-C
    return {std::nullopt, e.what()};
  }
}

// What failed the step, most fundamental first: the error that stopped the run, a broken
// invariant, then too many failed transfers. Returns if nothing did.
void verdict(const WorkloadConfig& config, const Clients& run, const Totals& total, const AuditOutcome& audit) {
  if (const std::exception_ptr fatal = run.control.fatal()) {
    const std::string audit_text = audit.report ? "; the audit afterwards: " + audit.text(config.initial_balance)
                                                : "; the audit " + audit.text(config.initial_balance);
    try {
      std::rethrow_exception(fatal);
    } catch (const roachrun::ConnectError& e) {
      // Could not connect at the start: the target is unreachable (exit 3). Lost it during the
      // run and could not get it back: the step failed (exit 1), after the audit.
      if (!run.control.fatal_during_run()) {
        if (std::string_view(e.what()).find("too many clients") == std::string_view::npos) throw;
        // SQLSTATE 53300: the server's connection limit, not an unreachable target.
        int admitted = 0;
        for (const auto& client : run.clients) admitted += client->connected() ? 1 : 0;
        throw roachrun::ConnectError(
            e.endpoint(), "the server admitted " + std::to_string(admitted) + " of the " +
                              std::to_string(config.clients) + " clients asked for: " + e.what() +
                              "\n  hint: its connection limit is the cause (PostgreSQL's max_connections, "
                              "CockroachDB's server.max_connections_per_gateway): ask for fewer clients, or raise "
                              "the limit");
      }
      throw roachrun::StepError("lost the target during the run and could not reconnect: " + std::string(e.what()) +
                                audit_text);
    } catch (const roachrun::DbError& e) {
      if (!run.control.fatal_during_run()) throw;
      throw roachrun::DbError(e.sqlstate(), e.server_message(), "the workload stopped" + audit_text);
    }
  }
  if (!audit.report) throw roachrun::StepError("the audit " + audit.text(config.initial_balance));
  if (!audit.report->ok()) throw roachrun::StepError("audit " + audit.text(config.initial_balance));
  if (config.max_failures && total.failures > static_cast<std::uint64_t>(*config.max_failures))
    throw roachrun::StepError(std::to_string(total.failures) + " transfers failed after their retries (" +
                              run.failures.first_message() + "), more than max_failures: " +
                              std::to_string(*config.max_failures));
}

void run(roachrun::StepContext& ctx, const roachrun::Params& p) {
  const WorkloadConfig config = workload_config(p, ctx.retry_policy());
  roachrun::Connection& conn = ctx.connection();
  require_no_transaction(conn, "bank.workload");
  const std::string table = conn.escape_identifier(config.table);
  const std::string ledger = conn.escape_identifier(config.ledger_table);

  const auto fill_start = clock::now();
  // Dropped and created afresh, so safe to run again whole on a new session if the connection is lost.
  roachrun::run_reconnecting(ctx, [&](roachrun::Connection& c) {
    create_workload_tables(c, table, ledger, config.accounts, config.initial_balance, config.ledger);
  });
  ctx.log().info("bank.workload: {} accounts of {} in {} ({} ms)", config.accounts, config.initial_balance, config.table,
                 std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - fill_start).count());

  const bool cockroach = is_cockroach(ctx);
  const WorkloadSql sql = WorkloadSql::build(config, table, ledger, cockroach);
  HostSpread spread = spread_over_hosts(ctx.connection_options(""), config.clients);
  // One host: named as its sessions name it (a socket directory, a default port, ...).
  if (spread.hosts.size() == 1) spread.hosts[0] = conn.endpoint();
  const int hosts = static_cast<int>(spread.hosts.size());
  Clients clients(config, sql, spread);
  ctx.log().info("bank.workload: {} clients{} on {}, protocol {}, engine {}{}, isolation {}, {}{}", config.clients,
                 hosts > 1 ? " over " + std::to_string(hosts) + " hosts" : std::string(),
                 cockroach ? "CockroachDB" : "PostgreSQL", to_string(config.protocol), to_string(config.engine),
                 config.engine == WorkloadEngine::events
                     ? " (" + std::to_string(std::min(config.threads, config.clients)) + " threads)"
                     : std::string(),
                 roachrun::to_string(config.retry.isolation),
                 config.duration ? "for " + std::to_string(config.duration->count()) + " ms" : std::string(),
                 config.transfers ? (config.duration ? " or " : "") + std::to_string(*config.transfers) + " transfers"
                                  : std::string());

  // The engine's fault record is the process's: what this run added is the difference.
  const roachrun::FaultRecords faults_before = roachrun::fault_records();
  const Measured measured = run_clients(ctx, config, clients, spread.hosts);
  const double elapsed = measured.elapsed_seconds;
  Totals total;
  add_up(clients.stats, total);
  add_faults(total, spread.hosts, roachrun::fault_records_since(faults_before));
  const AuditOutcome audit = audit_after_run(ctx, config, table, ledger);
  const auto by_sqlstate = clients.failures.by_sqlstate();
  const RunSummary summary{config, hosts, elapsed, total, by_sqlstate, audit};
  print_summary(ctx.out(), summary);  // stdout: the step's output
  ctx.out().flush();
  roachrun::Value result = summary_json(summary);
  add_time_series_json(result, config.interval, measured.series, clients.outages.spans(), measured.start,
                       total.latency);
  ctx.set_result(std::move(result));
  verdict(config, clients, total, audit);
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

}  // namespace roachrun_bank
