// bank.delete_accounts: the tutorial's cleanup (DELETE FROM bank.accounts) so it can run again.
#include <string>

#include <roachrun/roachrun.hpp>
#include <spdlog/spdlog.h>

#include "accounts.hpp"
#include "steps.hpp"

namespace roachrun_bank {

namespace {

void run(roachrun::StepContext& ctx, const roachrun::Params& p) {
  roachrun::Connection& conn = ctx.connection();
  // The table itself stays, as in the tutorial: the next run's CREATE TABLE IF NOT EXISTS finds it.
  const roachrun::Result r = conn.exec_params("DELETE FROM " + quoted_table(conn, p));
  ctx.log().info("deleted {} account(s) from {}", r.affected_rows(), p.string("table"));
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
