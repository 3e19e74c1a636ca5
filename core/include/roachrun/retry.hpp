// Client-side transaction retries, as the tutorial's run_transaction does them, and more.
//
// The one place roachrun decides what an error means for a transaction (classify) and what to
// do about it (run_transaction). A step hands an operation to run_transaction; the helper owns
// BEGIN, COMMIT and ROLLBACK (and the savepoint statements) around it:
//
//   retryable        40001 (serialization failure; CockroachDB's "restart transaction", every
//                    RETRY_* reason), 40P01 (deadlock): roll back, back off, run it again.
//   connection_lost  the connection dropped before COMMIT was sent: the server rolled the
//                    transaction back; reconnect, back off, run it again.
//   ambiguous        40003 (statement completion unknown), or the connection dropped while COMMIT
//                    (or RELEASE SAVEPOINT) was in flight: it may have committed. Never retried
//                    blindly: a resolver the step provides reads whether it committed, else the
//                    step fails with AmbiguousCommit.
//   final            anything else: roll back and rethrow.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "roachrun/export.hpp"

namespace spdlog {
class logger;
}

namespace roachrun {

class Connection;
class DbError;

// How a failed attempt is undone before the next one.
enum class RetryProtocol {
  // The tutorial's loop: BEGIN; op; COMMIT. On a retryable error ROLLBACK, back off, BEGIN again.
  rollback,
  // CockroachDB's: BEGIN; SAVEPOINT cockroach_restart; op; RELEASE SAVEPOINT cockroach_restart;
  // COMMIT. On a retryable error ROLLBACK TO SAVEPOINT cockroach_restart and run op again in the
  // same transaction. On PostgreSQL, whose ROLLBACK TO SAVEPOINT keeps the transaction's old
  // snapshot (so a serialization failure would recur on every retry), it restarts with a full
  // ROLLBACK and BEGIN instead, and says so once in the log.
  savepoint,
};

// The isolation level of the BEGIN. CockroachDB runs SERIALIZABLE whatever is asked for (older
// versions) or honours the level; PostgreSQL defaults to READ COMMITTED, under which the retry
// path would hardly ever run: so roachrun asks for SERIALIZABLE unless told otherwise.
enum class Isolation { serializable, repeatable_read, read_committed, server_default };

struct RetryPolicy {
  // Retries after the first attempt: max_retries = 3 allows at most 4 attempts.
  int max_retries = 3;
  // Sleep before retry n (n = 1, 2, ...): base * 2^n * random[0.5, 1.5) -- the tutorial's
  // (2**retry) * 0.1 * (random() + 0.5) seconds -- capped at max_backoff.
  std::chrono::milliseconds base_backoff{100};
  std::chrono::milliseconds max_backoff{10'000};
  // Seed of the backoff's randomness; unset draws one from the system, set makes runs repeatable.
  std::optional<std::uint64_t> seed;
  // Overall time for all attempts and sleeps, from the first BEGIN. Checked before each retry: a
  // retry whose backoff would end after the budget is not made (RetriesExhausted). Unset: no limit.
  std::optional<std::chrono::milliseconds> budget;
  RetryProtocol protocol = RetryProtocol::rollback;
  Isolation isolation = Isolation::serializable;
};

struct TransactionStats {
  int attempts = 0;  // 1 when the first attempt committed
  int retries = 0;   // attempts - 1
  std::chrono::milliseconds backoff{0};  // time spent sleeping between attempts
};

// What the helper needs from its surroundings besides the connection; all optional.
struct RetryHooks {
  spdlog::logger* log = nullptr;                         // each retry is logged at info level
  const std::atomic<bool>* interrupted = nullptr;        // stops a backoff sleep promptly
  std::function<void(std::chrono::milliseconds)> sleep;  // replaces the real sleep (tests)
  TransactionStats* stats = nullptr;                     // filled in even when it throws
  // Called after an ambiguous result, on a fresh connection (the helper reconnects if the old
  // one is gone), outside any transaction: true if the transaction committed. It must read only
  // committed state written by op itself (e.g. a ledger row keyed by a unique id, inserted in the
  // same transaction). Committed: the helper returns as after a COMMIT. Not committed: the
  // attempt counts as failed and is retried like a retryable error. Unset: an ambiguous result
  // throws AmbiguousCommit at once, never retried.
  std::function<bool(Connection&)> resolve_ambiguous;
  // Appended to AmbiguousCommit's message when there is no resolver: what the user can do.
  std::string ambiguous_advice;
};

// What an error means for the transaction it interrupted; see the top of this file.
enum class ErrorClass { retryable, ambiguous, connection_lost, final };

// `during_commit`: the error came from COMMIT or RELEASE SAVEPOINT (a lost connection there
// leaves the outcome unknown).
ROACHRUN_API ErrorClass classify(const DbError& error, bool during_commit) noexcept;
ROACHRUN_API ErrorClass classify(std::string_view sqlstate, bool during_commit) noexcept;
// "retryable", "ambiguous", "connection lost", "final".
ROACHRUN_API std::string_view to_string(ErrorClass c) noexcept;
// "rollback", "savepoint".
ROACHRUN_API std::string_view to_string(RetryProtocol p) noexcept;
// "serializable", "repeatable_read", "read_committed", "server_default" (the YAML spelling).
ROACHRUN_API std::string_view to_string(Isolation i) noexcept;
// "BEGIN ISOLATION LEVEL SERIALIZABLE", ... or plain "BEGIN" for server_default.
ROACHRUN_API std::string begin_statement(Isolation i);

// True for errors a retry can cure: 40001 (serialization failure, CockroachDB's "restart
// transaction") and 40P01 (deadlock). classify() says the same for them.
ROACHRUN_API bool is_retryable_sqlstate(std::string_view sqlstate) noexcept;
// True for SQLSTATEs that mean the connection is gone: class 08, 57P01 (admin shutdown, e.g.
// pg_terminate_backend), 57P02 (crash shutdown), 57P03 (cannot connect now).
ROACHRUN_API bool is_connection_lost_sqlstate(std::string_view sqlstate) noexcept;

// Runs `op` in a transaction on `conn` per policy.protocol and policy.isolation, retrying as the
// classes above say, up to policy.max_retries times (and within policy.budget); then throws
// RetriesExhausted. An ambiguous result without a resolver throws AmbiguousCommit. A final
// DbError is rethrown naming the attempt; anything else (StepError, Interrupted, ...) rolls back
// and is rethrown unchanged. `conn` is reconnected in place when it was lost.
// REQUIRES: conn is not already in a transaction; op does not COMMIT or ROLLBACK itself.
// `op` may run several times: it must not have side effects outside the transaction.
ROACHRUN_API TransactionStats run_transaction(Connection& conn, const std::function<void(Connection&)>& op,
                                              const RetryPolicy& policy = {}, const RetryHooks& hooks = {});

// The sleep before retry `retry` (1-based) for a uniform draw `unit` in [0, 1).
ROACHRUN_API std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry, double unit) noexcept;

}  // namespace roachrun
