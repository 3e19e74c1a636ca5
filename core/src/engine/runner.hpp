// Runs a validated scenario plan step by step on a target, and says how each step went.
// Step output goes to `out`; status lines and logs to the logger. The first failed step stops
// the scenario; the rest are reported as skipped.
#pragma once

#include <chrono>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "engine/exit_status.hpp"
#include "engine/scenario_validator.hpp"
#include "engine/signals.hpp"
#include "engine/target.hpp"

namespace spdlog {
class logger;
}

namespace roachrun {

enum class StepStatus { passed, failed, skipped };

// Plain data about one step's run, for the status line now and for reports later.
struct StepOutcome {
  int number = 0;
  std::string name;
  std::string type;
  StepStatus status = StepStatus::skipped;
  std::chrono::milliseconds duration{0};
  TransactionStats transactions;  // summed over the step's transactions
  std::optional<ErrorKind> error_kind;
  // The error type: the SDK class ("DbError", "RetriesExhausted", "StepError", ...), or the C++
  // type of anything else a plugin threw ("std::out_of_range", "int").
  std::string error_type;
  std::string sqlstate;
  std::string message;      // with known secrets redacted
  std::string skip_reason;  // why a skipped step did not run
  Value result;             // what the step handed to StepContext::set_result (null if nothing)
  std::string block;        // the parallel block it is in ("" if none)
  std::string branch;       // its branch there
  std::chrono::milliseconds started{0};  // when it started, from the scenario's start (0 if it did not)
};

struct ScenarioOutcome {
  std::string file;
  std::string name;
  std::string target;  // what it ran against, for reports: Target::describe() (no password)
  std::vector<StepOutcome> steps;
  std::chrono::milliseconds duration{0};
  ExitCode exit_code = kExitOk;
};

// The outcome of a scenario that never started (an earlier scenario failed, the run was
// interrupted): every step skipped for `reason`.
ScenarioOutcome not_run(const ScenarioPlan& plan, const std::string& reason);

class Runner {
 public:
  // `progress`: whether steps show live progress lines on stderr (see StepContext::progress).
  Runner(spdlog::logger& log, std::ostream& out, Interrupts& interrupts, bool progress = false);
  ScenarioOutcome run(const ScenarioPlan& plan, const Target& target);

 private:
  class Run;
  spdlog::logger& log_;
  std::ostream& out_;
  Interrupts& interrupts_;
  bool progress_;
};

}  // namespace roachrun
