#include "roachrun/retry.hpp"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <random>
#include <thread>
#include <typeinfo>

#include <spdlog/spdlog.h>

#include "roachrun/connection.hpp"
#include "roachrun/error.hpp"

namespace roachrun {

namespace {

constexpr const char* kSavepoint = "cockroach_restart";  // spelled out in the statements below

// Sleeps in short slices so Ctrl-C ends a long backoff promptly.
void interruptible_sleep(std::chrono::milliseconds d, const std::atomic<bool>* interrupted) {
  auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
    if (interrupted && interrupted->load()) throw Interrupted();
    auto left = until - std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(20)));
  }
}

// Best effort: the transaction is over either way, and a failed ROLLBACK must not hide the error
// that caused it.
void rollback_quietly(Connection& conn) noexcept {
  try {
    if (conn.is_ok() && conn.in_transaction()) conn.exec_simple("ROLLBACK");
  } catch (...) {
  }
}

// Said once per process: the savepoint protocol cannot work as CockroachDB's on PostgreSQL.
std::once_flag postgres_savepoint_notice;

// A plain DbError from the server, as Connection throws it (no context of its own yet).
bool is_bare_db_error(const DbError& e) {
  return typeid(e) == typeid(DbError) && std::string_view(e.what()) == DbError(e.sqlstate(), e.server_message(), "").what();
}

}  // namespace

bool is_retryable_sqlstate(std::string_view sqlstate) noexcept { return sqlstate == "40001" || sqlstate == "40P01"; }

bool is_connection_lost_sqlstate(std::string_view sqlstate) noexcept {
  return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03";
}

ErrorClass classify(std::string_view sqlstate, bool during_commit) noexcept {
  if (is_retryable_sqlstate(sqlstate)) return ErrorClass::retryable;
  if (sqlstate == "40003") return ErrorClass::ambiguous;
  if (is_connection_lost_sqlstate(sqlstate)) return during_commit ? ErrorClass::ambiguous : ErrorClass::connection_lost;
  return ErrorClass::final;
}

ErrorClass classify(const DbError& error, bool during_commit) noexcept {
  return classify(std::string_view(error.sqlstate()), during_commit);
}

std::string_view to_string(ErrorClass c) noexcept {
  switch (c) {
    case ErrorClass::retryable: return "retryable";
    case ErrorClass::ambiguous: return "ambiguous";
    case ErrorClass::connection_lost: return "connection lost";
    case ErrorClass::final: return "final";
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

namespace {
const char* begin_sql(Isolation i) noexcept {
  switch (i) {
    case Isolation::serializable: return "BEGIN ISOLATION LEVEL SERIALIZABLE";
    case Isolation::repeatable_read: return "BEGIN ISOLATION LEVEL REPEATABLE READ";
    case Isolation::read_committed: return "BEGIN ISOLATION LEVEL READ COMMITTED";
    case Isolation::server_default: return "BEGIN";
  }
  return "BEGIN";
}
}  // namespace

std::string begin_statement(Isolation i) { return begin_sql(i); }

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry, double unit) noexcept {
  double ms = std::ldexp(static_cast<double>(policy.base_backoff.count()), retry) * (unit + 0.5);
  double cap = static_cast<double>(policy.max_backoff.count());
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::min(ms, cap)));
}

TransactionStats run_transaction(Connection& conn, const std::function<void(Connection&)>& op,
                                 const RetryPolicy& policy, const RetryHooks& hooks) {
  using clock = std::chrono::steady_clock;
  TransactionStats local;
  TransactionStats& stats = hooks.stats ? *hooks.stats : local;
  stats = TransactionStats{};
  // Seeded on the first retry only: most transactions commit at once, and a workload runs this
  // once per transfer, so the common path stays free of allocations and system calls.
  std::optional<std::mt19937_64> rng;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const auto start = clock::now();
  const char* const begin = begin_sql(policy.isolation);
  const bool savepoint = policy.protocol == RetryProtocol::savepoint;

  if (!conn.is_ok()) conn.reconnect();
  // Asked before BEGIN: dialect() may run a query of its own.
  const bool cockroach = savepoint && conn.dialect().is_cockroach();

  // Set when the next attempt continues the same transaction from its savepoint (CockroachDB).
  bool restart_at_savepoint = false;
  for (int attempt = 1;; ++attempt) {
    stats.attempts = attempt;
    stats.retries = attempt - 1;
    bool committing = false;  // COMMIT or RELEASE in flight
    bool at_commit = false;   // COMMIT itself: the transaction is over whatever the answer
    try {
      if (!conn.is_ok()) conn.reconnect();
      if (restart_at_savepoint) {
        conn.exec_simple("ROLLBACK TO SAVEPOINT cockroach_restart");
      } else {
        conn.exec_simple(begin);
        if (savepoint) conn.exec_simple("SAVEPOINT cockroach_restart");
      }
      restart_at_savepoint = false;
      op(conn);
      committing = true;
      if (savepoint) conn.exec_simple("RELEASE SAVEPOINT cockroach_restart");
      at_commit = true;
      conn.exec_simple("COMMIT");
      return stats;
    } catch (const DbError& e) {
      const ErrorClass cls = classify(e, committing);
      if (cls == ErrorClass::final) {
        rollback_quietly(conn);
        if (is_bare_db_error(e))
          throw DbError(e.sqlstate(), e.server_message(),
                        "transaction failed on attempt " + std::to_string(attempt) + " (final error, not retried)");
        throw;
      }

      // CockroachDB's savepoint protocol keeps the transaction and rewinds it; everything else
      // (PostgreSQL, a failed COMMIT, a lost connection) ends the transaction here.
      const bool keep = cls == ErrorClass::retryable && cockroach && !at_commit && conn.is_ok() &&
                        conn.in_transaction();
      if (!keep) rollback_quietly(conn);
      if (cls == ErrorClass::retryable && savepoint && !cockroach && hooks.log)
        std::call_once(postgres_savepoint_notice, [&] {
          hooks.log->info(
              "retry protocol savepoint on PostgreSQL: ROLLBACK TO SAVEPOINT {} would keep the transaction's old "
              "snapshot, so retries restart with ROLLBACK and BEGIN instead",
              kSavepoint);
        });

      if (cls == ErrorClass::ambiguous) {
        if (!hooks.resolve_ambiguous) throw AmbiguousCommit(attempt, e, hooks.ambiguous_advice);
        if (hooks.log)
          hooks.log->warn("attempt {}/{}: outcome unknown (ambiguous, SQLSTATE {}: {}); checking whether it committed",
                          attempt, policy.max_retries + 1, e.sqlstate(), e.server_message());
        bool committed = false;
        try {
          if (!conn.is_ok()) conn.reconnect();
          committed = hooks.resolve_ambiguous(conn);
        } catch (const DbError& check) {
          throw AmbiguousCommit(attempt, e,
                                "checking whether it committed failed too: " + std::string(check.what()));
        }
        if (committed) {
          if (hooks.log) hooks.log->info("attempt {}: the transaction did commit (the reply was lost)", attempt);
          return stats;
        }
        if (hooks.log) hooks.log->info("attempt {}: the transaction did not commit; retrying it", attempt);
      }

      // Retry, if allowed: this point is reached for retryable, connection lost, and an ambiguous
      // result known not to have committed.
      if (attempt > policy.max_retries) throw RetriesExhausted(attempt, e, std::string(to_string(cls)));
      if (!rng) rng.emplace(policy.seed ? *policy.seed : std::random_device{}());
      const auto delay = backoff_delay(policy, attempt, unit(*rng));
      if (policy.budget) {
        const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start);
        if (spent + delay > *policy.budget) {
          if (keep) rollback_quietly(conn);
          throw RetriesExhausted(attempt, e, std::string(to_string(cls)),
                                 "within its time budget of " + std::to_string(policy.budget->count()) + " ms");
        }
      }
      if (hooks.log)
        hooks.log->info("attempt {}/{} failed: SQLSTATE {} ({}): {}; retry {}/{} in {} ms", attempt,
                        policy.max_retries + 1, e.sqlstate(), to_string(cls), e.server_message(), attempt,
                        policy.max_retries, delay.count());
      try {
        if (hooks.interrupted && hooks.interrupted->load()) throw Interrupted();
        if (hooks.sleep) hooks.sleep(delay);
        else interruptible_sleep(delay, hooks.interrupted);
      } catch (...) {
        rollback_quietly(conn);  // Ctrl-C while the savepoint protocol kept the transaction open
        throw;
      }
      stats.backoff += delay;
      // The next attempt needs a live session; a lost one is replaced with the same settings.
      if (cls == ErrorClass::connection_lost || !conn.is_ok()) conn.reconnect();
      restart_at_savepoint = keep;
    } catch (...) {
      rollback_quietly(conn);
      throw;
    }
  }
}

}  // namespace roachrun
