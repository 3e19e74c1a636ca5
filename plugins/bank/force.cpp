#include "force.hpp"

#include <string>

#include <roachrun/roachrun.hpp>
#include <spdlog/spdlog.h>

namespace roachrun_bank {

namespace {

// The tutorial forces with '1s': force_retry fails while the transaction is younger than its
// interval, counted from the transaction's start (StmtTimestamp - TxnTimestamp in CockroachDB's
// builtins.go), and ROLLBACK TO SAVEPOINT cockroach_restart keeps that start. With the savepoint
// protocol the backoffs (200, 400, 800 ms by default) take the transaction past 1 s by about the
// fourth attempt, which would then commit: `force_retries: 4` would pass instead of exhausting
// its retries. A day is longer than any step runs, so the attempt counter alone decides.
constexpr const char* kForceRetry = "SELECT crdb_internal.force_retry('24h'::INTERVAL)";

// Sent outside the transaction: an unknown setting (42704) inside one would abort it.
constexpr const char* kAllowUnsafeInternals = "SET allow_unsafe_internals = true";

// The v25.4+ gate's refusal: 42501, "Access to crdb_internal and system is restricted." with a
// hint naming allow_unsafe_internals (CockroachDB's pkg/sql/unsafesql and its tests).
bool is_unsafe_internals_refusal(const roachrun::DbError& e) {
  const std::string& m = e.server_message();
  return m.find("crdb_internal and system is restricted") != std::string::npos ||
         m.find("allow_unsafe_internals") != std::string::npos;
}

std::string release_text(const roachrun::Dialect& d) {
  const auto r = d.cockroach_release();
  if (!r) return {};
  return "v" + std::to_string(r->major) + "." + std::to_string(r->minor) + "." + std::to_string(r->patch);
}

std::string on_release(const ForcingSession& s) { return s.release.empty() ? "" : " (the server is " + s.release + ")"; }

// What to do about the root-only rule of the releases before v19.2.
constexpr const char* kRootOnlyAdvice =
    "run the step on a root connection (the step's `connection:`), or use CockroachDB v19.2 or later (PR #39246 "
    "opened it to every user)";

}  // namespace

ForcingSession prepare_forcing(roachrun::StepContext& ctx, std::string_view step, bool forcing) {
  ForcingSession s;
  s.step = std::string(step);
  roachrun::run_reconnecting(ctx, [&](roachrun::Connection& c) {
    const roachrun::Dialect& d = c.dialect();
    s.cockroach = d.is_cockroach();
    if (!forcing || !s.cockroach) return;
    s.release = release_text(d);
    const std::string user = c.user();
    if (d.cockroach_before(19, 2) && roachrun::normalize_user_name(user) != "root")
      throw roachrun::StepError(s.step + ": crdb_internal.force_retry is for root only before CockroachDB v19.2" +
                                on_release(s) + ", and connection user '" + user + "' is not root: " +
                                kRootOnlyAdvice + "; nothing was done");
    if (!d.cockroach_at_least(25, 4)) return;
    try {
      c.exec_simple(kAllowUnsafeInternals);
      s.unsafe_internals_on = c.native_handle();
    } catch (const roachrun::DbError& e) {
      if (e.sqlstate() != "42704") throw;
      // A build that says v25.4+ but has no such setting: it gates nothing then.
      ctx.log().info("{}: the server has no session setting allow_unsafe_internals (SQLSTATE 42704: {}); "
                     "crdb_internal.force_retry is called without it",
                     s.step, e.server_message());
    }
  });
  return s;
}

void force_serialization_failure(roachrun::Connection& conn, const ForcingSession& session, const char* message) {
  if (!session.cockroach) {
    conn.exec_script(std::string("DO $$BEGIN RAISE EXCEPTION USING ERRCODE = '40001', MESSAGE = '") + message +
                     "'; END$$");
    return;
  }
  try {
    conn.exec_simple(kForceRetry);
  } catch (const roachrun::DbError& e) {
    if (e.sqlstate() != "42501") throw;
    // The detection before the transaction missed (a release version() does not name, a role
    // setting...): say what to do rather than "insufficient privilege".
    if (is_unsafe_internals_refusal(e)) {
      const bool replaced = session.unsafe_internals_on && session.unsafe_internals_on != conn.native_handle();
      throw roachrun::StepError(
          session.step + ": CockroachDB" + on_release(session) +
          " refused crdb_internal.force_retry: from v25.4 crdb_internal built-ins need the session setting "
          "allow_unsafe_internals on (server: " + e.server_message() + "); " +
          (replaced ? "the step set it at its start, but the connection was lost and its new session does not "
                      "have it: run the step again"
                    : "the step sets it at its start when the server is v25.4 or later: check that this server's "
                      "version() names its release, or set it for the user (ALTER ROLE ... SET "
                      "allow_unsafe_internals = true)") +
          "; nothing of this transaction was committed");
    }
    throw roachrun::StepError(session.step + ": CockroachDB" + on_release(session) +
                              " refused crdb_internal.force_retry to user '" + conn.user() + "' (server: " +
                              e.server_message() + "); before v19.2 it is for root only: " + kRootOnlyAdvice +
                              "; nothing of this transaction was committed");
  }
}

}  // namespace roachrun_bank
