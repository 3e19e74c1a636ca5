// `roachrun schema`: a JSON Schema (draft 2020-12) of scenario files, generated from the loaded
// plugins, for editors (the YAML language server completes and checks a file while it is typed).
//
// It says what the loader and the validator accept, as far as a schema can: every key where the
// loader refuses unknown keys (`additionalProperties: false`, so a misspelt parameter is an
// error), each step type's parameters with their types, bounds, defaults, docs and required ones,
// the choices of the plugins' step details as `enum`, and, wherever a number, a boolean or a
// choice is expected, a string with a ${...} reference instead (resolved only at validation).
// What needs the values (a variable that resolves, a capture's name, a step's own checks) is
// left to `roachrun validate`. The top level is a scenario or a file of steps to include.
#pragma once

#include <nlohmann/json.hpp>

#include "engine/plugin_registry.hpp"

namespace roachrun {

// The schema of a scenario file for the step types of `registry` (its problems are the caller's:
// `roachrun schema` refuses to print a schema that would lack a broken plugin's steps).
nlohmann::ordered_json scenario_schema(const PluginRegistry& registry);

// The schema of one parameter's value (exposed for tests).
nlohmann::ordered_json param_schema(const ParamSpec& spec, const std::vector<std::string>* choices);

}  // namespace roachrun
