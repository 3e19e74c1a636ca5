#include "roachrun/retry.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>

#include <spdlog/spdlog.h>

#include "roachrun/connection.hpp"
#include "roachrun/error.hpp"

namespace roachrun {

namespace {

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
    if (conn.is_ok() && conn.in_transaction()) conn.exec("ROLLBACK");
  } catch (...) {
  }
}

}  // namespace

bool is_retryable_sqlstate(std::string_view sqlstate) noexcept { return sqlstate == "40001"; }

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry, double unit) noexcept {
  double ms = std::ldexp(static_cast<double>(policy.base_backoff.count()), retry) * (unit + 0.5);
  double cap = static_cast<double>(policy.max_backoff.count());
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::min(ms, cap)));
}

TransactionStats run_transaction(Connection& conn, const std::function<void(Connection&)>& op,
                                 const RetryPolicy& policy, const RetryHooks& hooks) {
  TransactionStats local;
  TransactionStats& stats = hooks.stats ? *hooks.stats : local;
  std::mt19937_64 rng(policy.seed ? *policy.seed : std::random_device{}());
  std::uniform_real_distribution<double> unit(0.0, 1.0);

  for (int attempt = 1;; ++attempt) {
    stats.attempts = attempt;
    stats.retries = attempt - 1;
    try {
      conn.exec("BEGIN");
      op(conn);
      conn.exec("COMMIT");
      return stats;
    } catch (const DbError& e) {
      rollback_quietly(conn);
      if (!is_retryable_sqlstate(e.sqlstate())) throw;
      if (attempt > policy.max_retries) throw RetriesExhausted(attempt, e);
      auto delay = backoff_delay(policy, attempt, unit(rng));
      if (hooks.log)
        hooks.log->info("retry {}/{} after SQLSTATE {} ({}); sleeping {} ms", attempt, policy.max_retries,
                        e.sqlstate(), e.server_message(), delay.count());
      if (hooks.sleep) hooks.sleep(delay);
      else interruptible_sleep(delay, hooks.interrupted);
      stats.backoff += delay;
    } catch (...) {
      rollback_quietly(conn);
      throw;
    }
  }
}

}  // namespace roachrun
