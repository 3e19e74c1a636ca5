// Forced serialization failures, the tutorial's test_retry_loop: real errors from the server,
// so the retry helper sees exactly what a conflicting transaction would give it.
//
// What CockroachDB's forcing function needs depends on the release (plugins/bank/README.md,
// "Forced retries on each CockroachDB version", has the sources):
//   before v19.2  crdb_internal.force_retry is for root only (cockroachdb/cockroach PR #39246);
//   v25.4+        crdb_internal built-ins answer only with the session setting
//                 allow_unsafe_internals on (cockroachdb/docs PR #20486).
// So a step that forces retries first calls prepare_forcing, outside any transaction and before
// it touches data, then force_serialization_failure inside its transaction.
#pragma once

#include <string>
#include <string_view>

#include <libpq-fe.h>

#include <roachrun/connection.hpp>

namespace roachrun {
class StepContext;
}

namespace roachrun_bank {

// What prepare_forcing found out about the step's connection.
struct ForcingSession {
  bool cockroach = false;
  std::string step;  // "bank.transfer": for messages
  std::string release;  // "v19.1.0", or empty when version() names none
  // The session SET allow_unsafe_internals = true went to (nullptr: not sent). A session replaced
  // since (a lost connection) does not have it.
  const PGconn* unsafe_internals_on = nullptr;
};

// Before BEGIN and before the step touches any data, on the step's connection (through lost
// connections, as run_reconnecting does). Detects the engine; when the step will force retries
// (`forcing`) on CockroachDB:
//   - throws StepError, changing nothing, if the server is older than v19.2 and the connection's
//     user is not root (CockroachDB lower-cases user names: "Root" is root);
//   - on v25.4 and later (or a release it cannot read) sends SET allow_unsafe_internals = true,
//     once, outside the transaction: a server that has no such setting answers 42704, which is
//     ignored there (inside a transaction it would abort it).
ForcingSession prepare_forcing(roachrun::StepContext& ctx, std::string_view step, bool forcing);

// Inside a transaction: makes the server fail the current statement with SQLSTATE 40001. On
// CockroachDB `SELECT crdb_internal.force_retry('24h'::INTERVAL)`; on PostgreSQL, which has no
// such function, a DO block raising ERRCODE 40001 with `message` (a constant: spliced into the
// SQL). A privilege error (42501) from the forcing call becomes a StepError saying what to do.
void force_serialization_failure(roachrun::Connection& conn, const ForcingSession& session, const char* message);

}  // namespace roachrun_bank
