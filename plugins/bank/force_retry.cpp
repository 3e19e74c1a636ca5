// bank.force_retry: the tutorial's test_retry_loop through the retry helper: the first `times`
// attempts fail with a real serialization failure (SQLSTATE 40001) from the server.
#include <cstdint>
#include <string>

#include <roachrun/roachrun.hpp>
#include <spdlog/spdlog.h>

#include "accounts.hpp"
#include "force.hpp"
#include "steps.hpp"

namespace roachrun_bank {

namespace {

void run(roachrun::StepContext& ctx, const roachrun::Params& p) {
  const std::int64_t times = p.integer("times");
  roachrun::Connection& conn = ctx.connection();
  require_no_transaction(conn, "bank.force_retry");
  // Before BEGIN (it may run a query): a server that will refuse the forcing call fails the step here.
  const ForcingSession forcing = prepare_forcing(ctx, "bank.force_retry", times > 0);

  roachrun::RetryPolicy policy = ctx.retry_policy();
  if (p.has("max_retries")) policy.max_retries = static_cast<int>(p.integer("max_retries"));

  std::int64_t attempt = 0;
  // As in the tutorial: a first statement (CockroachDB may retry a transaction's first statement
  // on the server, out of the client's sight), then the forced retry.
  const roachrun::TransactionStats stats = ctx.transaction(
      [&](roachrun::Connection& c) {
        ++attempt;
        c.exec_simple("SELECT now()");
        if (attempt <= times) force_serialization_failure(c, forcing, "forced retry (bank.force_retry)");
      },
      policy);
  ctx.log().info("{} forced retr{} absorbed: committed on attempt {}", times, times == 1 ? "y" : "ies", stats.attempts);
}

}  // namespace

roachrun::StepType force_retry_step() {
  using roachrun::ParamType;
  roachrun::ParamSpec times = roachrun::optional_param("times", ParamType::integer,
                                       "attempts to fail with a forced serialization failure (SQLSTATE 40001)", 1);
  times.min = 0;
  times.max = 1000;
  roachrun::ParamSpec max_retries = roachrun::optional_param(
      "max_retries", ParamType::integer, "retries after a 40001 serialization failure (default: retry policy's, 3)");
  max_retries.min = 0;
  max_retries.max = 100;
  return roachrun::StepType{
      .name = "force_retry",
      .doc = "The tutorial's test_retry_loop: fail the first `times` attempts with a real 40001, retried",
      .params = {times, max_retries},
      .run = run,
      .check = {},
  };
}

}  // namespace roachrun_bank
