// Reads a scenario file into a Scenario: YAML syntax, the top-level structure, target,
// connections, variables and the shape of each step. Step types and their parameters are
// checked afterwards by the validator, which knows the plugins.
#pragma once

#include <string>

#include "engine/scenario.hpp"
#include "engine/variables.hpp"

namespace roachrun {

// Throws ValidationError naming file:line:col and what was expected.
Scenario load_scenario_file(const std::string& path, const VarTable& overrides, const EnvLookup& env = process_env);

// Same, from text already in memory; `file` is the name used in messages.
Scenario load_scenario_text(const std::string& text, const std::string& file, const VarTable& overrides,
                            const EnvLookup& env = process_env);

// The target of a run: the scenario's, with `roachrun run --target` (if not empty) over it.
// "local" keeps the scenario's nodes:, "local:N" sets them (local:1 is the single server), and a
// URL replaces the scenario's url and has no nodes of roachrun's. Throws UsageError for "local:"
// followed by anything but a number of nodes from 1 to kMaxLocalNodes.
TargetDef with_target_option(TargetDef def, const std::string& option);

}  // namespace roachrun
