// The tutorial's transfer_funds(): read the source balance, refuse an overdraft, move the amount.
//
// One definition shared by bank.transfer (one transfer, plain statements) and bank.workload's
// tutorial protocol (prepared statements, many times a second), so both run the same statements
// in the same order and decide the same way. The caller owns the transaction around it.
#pragma once

#include <cstdint>
#include <string>

#include <roachrun/connection.hpp>

namespace roachrun_bank {

enum class TransferStatement { select_balance, debit, credit };

// The statements' text for one (quoted) table. Parameters: select_balance($1 = from),
// debit($1 = amount, $2 = from), credit($1 = amount, $2 = to).
struct TransferSql {
  std::string select_balance;
  std::string debit;
  std::string credit;
  static TransferSql for_table(const std::string& quoted_table);
  const std::string& text(TransferStatement s) const;
};

enum class TransferOutcome {
  applied,
  insufficient_funds,  // nothing changed: the source has less than the amount
  no_source,           // the source account does not exist
  no_balance,          // the source's balance is NULL
  source_vanished,     // the debit matched no row (deleted between the SELECT and the UPDATE)
  no_destination,      // the credit matched no row: the caller must roll back (the debit is done)
};

// The values as text, as they travel ($n parameters), and the amount as a number for the check.
struct TransferValues {
  const char* from;
  const char* to;
  const char* amount;
  std::int64_t amount_value;
};

// `exec(statement, count, values)` runs one of the three statements and returns its Result
// (throwing DbError on an error reply). `balance` receives the source's balance when it was read.
template <typename Exec>
TransferOutcome transfer_funds(Exec&& exec, const TransferValues& v, std::int64_t& balance) {
  {
    const char* const values[] = {v.from};
    const roachrun::Result r = exec(TransferStatement::select_balance, 1, values);
    if (r.rows() == 0) return TransferOutcome::no_source;
    if (r.is_null(0, 0)) return TransferOutcome::no_balance;
    balance = r.integer(0, 0);
  }
  if (balance < v.amount_value) return TransferOutcome::insufficient_funds;
  {
    const char* const values[] = {v.amount, v.from};
    if (exec(TransferStatement::debit, 2, values).affected_rows() == 0) return TransferOutcome::source_vanished;
  }
  {
    const char* const values[] = {v.amount, v.to};
    if (exec(TransferStatement::credit, 2, values).affected_rows() == 0) return TransferOutcome::no_destination;
  }
  return TransferOutcome::applied;
}

}  // namespace roachrun_bank
