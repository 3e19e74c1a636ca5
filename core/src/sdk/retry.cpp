#include "roachrun/retry.hpp"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <random>
#include <thread>
#include <typeinfo>

#include <spdlog/spdlog.h>

#include "roachrun/connection.hpp"
#include "fault_registry.hpp"
#include "roachrun/error.hpp"
#include "roachrun/io_wait.hpp"
#include "roachrun/step.hpp"

namespace roachrun {

namespace {

constexpr const char* kSavepoint = "cockroach_restart";  // spelled out in the statements below

// Said once per process: the savepoint protocol cannot work as CockroachDB's on PostgreSQL.
std::once_flag postgres_savepoint_notice;

// A plain DbError from the server, as Connection throws it (no context of its own yet).
bool is_bare_db_error(const DbError& e) {
  return typeid(e) == typeid(DbError) && std::string_view(e.what()) == DbError(e.sqlstate(), e.server_message(), "").what();
}

// Calls connect() until it stops throwing ConnectError, waiting 50 ms, 100 ms, ... up to 1 s
// between tries, within policy.reconnect_budget from the first refusal; refused(error, since)
// sees each refusal that will be tried again (to record the outage). A refusal waitable(error)
// says no to is thrown at once, as is one past the budget, then saying how long it was tried.
// Ctrl-C (hooks.interrupted) ends a wait with Interrupted.
template <typename Connect, typename Waitable, typename Refused>
auto connect_within_budget(const RetryPolicy& policy, const RetryHooks& hooks, std::string_view verb,
                           Connect connect, Waitable waitable, Refused refused) {
  using clock = std::chrono::steady_clock;
  std::optional<clock::time_point> first_failure;
  std::chrono::milliseconds wait{50};
  for (;;) {
    try {
      return connect(first_failure.has_value());
    } catch (const ConnectError& e) {
      const auto now = clock::now();
      if (!first_failure) first_failure = now;
      const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(now - *first_failure);
      if (!waitable(e)) throw;
      if (spent + wait > policy.reconnect_budget) {
        if (spent.count() == 0) throw;
        throw ConnectError(e.endpoint(), std::string(e.what()) + "\n  (still refused after " + std::string(verb) +
                                             " for " + std::to_string(spent.count()) +
                                             " ms: retry: reconnect_budget is " +
                                             std::to_string(policy.reconnect_budget.count()) + " ms)");
      }
      refused(e, *first_failure);
    }
    if (!sleep_unless(wait, hooks.interrupted)) throw Interrupted();
    wait = std::min(wait * 2, std::chrono::milliseconds(1000));
  }
}

// The first line of an error's text, for the one-line outage messages.
std::string first_line(std::string_view text) { return std::string(text.substr(0, text.find('\n'))); }

// Replaces a session lost on its endpoint (the engine noticed at `noticed`, for `reason`), trying
// again within policy.reconnect_budget while the target refuses (a restart, "the database system
// is shutting down"/"starting up", a node that went away). Every replacement and outage goes to
// the process's fault record (faults.hpp), which also says each outage once on the log.
void reconnect_through_outage(Connection& conn, const RetryPolicy& policy, const RetryHooks& hooks,
                              std::chrono::steady_clock::time_point noticed, std::string_view reason) {
  spdlog::logger* log = hooks.log ? hooks.log : spdlog::default_logger_raw();
  FaultRegistry& faults = FaultRegistry::instance();
  // Where the session was: a multi-host target's reconnect may land on another host.
  const std::string lost = conn.endpoint();
  connect_within_budget(
      policy, hooks, "reconnecting",
      [&](bool) {
        conn.reconnect();
        const std::string got = conn.endpoint();
        faults.replaced(lost, got, got != lost && passed_over(conn, lost, got), noticed,
                        reason.empty() ? "the connection was lost" : first_line(reason), log);
      },
      // A session that was there: whatever refuses it now is waited out (it was let in before).
      [](const ConnectError&) { return true; },
      [&](const ConnectError& e, auto) { faults.refused(lost, e.what(), policy.reconnect_budget, noticed, log); });
}

}  // namespace

bool is_retryable_sqlstate(std::string_view sqlstate) noexcept { return sqlstate == "40001" || sqlstate == "40P01"; }

bool is_connection_lost_sqlstate(std::string_view sqlstate) noexcept {
  return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03";
}

Disposition classify(std::string_view sqlstate, bool during_commit) noexcept {
  if (is_retryable_sqlstate(sqlstate)) return Disposition::retryable;
  if (sqlstate == "40003") return Disposition::ambiguous;
  if (is_connection_lost_sqlstate(sqlstate)) return during_commit ? Disposition::ambiguous : Disposition::connection_lost;
  return Disposition::final;
}

Disposition classify(const DbError& error, bool during_commit) noexcept {
  return classify(std::string_view(error.sqlstate()), during_commit);
}

std::string_view to_string(Disposition d) noexcept {
  switch (d) {
    case Disposition::retryable: return "retryable";
    case Disposition::ambiguous: return "ambiguous";
    case Disposition::connection_lost: return "connection lost";
    case Disposition::final: return "final";
  }
  return "final";
}

std::string_view to_string(RetryProtocol p) noexcept {
  return p == RetryProtocol::savepoint ? "savepoint" : "rollback";
}

std::string_view to_string(Isolation i) noexcept {
  switch (i) {
    case Isolation::serializable: return "serializable";
    case Isolation::repeatable_read: return "repeatable_read";
    case Isolation::read_committed: return "read_committed";
    case Isolation::server_default: return "server_default";
  }
  return "serializable";
}

const char* begin_statement(Isolation i) noexcept {
  switch (i) {
    case Isolation::serializable: return "BEGIN ISOLATION LEVEL SERIALIZABLE";
    case Isolation::repeatable_read: return "BEGIN ISOLATION LEVEL REPEATABLE READ";
    case Isolation::read_committed: return "BEGIN ISOLATION LEVEL READ COMMITTED";
    case Isolation::server_default: return "BEGIN";
  }
  return "BEGIN";
}

const char* session_isolation_statement(Isolation i) noexcept {
  switch (i) {
    case Isolation::serializable: return "SET default_transaction_isolation = 'serializable'";
    case Isolation::repeatable_read: return "SET default_transaction_isolation = 'repeatable read'";
    case Isolation::read_committed: return "SET default_transaction_isolation = 'read committed'";
    case Isolation::server_default: return "";
  }
  return "";
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry, double unit) noexcept {
  double ms = std::ldexp(static_cast<double>(policy.base_backoff.count()), retry) * (unit + 0.5);
  double cap = static_cast<double>(policy.max_backoff.count());
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::min(ms, cap)));
}

bool sleep_unless(std::chrono::nanoseconds duration, const std::atomic<bool>* stop) noexcept {
  using clock = std::chrono::steady_clock;
  const auto until = clock::now() + duration;
  for (;;) {
    if (stop && stop->load(std::memory_order_relaxed)) return false;
    const auto now = clock::now();
    if (now >= until) return true;
    const auto slice = std::min<clock::duration>(until - now, std::chrono::milliseconds(20));
    // Under an event loop the thread runs other clients meanwhile.
    if (IoWaiter* waiter = current_io_waiter()) waiter->sleep_until(now + slice);
    else std::this_thread::sleep_for(slice);
  }
}

// --- strategies ------------------------------------------------------------------------------

AttemptStrategy::~AttemptStrategy() = default;

void AttemptStrategy::abandon(Connection& conn) noexcept {
  try {
    if (conn.is_ok() && conn.in_transaction()) conn.exec_simple("ROLLBACK");
  } catch (...) {
    // The transaction is over either way (the server rolls back what a lost session had).
  }
}

bool AttemptStrategy::resolves_ambiguity() const noexcept { return false; }
bool AttemptStrategy::committed(Connection&) { return false; }
std::string AttemptStrategy::ambiguous_advice() const { return {}; }
void AttemptStrategy::new_session(Connection&) {}
bool AttemptStrategy::resumes_at_savepoint() const noexcept { return false; }

StatementStrategy::StatementStrategy(const RetryPolicy& policy) noexcept
    : begin_(begin_statement(policy.isolation)), savepoint_(policy.protocol == RetryProtocol::savepoint) {}

void StatementStrategy::run(Connection& conn, Attempt& attempt) {
  if (attempt.resume_at_savepoint) {
    conn.exec_simple("ROLLBACK TO SAVEPOINT cockroach_restart");
  } else {
    conn.exec_simple(begin_);
    if (savepoint_) conn.exec_simple("SAVEPOINT cockroach_restart");
  }
  work(conn, attempt);
  if (savepoint_) {
    attempt.phase = AttemptPhase::releasing;
    conn.exec_simple("RELEASE SAVEPOINT cockroach_restart");
  }
  attempt.phase = AttemptPhase::committing;
  conn.exec_simple("COMMIT");
}

bool StatementStrategy::resumes_at_savepoint() const noexcept { return savepoint_; }

// --- the engine ------------------------------------------------------------------------------

TransactionStats run_attempts(Connection& conn, AttemptStrategy& strategy, const RetryPolicy& policy,
                              const RetryHooks& hooks) {
  using clock = std::chrono::steady_clock;
  TransactionStats local;
  TransactionStats& stats = hooks.stats ? *hooks.stats : local;
  stats = TransactionStats{};
  // Seeded on the first retry only: most transactions commit at once, and a workload runs this
  // once per transfer, so the common path stays free of allocations and system calls.
  std::optional<std::mt19937_64> rng;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const auto start = clock::now();
  // `noticed`: when the engine found the session lost; the time until the new one is the
  // caller's time without a connection. A session lost again before the strategy set it up
  // (killed as soon as it connected) is replaced once more, within reconnect_budget: its DbError
  // must not reach the caller, as it would from inside the loop's handler below, ending the run
  // as if it were final.
  const auto renew_session = [&](clock::time_point noticed, std::string_view reason) {
    std::string again;  // the reason of a repeated loss (outlives its DbError)
    for (const auto until = clock::now() + policy.reconnect_budget;;) {
      reconnect_through_outage(conn, policy, hooks, noticed, reason);
      ++stats.reconnects;
      try {
        strategy.new_session(conn);
        return;
      } catch (const DbError& lost) {
        if (!is_connection_lost_sqlstate(lost.sqlstate()) || clock::now() >= until) throw;
        noticed = clock::now();
        again = lost.server_message();
        reason = again;
      }
    }
  };
  constexpr std::string_view kFoundLost = "the session was found lost";

  if (!conn.is_ok()) renew_session(clock::now(), kFoundLost);
  // Asked before the first attempt: dialect() may run a query of its own.
  const bool savepoint = strategy.resumes_at_savepoint();
  const bool cockroach = savepoint && conn.dialect().is_cockroach();

  // Set when the next attempt continues the same transaction from its savepoint (CockroachDB).
  bool resume = false;
  for (int number = 1;; ++number) {
    stats.attempts = number;
    stats.retries = number - 1;
    Attempt attempt{number, resume, AttemptPhase::work};
    try {
      if (!conn.is_ok()) renew_session(clock::now(), kFoundLost);
      strategy.run(conn, attempt);
      return stats;
    } catch (const DbError& e) {
      const auto failed_at = clock::now();
      const Disposition d = classify(e, attempt.phase != AttemptPhase::work);
      if (d == Disposition::final) {
        strategy.abandon(conn);
        if (is_bare_db_error(e))
          throw DbError(e.sqlstate(), e.server_message(),
                        "transaction failed on attempt " + std::to_string(number) + " (final error, not retried)");
        throw;
      }

      // CockroachDB's savepoint protocol keeps the transaction and rewinds it; everything else
      // (PostgreSQL, a failed COMMIT, a lost connection) ends the transaction here.
      const bool keep = d == Disposition::retryable && cockroach && attempt.phase != AttemptPhase::committing &&
                        conn.is_ok() && conn.in_transaction();
      if (!keep) strategy.abandon(conn);
      if (d == Disposition::retryable && savepoint && !cockroach && hooks.log)
        std::call_once(postgres_savepoint_notice, [&] {
          hooks.log->info(
              "retry protocol savepoint on PostgreSQL: ROLLBACK TO SAVEPOINT {} would keep the transaction's old "
              "snapshot, so retries restart with ROLLBACK and BEGIN instead",
              kSavepoint);
        });

      if (d == Disposition::ambiguous) {
        if (!strategy.resolves_ambiguity()) throw AmbiguousCommit(number, e, strategy.ambiguous_advice());
        if (hooks.log)
          hooks.log->warn("attempt {}/{}: outcome unknown (ambiguous, SQLSTATE {}: {}); checking whether it committed",
                          number, policy.max_retries + 1, e.sqlstate(), e.server_message());
        bool committed = false;
        try {
          // A lost connection may still look up to libpq (nothing read the EOF yet): replace it.
          if (!conn.is_ok() || is_connection_lost_sqlstate(e.sqlstate())) renew_session(failed_at, e.server_message());
          // The check's session may be lost too: asked again on a new one, not given up as
          // unknown (a transfer that did commit would go uncounted).
          for (const auto until = clock::now() + policy.reconnect_budget;;) {
            try {
              committed = strategy.committed(conn);
              break;
            } catch (const DbError& lost) {
              if (!is_connection_lost_sqlstate(lost.sqlstate()) || clock::now() >= until) throw;
              renew_session(clock::now(), lost.server_message());
            }
          }
        } catch (const Interrupted&) {
          throw;
        } catch (const Error& check) {
          throw AmbiguousCommit(number, e, "checking whether it committed failed too: " + std::string(check.what()));
        }
        ++stats.ambiguous_resolved;
        if (committed) {
          if (hooks.log) hooks.log->info("attempt {}: the transaction did commit (the reply was lost)", number);
          return stats;
        }
        if (hooks.log) hooks.log->info("attempt {}: the transaction did not commit; retrying it", number);
      }

      // Retry, if allowed: this point is reached for retryable, connection lost, and an ambiguous
      // result known not to have committed.
      const auto give_up = [&](const std::string& limit) {
        if (keep) strategy.abandon(conn);
        throw RetriesExhausted(number, e, std::string(to_string(d)), limit);
      };
      if (number > policy.max_retries) give_up({});
      double draw = 0;
      if (hooks.random) {
        draw = hooks.random();
      } else {
        if (!rng) rng.emplace(policy.seed ? *policy.seed : std::random_device{}());
        draw = unit(*rng);
      }
      const auto delay = backoff_delay(policy, number, draw);
      if (policy.budget) {
        const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start);
        if (spent + delay > *policy.budget)
          give_up("within its time budget of " + std::to_string(policy.budget->count()) + " ms");
      }
      if (hooks.log)
        hooks.log->info("attempt {}/{} failed: SQLSTATE {} ({}): {}; retry {}/{} in {} ms", number,
                        policy.max_retries + 1, e.sqlstate(), to_string(d), e.server_message(), number,
                        policy.max_retries, delay.count());
      try {
        if (hooks.sleep) {
          if (hooks.interrupted && hooks.interrupted->load()) throw Interrupted();
          hooks.sleep(delay);
        } else if (!sleep_unless(delay, hooks.interrupted)) {
          throw Interrupted();
        }
      } catch (...) {
        if (keep) strategy.abandon(conn);  // Ctrl-C while the savepoint protocol kept the transaction open
        throw;
      }
      stats.backoff += delay;
      // The next attempt needs a live session; a lost one is replaced with the same settings.
      if (d == Disposition::connection_lost || !conn.is_ok()) renew_session(failed_at, e.server_message());
      resume = keep;
    } catch (...) {
      strategy.abandon(conn);
      throw;
    }
  }
}

namespace {

// run_transaction's strategy: the operation between BEGIN and COMMIT, and the hooks' resolver.
class OperationStrategy final : public StatementStrategy {
 public:
  OperationStrategy(const RetryPolicy& policy, const std::function<void(Connection&)>& op, const RetryHooks& hooks)
      : StatementStrategy(policy), op_(op), hooks_(hooks) {}
  bool resolves_ambiguity() const noexcept override { return static_cast<bool>(hooks_.resolve_ambiguous); }
  bool committed(Connection& conn) override { return hooks_.resolve_ambiguous(conn); }
  std::string ambiguous_advice() const override { return hooks_.ambiguous_advice; }

 private:
  void work(Connection& conn, const Attempt&) override { op_(conn); }
  const std::function<void(Connection&)>& op_;
  const RetryHooks& hooks_;
};

}  // namespace

TransactionStats run_transaction(Connection& conn, const std::function<void(Connection&)>& op,
                                 const RetryPolicy& policy, const RetryHooks& hooks) {
  OperationStrategy strategy(policy, op, hooks);
  return run_attempts(conn, strategy, policy, hooks);
}

// --- work outside a transaction, through outages ------------------------------------------------

namespace {

// True if the session is gone. libpq notices a closed socket only when it reads, so an idle
// session the server closed still looks fine: read what has arrived, without blocking. The first
// read may take only the server's farewell (57P01 "terminating connection"), the second then meets
// the end of the stream.
bool session_lost(Connection& conn) noexcept {
  if (!conn.is_ok()) return true;
  PGconn* pg = conn.native_handle();
  for (int read = 0; read < 2; ++read)
    if (PQconsumeInput(pg) == 0) return true;
  return PQstatus(pg) != CONNECTION_OK;
}

// A refusal that an outage explains (the server restarting or away), not one that waiting cannot
// cure (a wrong password, an unknown database, a certificate the server rejects).
bool looks_like_outage(std::string_view message) noexcept {
  for (std::string_view text : {"Connection refused", "the database system is", "server closed the connection",
                                "Connection reset", "timeout expired", "No route to host", "Network is unreachable",
                                "could not receive data", "could not send data", "SSL SYSCALL error"})
    if (message.find(text) != std::string_view::npos) return true;
  return false;
}

}  // namespace

bool ensure_session(Connection& conn, const RetryPolicy& policy, const RetryHooks& hooks) {
  if (!session_lost(conn)) return false;
  reconnect_through_outage(conn, policy, hooks, std::chrono::steady_clock::now(), "the session was found lost");
  if (hooks.stats) ++hooks.stats->reconnects;
  return true;
}

Connection open_through_outage(std::vector<std::pair<std::string, std::string>> options, std::string label,
                               const RetryPolicy& policy, const RetryHooks& hooks) {
  spdlog::logger* log = hooks.log ? hooks.log : spdlog::default_logger_raw();
  FaultRegistry& faults = FaultRegistry::instance();
  return connect_within_budget(
      policy, hooks, "connecting",
      [&](bool was_refused) {
        Connection conn = Connection::open(options, label);
        if (was_refused) faults.connected(conn.endpoint(), log);
        return conn;
      },
      [](const ConnectError& e) { return looks_like_outage(e.what()); },
      [&](const ConnectError& e, std::chrono::steady_clock::time_point since) {
        faults.refused(e.endpoint(), e.what(), policy.reconnect_budget, since, log);
      });
}

void run_reconnecting(Connection& conn, const std::function<void(Connection&)>& op, const RetryPolicy& policy,
                      const RetryHooks& hooks) {
  using clock = std::chrono::steady_clock;
  TransactionStats local;
  TransactionStats& stats = hooks.stats ? *hooks.stats : local;
  for (int number = 1;; ++number) {
    stats.attempts = number;
    stats.retries = number - 1;
    if (session_lost(conn)) {
      reconnect_through_outage(conn, policy, hooks, clock::now(), "the session was found lost");
      ++stats.reconnects;
    }
    std::string reason;  // why the session is replaced below
    try {
      op(conn);
      return;
    } catch (const DbError& e) {
      if (!is_connection_lost_sqlstate(e.sqlstate())) throw;
      if (hooks.interrupted && hooks.interrupted->load()) throw Interrupted();
      if (number > policy.max_retries)
        throw DbError(e.sqlstate(), e.server_message(),
                      "the connection was lost " + std::to_string(number) + " times in a row (retry: max_retries is " +
                          std::to_string(policy.max_retries) + ")");
      if (hooks.log)
        hooks.log->info("attempt {}/{}: the connection was lost (SQLSTATE {}: {}); running it again on a new session",
                        number, policy.max_retries + 1, e.sqlstate(), e.server_message());
      reason = e.server_message();
    } catch (const ConnectError& e) {
      // A connection op opened itself (Connection::open_database) refused in the same outage.
      if (!looks_like_outage(e.what()) || number > policy.max_retries) throw;
      reason = e.what();
    }
    // The server may still be closing it (libpq has not seen the end yet): a new one either way,
    // which also waits for the target to answer again.
    reconnect_through_outage(conn, policy, hooks, clock::now(), reason);
    ++stats.reconnects;
  }
}

void run_reconnecting(StepContext& ctx, const std::function<void(Connection&)>& op) {
  RetryHooks hooks;
  hooks.log = &ctx.log();
  hooks.interrupted = &ctx.interrupted();
  run_reconnecting(ctx.connection(), op, ctx.retry_policy(), hooks);
}

}  // namespace roachrun
