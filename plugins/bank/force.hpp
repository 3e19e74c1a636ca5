// Forced serialization failures, the tutorial's test_retry_loop: real errors from the server,
// so the retry helper sees exactly what a conflicting transaction would give it.
#pragma once

#include <roachrun/connection.hpp>

namespace roachrun_bank {

// Inside a transaction: makes the server fail the current statement with SQLSTATE 40001. On
// CockroachDB `SELECT crdb_internal.force_retry('1s'::INTERVAL)` (a "restart transaction" error
// while the transaction is younger than 1 s); on PostgreSQL, which has no such function, a DO
// block raising ERRCODE 40001 with `message` (a constant: spliced into the SQL).
void force_serialization_failure(roachrun::Connection& conn, bool cockroach, const char* message);

}  // namespace roachrun_bank
