// Client-side transaction retries, as the tutorial's run_transaction does them, and more.
//
// The one retry loop of roachrun: run_attempts decides what an error means for a transaction
// (classify: its Disposition) and what to do about it, for every protocol a step speaks. A
// protocol says how to make one attempt (an AttemptStrategy: BEGIN ... COMMIT statement by
// statement, one implicit-transaction statement, a pipelined flight); run_transaction is
// run_attempts with the tutorial's statement-by-statement strategy around an operation.
//
//   retryable        40001 (serialization failure; CockroachDB's "restart transaction", every
//                    RETRY_* reason), 40P01 (deadlock): roll back, back off, run it again.
//   connection_lost  the connection dropped before COMMIT was sent: the server rolled the
//                    transaction back; reconnect, back off, run it again.
//   ambiguous        40003 (statement completion unknown), or the connection dropped while COMMIT
//                    (or RELEASE SAVEPOINT, or a statement that is its own transaction) was in
//                    flight: it may have committed. Never retried blindly: the strategy reads
//                    whether it committed (e.g. from a ledger row written in the same
//                    transaction), else the step fails with AmbiguousCommit.
//   final            anything else: roll back and rethrow.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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
  // How long a session lost during a run (a server restart, a node going away, a killed
  // backend) is reconnected before the engine gives up with the ConnectError: tries back off from
  // 50 ms to 1 s. Long enough by default to ride through a restart of a few seconds; zero: one
  // try. Counted from the first failed try, apart from `budget`.
  std::chrono::milliseconds reconnect_budget{15'000};
  RetryProtocol protocol = RetryProtocol::rollback;
  Isolation isolation = Isolation::serializable;
};

// What one run_attempts (or run_transaction) call did; filled in even when it throws.
struct TransactionStats {
  int attempts = 0;  // 1 when the first attempt committed
  int retries = 0;   // attempts - 1
  std::chrono::milliseconds backoff{0};  // time spent sleeping between attempts
  int reconnects = 0;         // sessions replaced after a lost connection
  int ambiguous_resolved = 0;  // ambiguous outcomes the strategy could tell (committed or not)
};

// What the engine needs from its surroundings besides the connection; all optional.
struct RetryHooks {
  spdlog::logger* log = nullptr;                         // each retry is logged at info level
  const std::atomic<bool>* interrupted = nullptr;        // stops a backoff sleep promptly
  std::function<void(std::chrono::milliseconds)> sleep;  // replaces the real sleep (tests)
  // Draws the backoff's jitter, uniform in [0, 1); unset: an engine-owned generator seeded from
  // policy.seed (or the system) on the first retry. A workload gives each client its own, so
  // clients that conflicted do not back off in step.
  std::function<double()> random;
  TransactionStats* stats = nullptr;                     // filled in even when it throws
  // run_transaction only (a strategy answers committed() itself). Called after an ambiguous
  // result, on a live connection (the engine reconnects if the old one is gone), outside any
  // transaction: true if the transaction committed. It must read only committed state written
  // by op itself (e.g. a ledger row keyed by a unique id, inserted in the same transaction).
  // Committed: the engine returns as after a COMMIT. Not committed: the attempt counts as
  // failed and is retried like a retryable error. Unset: an ambiguous result throws
  // AmbiguousCommit at once, never retried.
  std::function<bool(Connection&)> resolve_ambiguous;
  // run_transaction only: appended to AmbiguousCommit's message when there is no resolver.
  std::string ambiguous_advice;
};

// What an error means for the transaction it interrupted, i.e. what the retry engine does with
// it; see the top of this file. (Not to be confused with the error's C++ type, which says what
// kind of failure a step reports.)
enum class Disposition { retryable, ambiguous, connection_lost, final };

// `during_commit`: the error came from COMMIT or RELEASE SAVEPOINT (a lost connection there
// leaves the outcome unknown).
ROACHRUN_API Disposition classify(const DbError& error, bool during_commit) noexcept;
ROACHRUN_API Disposition classify(std::string_view sqlstate, bool during_commit) noexcept;
// "retryable", "ambiguous", "connection lost", "final".
ROACHRUN_API std::string_view to_string(Disposition d) noexcept;
// "rollback", "savepoint".
ROACHRUN_API std::string_view to_string(RetryProtocol p) noexcept;
// "serializable", "repeatable_read", "read_committed", "server_default" (the YAML spelling).
ROACHRUN_API std::string_view to_string(Isolation i) noexcept;
// "BEGIN ISOLATION LEVEL SERIALIZABLE", ... or plain "BEGIN" for server_default.
ROACHRUN_API const char* begin_statement(Isolation i) noexcept;
// "SET default_transaction_isolation = 'serializable'", ..., for implicit transactions (a
// statement that is its own transaction takes no BEGIN); empty for server_default.
ROACHRUN_API const char* session_isolation_statement(Isolation i) noexcept;

// True for errors a retry can cure: 40001 (serialization failure, CockroachDB's "restart
// transaction") and 40P01 (deadlock). classify() says the same for them.
ROACHRUN_API bool is_retryable_sqlstate(std::string_view sqlstate) noexcept;
// True for SQLSTATEs that mean the connection is gone: class 08, 57P01 (admin shutdown, e.g.
// pg_terminate_backend), 57P02 (crash shutdown), 57P03 (cannot connect now).
ROACHRUN_API bool is_connection_lost_sqlstate(std::string_view sqlstate) noexcept;

// Where an attempt is when it fails; the strategy advances it, the engine reads it to classify.
enum class AttemptPhase {
  work,        // before anything that could commit: a lost connection rolled it back
  releasing,   // RELEASE SAVEPOINT cockroach_restart in flight: a lost reply leaves it unknown, a
               // 40001 there may still be retried from the savepoint
  committing,  // COMMIT (or a statement that is its own transaction) in flight: the transaction
               // is over whatever the answer, and a lost reply leaves the outcome unknown
};

// One attempt, as run_attempts hands it to the strategy.
struct Attempt {
  int number = 1;  // 1-based
  // CockroachDB's savepoint protocol: the transaction of the failed attempt is still open and
  // this attempt continues it with ROLLBACK TO SAVEPOINT cockroach_restart instead of BEGIN.
  // Only ever set for a strategy whose resumes_at_savepoint() is true.
  bool resume_at_savepoint = false;
  AttemptPhase phase = AttemptPhase::work;
};

// How one protocol makes one attempt of a transaction. The step owns the strategy (it lives at
// least as long as the run_attempts call); the engine owns the loop around it. A strategy keeps
// what the attempt found (applied, declined, ...) in its own members for the step to read.
// Not thread-safe: one strategy per connection.
class ROACHRUN_API AttemptStrategy {
 public:
  virtual ~AttemptStrategy();

  // Makes attempt `attempt.number`: from BEGIN (or ROLLBACK TO SAVEPOINT when
  // attempt.resume_at_savepoint) to COMMIT's reply, setting attempt.phase before sending what
  // may commit. Returns normally when the attempt is over and needs no retry (committed, or
  // decided not to commit and rolled back itself). Throws DbError as Connection does; anything
  // else it throws (StepError, ...) ends the transaction and is rethrown unchanged.
  // REQUIRES: no transaction is open on conn unless attempt.resume_at_savepoint.
  virtual void run(Connection& conn, Attempt& attempt) = 0;
  // Ends what is left of a failed attempt: ROLLBACK if a transaction is open (the default).
  // Best effort, never throws: the error that led here is what the caller sees.
  virtual void abandon(Connection& conn) noexcept;
  // True if committed() can tell whether an attempt with an ambiguous outcome committed. False
  // (the default): such an outcome throws AmbiguousCommit with ambiguous_advice(), never retried.
  virtual bool resolves_ambiguity() const noexcept;
  // After an ambiguous outcome, on a live connection outside any transaction (possibly a new
  // session): whether the attempt committed. Called only if resolves_ambiguity(). It must read
  // only committed state the attempt itself writes (a ledger row keyed by a unique id, inserted
  // in the same transaction). Committed: run_attempts returns as after a COMMIT; not committed:
  // the attempt is retried like a retryable error.
  virtual bool committed(Connection& conn);
  // What the user can do when the outcome cannot be told; appended to AmbiguousCommit.
  virtual std::string ambiguous_advice() const;
  // Called after the engine replaced the session (reconnect): a new session has no prepared
  // statements, no pipeline mode, no session settings. The default does nothing.
  virtual void new_session(Connection& conn);
  // True if run() honours Attempt::resume_at_savepoint (the savepoint protocol). False (the
  // default): every retry starts a new transaction.
  virtual bool resumes_at_savepoint() const noexcept;
};

// The tutorial's strategy, statement by statement: BEGIN at policy.isolation [SAVEPOINT
// cockroach_restart]; work(); [RELEASE SAVEPOINT cockroach_restart]; COMMIT, per
// policy.protocol. Subclasses give the work (and, to resolve ambiguity, committed()).
class ROACHRUN_API StatementStrategy : public AttemptStrategy {
 public:
  // Reads policy.protocol and policy.isolation; keeps no reference to the policy.
  explicit StatementStrategy(const RetryPolicy& policy) noexcept;
  void run(Connection& conn, Attempt& attempt) final;
  bool resumes_at_savepoint() const noexcept final;

 protected:
  // The transaction's statements. Must not COMMIT or ROLLBACK; may run several times.
  virtual void work(Connection& conn, const Attempt& attempt) = 0;

 private:
  const char* begin_;
  bool savepoint_;
};

// Runs `strategy`'s attempts on `conn`, retrying as the dispositions above say, up to
// policy.max_retries times (and within policy.budget); then throws RetriesExhausted. An ambiguous
// result the strategy cannot resolve throws AmbiguousCommit. A final DbError is rethrown naming
// the attempt; anything else (StepError, Interrupted, ...) is rethrown unchanged after abandon().
// `conn` is reconnected in place when it was lost (strategy.new_session() follows), also before
// the first attempt, retrying a refused reconnect within policy.reconnect_budget; an outage is
// logged once however many connections wait for it (warn when it starts, info with its length
// when the target is back). With a multi-host target libpq's reconnect moves on to the next
// host that answers: that is an outage of the lost host too, said once ("its sessions moved to
// ..."). Every replaced session is counted by endpoint in the process's fault record
// (faults.hpp, SDK 3.1), with the time the caller went without a connection. Backoff and
// reconnect sleeps end early, with Interrupted, when hooks.interrupted is set.
// policy.protocol and policy.isolation are the strategy's business, not the engine's.
ROACHRUN_API TransactionStats run_attempts(Connection& conn, AttemptStrategy& strategy, const RetryPolicy& policy,
                                           const RetryHooks& hooks = {});

// run_attempts with a StatementStrategy around `op`, and hooks.resolve_ambiguous as its
// committed(). The tutorial's run_transaction(conn, op, max_retries).
// REQUIRES: conn is not already in a transaction; op does not COMMIT or ROLLBACK itself.
// `op` may run several times: it must not have side effects outside the transaction.
ROACHRUN_API TransactionStats run_transaction(Connection& conn, const std::function<void(Connection&)>& op,
                                              const RetryPolicy& policy = {}, const RetryHooks& hooks = {});

// Sleeps `duration`, in short slices so that `stop` (when given) ends it within about 20 ms;
// through the thread's IoWaiter when one is installed (io_wait.hpp, SDK 3.5).
// Returns false if it was ended by `stop`, true if the whole duration passed.
ROACHRUN_API bool sleep_unless(std::chrono::nanoseconds duration, const std::atomic<bool>* stop) noexcept;

// The sleep before retry `retry` (1-based) for a uniform draw `unit` in [0, 1).
ROACHRUN_API std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry, double unit) noexcept;

// --- Work outside a transaction, through outages (SDK 3.1) --------------------------------------
// What run_attempts does for a transaction, for the statements a step runs on their own (a
// SELECT, DDL, a check) and for a connection between steps: a session lost while it sat idle or
// under such work is replaced within policy.reconnect_budget, the outage logged once as
// run_attempts logs it, and Ctrl-C ends the wait at once.

class StepContext;

// Before work on `conn`: if its session is lost -- libpq saw it drop, or the server closed it
// while it sat idle (a restart, a killed backend, a node gone between two steps: read without
// blocking) -- replaces it within policy.reconnect_budget. Returns true if it did.
// REQUIRES: nothing in flight on conn (no unread result, not in pipeline mode).
// Throws ConnectError past the budget; Interrupted after Ctrl-C or once *hooks.interrupted.
ROACHRUN_API bool ensure_session(Connection& conn, const RetryPolicy& policy, const RetryHooks& hooks = {});

// Connection::open, tried again within policy.reconnect_budget while the target refuses: for a
// connection first opened after the target has answered (a later step's first connection, in
// the middle of a restart). A target that never answered is Connection::open's business: it
// fails at once.
ROACHRUN_API Connection open_through_outage(std::vector<std::pair<std::string, std::string>> options,
                                            std::string label, const RetryPolicy& policy,
                                            const RetryHooks& hooks = {});

// Runs op(conn) outside any transaction; when the connection is lost under it
// (is_connection_lost_sqlstate), replaces the session within policy.reconnect_budget and runs op
// again from the start, at most policy.max_retries times (then the last DbError, saying how many
// times the connection was lost in a row). Any other error
// is rethrown unchanged. A statement whose reply was lost may have taken effect, so op must give
// the same result when run twice: reads, CREATE ... IF NOT EXISTS, an UPSERT of fixed values. A
// write that must happen exactly once belongs in run_attempts with a resolver instead.
// hooks.stats, if given, counts the attempts and reconnects; hooks.sleep/random/resolve_ambiguous
// are not used. REQUIRES: conn is not in a transaction, and op leaves none open.
ROACHRUN_API void run_reconnecting(Connection& conn, const std::function<void(Connection&)>& op,
                                   const RetryPolicy& policy, const RetryHooks& hooks = {});
// run_reconnecting on ctx.connection() with ctx.retry_policy(), the step's logger and Ctrl-C.
ROACHRUN_API void run_reconnecting(StepContext& ctx, const std::function<void(Connection&)>& op);

}  // namespace roachrun
