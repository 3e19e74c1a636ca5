// Checks a loaded scenario against the plugins before anything runs: every step type exists,
// every parameter is declared, present when required, of its type and within its bounds, every
// variable resolves. The result is a plan the runner executes without further checks.
#pragma once

#include <vector>

#include "engine/plugin_registry.hpp"
#include "engine/scenario.hpp"
#include "engine/variables.hpp"
#include "roachrun/params.hpp"

namespace roachrun {

struct PlannedStep {
  const StepDef* def = nullptr;
  std::shared_ptr<const RegisteredStep> step;
  Params params{Value::object()};
  RetryPolicy retry;
  // Set when the step is not to run (--only, --from): the runner reports it skipped, with this.
  std::string skip_reason;
  // Its parameters read a capture (${name} of an earlier step's result): `params` show the
  // reference as written, and are converted and checked again when the step runs.
  bool deferred = false;
};

struct ScenarioPlan {
  Scenario scenario;
  std::vector<PlannedStep> steps;  // def points into scenario.steps
};

// All the problems of one scenario; what() lists them one per line.
class ScenarioInvalid : public Error {
 public:
  explicit ScenarioInvalid(std::vector<ValidationError> errors);
  ErrorKind kind() const noexcept override { return ErrorKind::validation; }
  std::string_view type_name() const noexcept override { return "ScenarioInvalid"; }
  const std::vector<ValidationError>& errors() const noexcept { return errors_; }

 private:
  std::vector<ValidationError> errors_;
};

// Throws ScenarioInvalid with every problem found (not only the first).
ScenarioPlan plan_scenario(Scenario scenario, const PluginRegistry& registry, const EnvLookup& env = process_env);

// Converts one step's parameters (exposed for tests and `roachrun plugins`).
Value convert_params(const StepDef& def, const StepType& type, const VarTable& vars, const std::string& file,
                     const EnvLookup& env = process_env);

// A deferred step's parameters, once the captures it reads are known (`captures`: name -> value),
// converted and checked as validation does. Throws ValidationError (file:line:col) as it would.
Params params_at_run_time(const PlannedStep& step, const VarTable& captures, const EnvLookup& env = process_env);

// Parameters for a step the core runs itself (not from a file): `given` must already be typed;
// absent parameters get their defaults.
Params params_with_defaults(const StepType& type, Value given);

}  // namespace roachrun
