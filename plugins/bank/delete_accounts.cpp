// bank.delete_accounts: the tutorial's cleanup (DELETE FROM bank.accounts) so it can run again.
#include <cstdint>
#include <string>

#include <roachrun/roachrun.hpp>
#include <spdlog/spdlog.h>

#include "accounts.hpp"
#include "steps.hpp"

namespace roachrun_bank {

namespace {

void run(roachrun::StepContext& ctx, const roachrun::Params& p) {
  roachrun::Connection& conn = ctx.connection();
  require_no_transaction(conn, "bank.delete_accounts");
  const std::string table = quoted_table(conn, p);
  // The table itself stays, as in the tutorial: the next run's CREATE TABLE IF NOT EXISTS finds it.
  // In the retry engine's transaction, so a lost connection or a 40001 runs it again. A lost
  // COMMIT reply is resolved by looking: the accounts are gone if and only if it committed (the
  // scenario's steps run alone), and then the count is the one that attempt deleted.
  std::int64_t deleted = 0;
  roachrun::RetryHooks hooks;
  hooks.resolve_ambiguous = [&](roachrun::Connection& c) {
    return c.exec_params("SELECT count(*) FROM " + table).integer(0, 0) == 0;
  };
  ctx.transaction([&](roachrun::Connection& c) { deleted = c.exec_params("DELETE FROM " + table).affected_rows(); },
                  ctx.retry_policy(), hooks);
  ctx.log().info("deleted {} account(s) from {}", deleted, p.string("table"));
}

}  // namespace

roachrun::StepType delete_accounts_step() {
  return roachrun::StepType{
      .name = "delete_accounts",
      .doc = "Delete every account (the table stays), so the scenario can run again",
      .params = {table_param()},
      .run = run,
      .check = check_table,
  };
}

}  // namespace roachrun_bank
