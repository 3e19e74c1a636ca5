// What a step type is, and what a running step may use.
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
  // Set when the user pressed Ctrl-C; long-running steps poll it and return early. Thread-safe.
  virtual const std::atomic<bool>& interrupted() const = 0;
  // The retry policy in force for this step (scenario default, then the step's `retry:`).
  virtual RetryPolicy retry_policy() const = 0;
  // The step's display name and the scenario file it comes from.
  virtual std::string_view step_name() const = 0;
  virtual std::string_view scenario_file() const = 0;

  // run_transaction on connection() with retry_policy() and this step's logger; the attempts
  // and backoff are added to the step's status line.
  TransactionStats transaction(const std::function<void(Connection&)>& op);
  TransactionStats transaction(const std::function<void(Connection&)>& op, const RetryPolicy& policy);

 protected:
  virtual void add_transaction_stats(const TransactionStats& stats) = 0;
};

// One kind of step a plugin offers, e.g. "transfer" in plugin "bank" (used as bank.transfer).
struct StepType {
  std::string name;
  std::string doc;  // one line, shown by `roachrun plugins`
  std::vector<ParamSpec> params;
  // Runs the step. Throws a roachrun::Error subclass on failure (StepError, DbError, ...).
  std::function<void(StepContext&, const Params&)> run;
  // Optional checks across parameters, run at validation time before any step runs; throws
  // ParamError naming the offending parameter. Must not touch a database.
  std::function<void(const Params&)> check;
};

}  // namespace roachrun
