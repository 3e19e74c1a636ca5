// What a plugin's step details (SDK 3.4, roachrun/plugin.hpp) ask of a scenario, checked before
// anything runs: a string parameter with choices holds one of them, and a step that needs
// roachrun's local target is not run against a URL.
#pragma once

#include <string>
#include <vector>

#include "engine/plugin_registry.hpp"
#include "engine/scenario.hpp"
#include "engine/scenario_validator.hpp"

namespace roachrun {

// Throws ValidationError at the parameter's value (file:line:col) for a value outside its
// choices, naming them (and the closest one). `params` are the step's converted parameters: the
// validator checks a step that reads a capture only when it runs (params_at_run_time).
void check_step_choices(const StepDef& def, const RegisteredStep& step, const Params& params, const std::string& file);

// One error for each step of `plan` that needs the local target, when the plan's target
// (scenario.target, with --target already applied) is a URL. Steps the selection left out
// (--skip, --only, --from) are not run, so they are not refused.
std::vector<ValidationError> local_target_errors(const ScenarioPlan& plan);

}  // namespace roachrun
