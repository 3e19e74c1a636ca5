// bank.create_accounts: the tutorial's CREATE TABLE IF NOT EXISTS and UPSERT of the first rows.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <roachrun/roachrun.hpp>
#include <spdlog/spdlog.h>

#include "accounts.hpp"
#include "steps.hpp"

namespace roachrun_bank {

namespace {

using Account = std::pair<std::int64_t, std::int64_t>;  // id, balance

// Rows as validated pairs; throws ParamError("rows", ...) naming the first bad row (1-based).
std::vector<Account> accounts_of(const roachrun::Params& p) {
  std::vector<Account> out;
  std::map<std::int64_t, std::size_t> seen;  // id -> row number
  std::size_t n = 0;
  for (const auto& row : p.raw("rows")) {
    ++n;
    const std::string where = "row " + std::to_string(n) + " (" + row.dump() + ")";
    if (!row.is_array() || row.size() != 2) {
      throw roachrun::ParamError("rows", where + " is not a pair [id, balance]");
    }
    const auto id = integer_of(row[0]);
    const auto balance = integer_of(row[1]);
    if (!id || !balance) throw roachrun::ParamError("rows", where + ": id and balance must be whole numbers");
    // Two rows for one account would silently keep the last balance: most likely a typo.
    if (auto [it, fresh] = seen.emplace(*id, n); !fresh) {
      throw roachrun::ParamError(
          "rows", where + ": account " + std::to_string(*id) + " is already in row " + std::to_string(it->second));
    }
    out.emplace_back(*id, *balance);
  }
  return out;
}

void check(const roachrun::Params& p) {
  check_table(p);
  (void)accounts_of(p);
}

void run(roachrun::StepContext& ctx, const roachrun::Params& p) {
  const std::vector<Account> accounts = accounts_of(p);
  roachrun::Connection& conn = ctx.connection();
  require_no_transaction(conn, "bank.create_accounts");
  const std::string table = quoted_table(conn, p);

  const std::string create = "CREATE TABLE IF NOT EXISTS " + table + " (id INT PRIMARY KEY, balance INT)";
  // The tutorial's UPSERT INTO is CockroachDB only; INSERT ... ON CONFLICT means the same on both.
  const std::string upsert = "INSERT INTO " + table +
                             " (id, balance) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET balance = excluded.balance";
  // One transaction: either the table holds all the rows or nothing changed. Safe to retry whole.
  // After a lost COMMIT reply it committed if the table holds every row as given; if not, running
  // it again is safe too (CREATE TABLE IF NOT EXISTS, an UPSERT of fixed values).
  roachrun::RetryHooks hooks;
  hooks.resolve_ambiguous = [&](roachrun::Connection& c) {
    roachrun::Result r;
    try {
      r = c.exec_params("SELECT id, balance FROM " + table);
    } catch (const roachrun::DbError& e) {
      if (e.sqlstate() == "42P01") return false;  // undefined_table: the CREATE did not commit either
      throw;
    }
    std::map<std::int64_t, std::int64_t> have;
    for (int i = 0; i < r.rows(); ++i)
      if (!r.is_null(i, 1)) have[r.integer(i, 0)] = r.integer(i, 1);
    for (const auto& [id, balance] : accounts)
      if (auto it = have.find(id); it == have.end() || it->second != balance) return false;
    return true;
  };
  ctx.transaction(
      [&](roachrun::Connection& c) {
        c.exec_params(create);
        for (const auto& [id, balance] : accounts) c.query(upsert, id, balance);
      },
      ctx.retry_policy(), hooks);
  ctx.log().info("upserted {} account(s) into {}", accounts.size(), p.string("table"));
}

}  // namespace

roachrun::StepType create_accounts_step() {
  using roachrun::ParamType;
  return roachrun::StepType{
      .name = "create_accounts",
      .doc = "Create the accounts table if needed and upsert [id, balance] rows, in one transaction",
      .params =
          {
              roachrun::required_param("rows", ParamType::rows,
                       "accounts as [id, balance] pairs of whole numbers: [[1, 1000], [2, 250]]"),
              table_param(),
          },
      .run = run,
      .check = check,
  };
}

}  // namespace roachrun_bank
