// bank.audit: the workload's audit on its own, e.g. after a run that was interrupted or killed.
#include <roachrun/roachrun.hpp>

#include "accounts.hpp"
#include "audit.hpp"
#include "steps.hpp"

namespace roachrun_bank {

namespace {

void run(roachrun::StepContext& ctx, const roachrun::Params& p) {
  roachrun::Connection& conn = ctx.connection();
  require_no_transaction(conn, "bank.audit");
  const std::string table = quoted_table(conn, p);
  const std::string ledger = p.boolean("ledger") ? conn.escape_identifier(p.string("table") + "_ledger") : "";
  const std::int64_t initial = p.integer("initial_balance");
  const AuditReport report = audit_accounts(ctx, table, ledger, p.integer("accounts"), initial);
  ctx.out() << "audit: " << describe(report, initial) << "\n";
  ctx.set_result(to_json(report));
  if (!report.ok()) throw roachrun::StepError("audit " + describe(report, initial));
}

}  // namespace

roachrun::StepType audit_step() {
  using roachrun::ParamType;
  roachrun::ParamSpec accounts = roachrun::optional_param("accounts", ParamType::integer, "accounts expected, 1..N", 1000);
  accounts.min = 1;
  roachrun::ParamSpec initial =
      roachrun::optional_param("initial_balance", ParamType::integer, "every account's balance at the start", 1000);
  initial.min = 0;
  return roachrun::StepType{
      .name = "audit",
      .doc = "Check a workload's accounts: total conserved, none negative, balances agree with the ledger",
      .params = {accounts, initial,
                 roachrun::optional_param("ledger", ParamType::boolean, "also check every account against <table>_ledger",
                                          false),
                 table_param()},
      .run = run,
      .check = check_table,
  };
}

}  // namespace roachrun_bank
