// Client-side transaction retries, as the tutorial's run_transaction does them.
//
// The one place roachrun decides whether an error is worth another attempt. A step hands an
// operation to run_transaction; the helper owns BEGIN, COMMIT and ROLLBACK around it and retries
// the whole operation on a serialization failure (SQLSTATE 40001) with exponential backoff.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include "roachrun/export.hpp"

namespace spdlog {
class logger;
}

namespace roachrun {

class Connection;

struct RetryPolicy {
  // Retries after the first attempt: max_retries = 3 allows at most 4 attempts.
  int max_retries = 3;
  // Sleep before retry n (n = 1, 2, ...): base * 2^n * random[0.5, 1.5) -- the tutorial's
  // (2**retry) * 0.1 * (random() + 0.5) seconds -- capped at max_backoff.
  std::chrono::milliseconds base_backoff{100};
  std::chrono::milliseconds max_backoff{10'000};
  // Seed of the backoff's randomness; unset draws one from the system, set makes runs repeatable.
  std::optional<std::uint64_t> seed;
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
};

// True for errors a retry can cure: SQLSTATE 40001 (serialization failure, CockroachDB's
// "restart transaction").
ROACHRUN_API bool is_retryable_sqlstate(std::string_view sqlstate) noexcept;

// Runs `op` inside BEGIN ... COMMIT on `conn`. On a retryable error (at any statement or at
// COMMIT) it rolls back, sleeps, and runs `op` again from the start, up to policy.max_retries
// times; then throws RetriesExhausted. Any other error rolls back and is rethrown unchanged.
// REQUIRES: conn is not already in a transaction; op does not COMMIT or ROLLBACK itself.
// `op` may run several times: it must not have side effects outside the transaction.
ROACHRUN_API TransactionStats run_transaction(Connection& conn, const std::function<void(Connection&)>& op,
                                              const RetryPolicy& policy = {}, const RetryHooks& hooks = {});

// The sleep before retry `retry` (1-based) for a uniform draw `unit` in [0, 1).
ROACHRUN_API std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry, double unit) noexcept;

}  // namespace roachrun
