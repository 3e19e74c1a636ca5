#include <spdlog/spdlog.h>

#include "roachrun/step.hpp"

namespace roachrun {

StepContext::~StepContext() = default;

TransactionStats StepContext::transaction(const std::function<void(Connection&)>& op) {
  return transaction(op, retry_policy(), RetryHooks{});
}

TransactionStats StepContext::transaction(const std::function<void(Connection&)>& op, const RetryPolicy& policy) {
  return transaction(op, policy, RetryHooks{});
}

TransactionStats StepContext::transaction(const std::function<void(Connection&)>& op, const RetryPolicy& policy,
                                          RetryHooks hooks) {
  TransactionStats stats;
  if (!hooks.log) hooks.log = &log();
  if (!hooks.interrupted) hooks.interrupted = &interrupted();
  hooks.stats = &stats;
  try {
    run_transaction(connection(), op, policy, hooks);
  } catch (...) {
    add_transaction_stats(stats);
    throw;
  }
  add_transaction_stats(stats);
  return stats;
}

}  // namespace roachrun
