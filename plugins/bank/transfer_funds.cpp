#include "transfer_funds.hpp"

namespace roachrun_bank {

TransferSql TransferSql::for_table(const std::string& quoted_table) {
  // No `SELECT ... FOR UPDATE`: the transaction runs SERIALIZABLE by default on both engines, so
  // two transfers racing on one account cannot both pass the funds check -- one fails with 40001
  // and its retry reads the new balance.
  return TransferSql{
      .select_balance = "SELECT balance FROM " + quoted_table + " WHERE id = $1",
      .debit = "UPDATE " + quoted_table + " SET balance = balance - $1 WHERE id = $2",
      .credit = "UPDATE " + quoted_table + " SET balance = balance + $1 WHERE id = $2",
  };
}

const std::string& TransferSql::text(TransferStatement s) const {
  switch (s) {
    case TransferStatement::select_balance: return select_balance;
    case TransferStatement::debit: return debit;
    case TransferStatement::credit: return credit;
  }
  return select_balance;
}

}  // namespace roachrun_bank
