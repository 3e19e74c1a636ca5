// bank.expect_balances: checks the balances a scenario expects, e.g. after a transfer.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <roachrun/roachrun.hpp>
#include <spdlog/spdlog.h>

#include "accounts.hpp"
#include "steps.hpp"

namespace roachrun_bank {

namespace {

using Expectation = std::pair<std::int64_t, std::int64_t>;  // id, balance

// The `balances` map in file order; throws ParamError naming the first bad entry.
std::vector<Expectation> expectations_of(const roachrun::Params& p) {
  const roachrun::Value& map = p.raw("balances");
  if (!map.is_object() || map.empty()) {
    throw roachrun::ParamError("balances", "'balances' must map account ids to balances, e.g. {1: 900, 2: 350}");
  }
  std::vector<Expectation> out;
  for (const auto& [key, value] : map.items()) {
    const auto id = integer_of(roachrun::Value(key));
    const auto balance = integer_of(value);
    if (!id) throw roachrun::ParamError("balances", "account id '" + key + "' is not a whole number");
    if (!balance) {
      throw roachrun::ParamError("balances",
                                 "balance of account " + key + " (" + value.dump() + ") is not a whole number");
    }
    out.emplace_back(*id, *balance);
  }
  return out;
}

void check(const roachrun::Params& p) {
  check_table(p);
  (void)expectations_of(p);
}

void run(roachrun::StepContext& ctx, const roachrun::Params& p) {
  const std::vector<Expectation> expected = expectations_of(p);
  roachrun::Result r;  // a read: run again on a new session if the connection is lost
  roachrun::run_reconnecting(
      ctx, [&](roachrun::Connection& conn) { r = conn.exec_params("SELECT id, balance FROM " + quoted_table(conn, p)); });

  std::map<std::int64_t, std::optional<std::int64_t>> actual;  // NULL balance -> nullopt
  for (int i = 0; i < r.rows(); ++i) {
    actual[r.integer(i, 0)] = r.is_null(i, 1) ? std::nullopt : std::optional<std::int64_t>(r.integer(i, 1));
  }

  // Every mismatch, not just the first: one run tells the whole story.
  std::string problems;
  int count = 0;
  for (const auto& [id, balance] : expected) {
    const auto it = actual.find(id);
    std::string actual_text;
    if (it == actual.end())
      actual_text = "but the account does not exist";
    else if (!it->second)
      actual_text = "got NULL";
    else if (*it->second != balance)
      actual_text = "got " + std::to_string(*it->second);
    else
      continue;
    ++count;
    problems += "\n  account " + std::to_string(id) + ": expected " + std::to_string(balance) + ", " + actual_text;
  }
  if (count > 0) {
    throw roachrun::StepError(std::to_string(count) + " of " + std::to_string(expected.size()) +
                              " balance(s) in table " + p.string("table") + " differ from 'balances':" + problems);
  }
  ctx.log().info("{} balance(s) as expected", expected.size());
}

}  // namespace

roachrun::StepType expect_balances_step() {
  using roachrun::ParamType;
  return roachrun::StepType{
      .name = "expect_balances",
      .doc = "Fail unless the accounts hold the given balances; lists every difference",
      .params =
          {
              roachrun::required_param("balances", ParamType::map, "expected balance per account id: {1: 900, 2: 350}"),
              table_param(),
          },
      .run = run,
      .check = check,
  };
}

}  // namespace roachrun_bank
