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

}  // namespace roachrun
