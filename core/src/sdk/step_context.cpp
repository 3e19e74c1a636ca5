#include <spdlog/spdlog.h>

#include "roachrun/step.hpp"

namespace roachrun {

StepContext::~StepContext() = default;

TransactionStats StepContext::transaction(const std::function<void(Connection&)>& op) {
  return transaction(op, retry_policy());
}

TransactionStats StepContext::transaction(const std::function<void(Connection&)>& op, const RetryPolicy& policy) {
  TransactionStats stats;
  RetryHooks hooks;
  hooks.log = &log();
  hooks.interrupted = &interrupted();
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
