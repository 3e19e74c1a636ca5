// What a step type is, and what a running step may use.
//
// The contract of a step's run(StepContext&, const Params&):
//
// A step may assume
//   - its parameters were validated before any step of the run started: every declared
//     parameter is present (or defaulted, or absent and optional: Params::has), of its declared
//     type, within its bounds, variables substituted, and StepType::check accepted them;
//   - the steps before it in the scenario passed (the first failure stops the scenario);
//   - connections it gets from the context are open, on the scenario's target, and stay open for
//     later steps; a transaction it left open is the next step's problem, so it leaves none;
//   - it runs on the main thread, alone: the core never runs two steps at once.
//
// A step must not
//   - print anything but the scenario's output to out() (progress and diagnostics go to log());
//   - splice values into SQL (pass them as $n parameters; identifiers via escape_identifier);
//   - log or print secrets (passwords, key contents): the core masks the ones it knows, not
//     ones a step invents;
//   - keep references to the context, its connections or its parameters after run() returns,
//     or leave threads running: the library may be unloaded once the run is over;
//   - call exit(), install signal handlers, or change the process (cwd, environment, locale);
//   - throw anything but a roachrun::Error subclass on purpose. Whatever else escapes run() (a
//     std::exception, or even `throw 42;`) is caught all the same and fails the step (exit 1)
//     with "unexpected exception from plugin 'P' in step N 'NAME' (P.step): TYPE..."; the run
//     still skips the rest, writes its reports and removes the local server.
//
// Errors: throw StepError (the step could not do what it was asked), let DbError/ConnectError
// from a Connection through, or ParamError from StepType::check at validation time. The core
// catches everything at the step boundary, marks the step failed, reports its message (with known
// secrets masked), its error type (Error::type_name) and its SQLSTATE for a DbError, and skips the
// rest. The exit code follows the error's kind: 3 for a ConnectError, 130 once interrupted, else
// 1 -- also for a ParamError or another "nothing ran" kind thrown by run(), since by then the run
// has started. No exception object outlives the catch, so none outlives its plugin. The boundary
// is the main thread's: an exception escaping a thread the step started ends the process, so a
// step catches in its threads and rethrows on the main thread (std::exception_ptr).
//
// Ctrl-C (or SIGTERM): interrupted() becomes true, then the statement in flight on every open
// Connection is cancelled (a DbError 57014 surfaces) -- the context's, the ones a step opened
// itself with Connection::open for its threads, and ones a retry made with reconnect(): every
// Connection is registered while it is open. From then on Connection::open, open_database and
// reconnect throw Interrupted, so no retry loop reconnects past it. A statement sent after the
// interrupt is not cancelled: a long step polls interrupted() between statements and returns
// early.
#pragma once

#include <atomic>
#include <functional>
#include <iosfwd>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "roachrun/connection.hpp"
#include "roachrun/error.hpp"
#include "roachrun/export.hpp"
#include "roachrun/params.hpp"
#include "roachrun/retry.hpp"

namespace spdlog {
class logger;
}

namespace roachrun {

// Handed to a step while it runs; owned by the core and valid only during run(). Not thread-safe
// except where noted: a step that starts threads opens its own connections for them with
// connection_options()/Connection::open and must join them before returning.
class ROACHRUN_API StepContext {
 public:
  virtual ~StepContext();

  // The step's connection: the one its `connection:` key names, else the scenario's default.
  // Opened on first use and kept open for later steps. Throws ConnectError.
  virtual Connection& connection() = 0;
  // A connection by its name in the scenario's `connections:`. Throws StepError if undefined.
  virtual Connection& connection(std::string_view name) = 0;
  // libpq options (host, port, user, dbname, ssl...) of a named connection ("" = the step's own),
  // for steps that open extra connections of their own, e.g. one per worker thread.
  virtual std::vector<std::pair<std::string, std::string>> connection_options(std::string_view name) const = 0;

  // The scenario's variables after --set overrides.
  virtual const std::map<std::string, std::string, std::less<>>& vars() const = 0;
  // Where the step's output goes (stdout). Only what the scenario is meant to print.
  virtual std::ostream& out() = 0;
  // Progress and diagnostics (stderr).
  virtual spdlog::logger& log() = 0;
  // Set when the user pressed Ctrl-C -- or, in a parallel block, when another branch failed;
  // long-running steps poll it and return early. Thread-safe.
  virtual const std::atomic<bool>& interrupted() const = 0;
  // The retry policy in force for this step (scenario default, then the step's `retry:`).
  virtual RetryPolicy retry_policy() const = 0;
  // The step's display name and the file it is written in (an included file, for its steps):
  // paths a step reads are relative to that file's directory.
  virtual std::string_view step_name() const = 0;
  virtual std::string_view scenario_file() const = 0;

  // Live progress of a long step (a workload's transfers/s): shown on stderr when it is a
  // terminal (and not --quiet), or with `roachrun run --progress`. A step asks progress_enabled()
  // before it spends anything on building lines; progress() writes one line. Main thread only.
  virtual bool progress_enabled() const { return false; }
  virtual void progress(std::string_view line) { (void)line; }
  // The step's result as structured data (counts, rates, latencies): written into the JSON
  // report's entry for the step as "result". A later call replaces an earlier one.
  virtual void set_result(Value result) { (void)result; }

  // run_transaction on connection() with retry_policy() and this step's logger; the attempts
  // and backoff are added to the step's status line.
  TransactionStats transaction(const std::function<void(Connection&)>& op);
  TransactionStats transaction(const std::function<void(Connection&)>& op, const RetryPolicy& policy);
  // With hooks of the step's own, e.g. resolve_ambiguous to make an ambiguous COMMIT safe to
  // retry; log, interrupted and stats are filled in from this context (log/interrupted if unset).
  TransactionStats transaction(const std::function<void(Connection&)>& op, const RetryPolicy& policy,
                               RetryHooks hooks);

 protected:
  virtual void add_transaction_stats(const TransactionStats& stats) = 0;
};

// One kind of step a plugin offers, e.g. "transfer" in plugin "bank" (used as bank.transfer).
// Plain data: the core copies it out of the plugin's factory and keeps the library loaded as long
// as the StepType (its std::functions are plugin code) lives. `run` and `check` must be callable
// any number of times and keep no state between calls that a scenario could observe.
struct StepType {
  std::string name;
  std::string doc;  // one line, shown by `roachrun plugins`
  std::vector<ParamSpec> params;
  // Runs the step. Throws a roachrun::Error subclass on failure (StepError, DbError, ...).
  std::function<void(StepContext&, const Params&)> run;
  // Optional checks across parameters, run at validation time before any step runs; throws
  // ParamError naming the offending parameter. Anything else it throws makes the step invalid
  // too (exit 2, the plugin named), never ends the process. Must not touch a database.
  std::function<void(const Params&)> check;
};

}  // namespace roachrun
