// bank.transfer: the tutorial's transfer_funds() inside its run_transaction() retry loop.
#include <cstdint>
#include <string>

#include <roachrun/roachrun.hpp>
#include <spdlog/spdlog.h>

#include "accounts.hpp"
#include "specs.hpp"
#include "steps.hpp"

namespace roachrun_bank {

namespace {

void check(const roachrun::Params& p) {
  check_table(p);
  if (p.integer("from") == p.integer("to")) {
    throw roachrun::ParamError("to", "'from' and 'to' are the same account (" + std::to_string(p.integer("to")) +
                                         "): a transfer needs two accounts");
  }
}

void run(roachrun::StepContext& ctx, const roachrun::Params& p) {
  const std::int64_t from = p.integer("from");
  const std::int64_t to = p.integer("to");
  const std::int64_t amount = p.integer("amount");
  roachrun::Connection& conn = ctx.connection();
  require_no_transaction(conn, "bank.transfer");
  const std::string table = quoted_table(conn, p);
  const std::string name = p.string("table");  // for messages

  // CockroachDB runs transactions SERIALIZABLE: two transfers racing on one account make one of
  // them fail with 40001, and the retry reads the new balance. PostgreSQL's default READ
  // COMMITTED would let both pass the funds check and overdraw the account, and transfers in
  // opposite directions (1->2, 2->1) would deadlock on the two UPDATEs. So on PostgreSQL both rows
  // are locked first, always in id order. (Asked before BEGIN: dialect() may run a query.)
  const bool lock_rows = !conn.dialect().is_cockroach();
  const std::string lock = "SELECT id FROM " + table + " WHERE id IN ($1, $2) ORDER BY id FOR UPDATE";
  const std::string select = "SELECT balance FROM " + table + " WHERE id = $1";
  const std::string debit = "UPDATE " + table + " SET balance = balance - $1 WHERE id = $2";
  const std::string credit = "UPDATE " + table + " SET balance = balance + $1 WHERE id = $2";

  // The step's retry policy (scenario default, then the step's `retry:`), with max_retries from
  // the parameter when it is given.
  roachrun::RetryPolicy policy = ctx.retry_policy();
  if (p.has("max_retries")) policy.max_retries = static_cast<int>(p.integer("max_retries"));

  // The helper owns BEGIN/COMMIT/ROLLBACK: a StepError thrown here rolls everything back, and a
  // 40001 anywhere (COMMIT included) runs this whole function again.
  ctx.transaction(
      [&](roachrun::Connection& c) {
        if (lock_rows) c.query(lock, from, to);
        const roachrun::Result r = c.query(select, from);
        if (r.rows() == 0) {
          throw roachrun::StepError("account " + std::to_string(from) + " does not exist in table " + name +
                                    ": nothing was transferred (create it first, e.g. with bank.create_accounts)");
        }
        if (r.is_null(0, 0)) {
          throw roachrun::StepError("account " + std::to_string(from) +
                                    " has no balance (NULL): nothing was transferred");
        }
        const std::int64_t balance = r.integer(0, 0);
        if (balance < amount) {
          throw roachrun::StepError("insufficient funds in account " + std::to_string(from) + ": have " +
                                    std::to_string(balance) + ", need " + std::to_string(amount));
        }
        if (c.query(debit, amount, from).affected_rows() == 0) {
          throw roachrun::StepError("account " + std::to_string(from) +
                                    " disappeared during the transfer: nothing was transferred");
        }
        if (c.query(credit, amount, to).affected_rows() == 0) {
          throw roachrun::StepError("account " + std::to_string(to) + " does not exist in table " + name +
                                    ": nothing was transferred (create it first, e.g. with bank.create_accounts)");
        }
      },
      policy);
  ctx.log().info("transferred {} from account {} to account {}", amount, from, to);
}

}  // namespace

roachrun::StepType transfer_step() {
  using roachrun::ParamType;
  roachrun::ParamSpec amount = required("amount", ParamType::integer, "amount to move");
  amount.min = 1;
  // No default on purpose: when absent, the step's retry policy decides (3, like the tutorial,
  // unless the scenario's or the step's `retry:` says otherwise).
  roachrun::ParamSpec max_retries = optional(
      "max_retries", ParamType::integer, "retries after a 40001 serialization failure (default: retry policy's, 3)");
  max_retries.min = 0;
  max_retries.max = 100;
  return roachrun::StepType{
      .name = "transfer",
      .doc = "Move an amount between two accounts in one transaction, retried on serialization failures",
      .params =
          {
              required("from", ParamType::integer, "account to take the amount from"),
              required("to", ParamType::integer, "account to give the amount to"),
              amount,
              max_retries,
              table_param(),
          },
      .run = run,
      .check = check,
  };
}

}  // namespace roachrun_bank
