// The bank's invariants, checked after a workload (and by bank.audit on its own): the money is
// all there, no balance is negative, and -- with a ledger -- every balance is what the recorded
// transfers say it must be.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <roachrun/connection.hpp>
#include <roachrun/params.hpp>
#include <roachrun/step.hpp>

namespace roachrun_bank {

struct AuditAccount {
  std::int64_t id = 0;
  std::int64_t balance = 0;
  std::int64_t expected = 0;  // from the ledger (ledger mismatches only)
};

struct AuditReport {
  std::int64_t accounts = 0;  // rows found
  std::int64_t expected_accounts = 0;
  std::string total;  // sums as text: they can exceed BIGINT on a corrupted table
  std::string expected_total;
  std::int64_t negative_count = 0;
  std::vector<AuditAccount> negative;  // the first few
  bool ledger_checked = false;
  std::int64_t mismatch_count = 0;
  std::vector<AuditAccount> ledger_mismatches;  // the first few
  bool ok() const noexcept {
    return accounts == expected_accounts && total == expected_total && negative_count == 0 && mismatch_count == 0;
  }
};

// Reads the table (and the ledger, if `quoted_ledger` is not empty) on the step's connection in
// one REPEATABLE READ transaction, so the checks see one consistent state; through the retry
// engine, so a lost connection (found lost at the start too) reads it all again on a new session
// within retry.reconnect_budget. Throws DbError, ConnectError past the budget, Interrupted.
// REQUIRES: the step's connection is not inside a transaction.
AuditReport audit_accounts(roachrun::StepContext& ctx, const std::string& quoted_table,
                           const std::string& quoted_ledger, std::int64_t accounts, std::int64_t initial_balance);

// "ok (1000 accounts, total 1000000 = 1000 x 1000, none negative, ledger consistent)", or what
// is wrong, naming the accounts.
std::string describe(const AuditReport& report, std::int64_t initial_balance);
roachrun::Value to_json(const AuditReport& report);

}  // namespace roachrun_bank
