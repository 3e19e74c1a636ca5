// bank.transfer: the tutorial's transfer_funds() inside its run_transaction() retry loop.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <roachrun/roachrun.hpp>
#include <spdlog/spdlog.h>

#include "accounts.hpp"
#include "force.hpp"
#include "steps.hpp"
#include "transfer_funds.hpp"

namespace roachrun_bank {

namespace {

void check(const roachrun::Params& p) {
  check_table(p);
  if (p.has("id") && p.string("id").empty()) throw roachrun::ParamError("id", "'id' is empty: give the transfer an id");
  if (p.string("ledger").empty()) throw roachrun::ParamError("ledger", "'ledger' is empty: give a table name");
  if (p.integer("from") == p.integer("to")) {
    throw roachrun::ParamError("to", "'from' and 'to' are the same account (" + std::to_string(p.integer("to")) +
                                         "): a transfer needs two accounts");
  }
}

void run(roachrun::StepContext& ctx, const roachrun::Params& p) {
  const std::int64_t from = p.integer("from");
  const std::int64_t to = p.integer("to");
  const std::int64_t amount = p.integer("amount");
  const std::int64_t force_retries = p.integer("force_retries");
  const std::optional<std::string> id = p.has("id") ? std::optional<std::string>(p.string("id")) : std::nullopt;
  roachrun::Connection& conn = ctx.connection();
  require_no_transaction(conn, "bank.transfer");
  const std::string table = quoted_table(conn, p);
  const std::string name = p.string("table");  // for messages
  const std::string ledger = conn.escape_identifier(p.string("ledger"));
  // Before BEGIN (it may run a query) and before the ledger is made: a server that will refuse
  // the forcing call fails the step here, having changed nothing.
  const ForcingSession forcing = prepare_forcing(ctx, "bank.transfer", force_retries > 0);

  // The statements of the tutorial's transfer_funds(), shared with bank.workload.
  const TransferSql sql = TransferSql::for_table(table);
  const std::string record = "INSERT INTO " + ledger +
                             " (id, from_id, to_id, amount) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING";
  const std::string lookup = "SELECT from_id, to_id, amount FROM " + ledger + " WHERE id = $1";

  // The step's retry policy (scenario default, then the step's `retry:`: protocol, isolation,
  // backoff...), with max_retries from the parameter when it is given.
  roachrun::RetryPolicy policy = ctx.retry_policy();
  if (p.has("max_retries")) policy.max_retries = static_cast<int>(p.integer("max_retries"));

  roachrun::RetryHooks hooks;
  if (id) {
    // The ledger is created outside the transaction, before it: DDL inside a retried
    // transaction would only add conflicts. IF NOT EXISTS: safe to run again after a lost reply.
    roachrun::run_reconnecting(ctx, [&](roachrun::Connection& c) {
      c.exec_params("CREATE TABLE IF NOT EXISTS " + ledger +
                    " (id TEXT PRIMARY KEY, from_id INT, to_id INT, amount INT, at TIMESTAMPTZ DEFAULT now())");
    });
    // After an ambiguous COMMIT: the ledger row is there if and only if the transfer committed.
    hooks.resolve_ambiguous = [&](roachrun::Connection& c) { return c.query(lookup, *id).rows() > 0; };
  } else {
    hooks.ambiguous_advice =
        "give the transfer an id: to make it safe to retry (check the balances before running it again)";
  }

  const std::string from_text = std::to_string(from), to_text = std::to_string(to), amount_text = std::to_string(amount);
  const TransferValues values{from_text.c_str(), to_text.c_str(), amount_text.c_str(), amount};

  bool already_applied = false;
  std::int64_t attempt = 0;
  // The helper owns BEGIN/COMMIT/ROLLBACK: a StepError thrown here rolls everything back, and a
  // 40001 or 40P01 anywhere (COMMIT included) runs this whole function again.
  ctx.transaction(
      [&](roachrun::Connection& c) {
        ++attempt;
        already_applied = false;
        if (id && c.query(record, *id, from, to, amount).affected_rows() == 0) {
          // The id is in the ledger: this transfer committed before (an earlier run, or an attempt
          // whose reply was lost). Never apply it twice.
          const roachrun::Result r = c.query(lookup, *id);
          if (r.rows() == 1 && (r.integer(0, 0) != from || r.integer(0, 1) != to || r.integer(0, 2) != amount)) {
            throw roachrun::StepError("transfer id '" + *id + "' was already used for another transfer (" +
                                      std::string(r.text(0, 2)) + " from account " + std::string(r.text(0, 0)) +
                                      " to account " + std::string(r.text(0, 1)) +
                                      "): nothing was transferred; give this transfer a new id");
          }
          already_applied = true;
          return;
        }
        std::int64_t balance = 0;
        const TransferOutcome outcome = transfer_funds(
            [&](TransferStatement st, int count, const char* const* texts) {
              return c.exec_params(sql.text(st), std::vector<roachrun::Param>(texts, texts + count));
            },
            values, balance);
        switch (outcome) {
          case TransferOutcome::applied: break;
          case TransferOutcome::no_source:
            throw roachrun::StepError("account " + std::to_string(from) + " does not exist in table " + name +
                                      ": nothing was transferred (create it first, e.g. with bank.create_accounts)");
          case TransferOutcome::no_balance:
            throw roachrun::StepError("account " + std::to_string(from) +
                                      " has no balance (NULL): nothing was transferred");
          case TransferOutcome::insufficient_funds:
            throw roachrun::StepError("insufficient funds in account " + std::to_string(from) + ": have " +
                                      std::to_string(balance) + ", need " + std::to_string(amount));
          case TransferOutcome::source_vanished:
            throw roachrun::StepError("account " + std::to_string(from) +
                                      " disappeared during the transfer: nothing was transferred");
          case TransferOutcome::no_destination:
            throw roachrun::StepError("account " + std::to_string(to) + " does not exist in table " + name +
                                      ": nothing was transferred (create it first, e.g. with bank.create_accounts)");
        }
        // Testing aid: fail after the work is done, as a conflicting transaction would at COMMIT.
        if (attempt <= force_retries) force_serialization_failure(c, forcing, "forced retry (bank.transfer)");
      },
      policy, hooks);
  if (already_applied)
    ctx.log().info("transfer '{}' already applied: {} from account {} to account {} was not made again", *id, amount,
                   from, to);
  else
    ctx.log().info("transferred {} from account {} to account {}{}", amount, from, to,
                   id ? " as transfer '" + *id + "'" : std::string());
}

}  // namespace

roachrun::StepType transfer_step() {
  using roachrun::ParamType;
  roachrun::ParamSpec amount = roachrun::required_param("amount", ParamType::integer, "amount to move");
  amount.min = 1;
  // No default on purpose: when absent, the step's retry policy decides (3, like the tutorial,
  // unless the scenario's or the step's `retry:` says otherwise).
  roachrun::ParamSpec max_retries = roachrun::optional_param(
      "max_retries", ParamType::integer, "retries after a 40001 serialization failure (default: retry policy's, 3)");
  max_retries.min = 0;
  max_retries.max = 100;
  roachrun::ParamSpec id = roachrun::optional_param("id", ParamType::string,
                                    "transfer id: recorded in the ledger in the same transaction, so the transfer "
                                    "applies once and an ambiguous COMMIT can be resolved and retried");
  roachrun::ParamSpec force_retries = roachrun::optional_param(
      "force_retries", ParamType::integer,
      "testing aid: fail the first N attempts with a real 40001 after the UPDATEs (as bank.force_retry)", 0);
  force_retries.min = 0;
  force_retries.max = 1000;
  return roachrun::StepType{
      .name = "transfer",
      .doc = "Move an amount between two accounts in one SERIALIZABLE transaction, retried; exactly once with an id",
      .params =
          {
              roachrun::required_param("from", ParamType::integer, "account to take the amount from"),
              roachrun::required_param("to", ParamType::integer, "account to give the amount to"),
              amount,
              max_retries,
              id,
              roachrun::optional_param("ledger", ParamType::string, "table recording transfer ids (created if missing)", "transfers"),
              force_retries,
              table_param(),
          },
      .run = run,
      .check = check,
  };
}

}  // namespace roachrun_bank
