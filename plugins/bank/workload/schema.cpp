#include "schema.hpp"

#include <algorithm>

namespace roachrun_bank {

void create_workload_tables(roachrun::Connection& conn, const std::string& table, const std::string& ledger,
                            std::int64_t accounts, std::int64_t initial_balance, bool with_ledger) {
  conn.exec_params("DROP TABLE IF EXISTS " + ledger);
  conn.exec_params("DROP TABLE IF EXISTS " + table);
  conn.exec_params("CREATE TABLE " + table + " (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL)");
  if (with_ledger) {
    conn.exec_params("CREATE TABLE " + ledger +
              " (id BIGINT PRIMARY KEY, from_id BIGINT NOT NULL, to_id BIGINT NOT NULL, amount BIGINT NOT NULL)");
  }
  // The server generates the rows: one statement per batch instead of a row per round trip.
  // Batches keep each transaction small, which CockroachDB prefers.
  constexpr std::int64_t kBatch = 50'000;
  const std::string insert = "INSERT INTO " + table +
                             " (id, balance) SELECT g, $3::BIGINT FROM generate_series($1::BIGINT, $2::BIGINT) AS g";
  for (std::int64_t first = 1; first <= accounts; first += kBatch)
    conn.query(insert, first, std::min(accounts, first + kBatch - 1), initial_balance);
}

}  // namespace roachrun_bank
