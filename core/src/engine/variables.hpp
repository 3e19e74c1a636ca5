// ${...} substitution in scenario values.
//
//   ${name}                 a scenario variable (vars:, overridden by --set name=value)
//   ${env:NAME}             an environment variable; an error if unset
//   ${env:NAME:-default}    an environment variable, or the default if unset or empty
//   $$                      a literal $
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "roachrun/error.hpp"

namespace roachrun {

using VarTable = std::map<std::string, std::string, std::less<>>;
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// The process environment.
std::optional<std::string> process_env(const std::string& name);

// Returns `text` with every reference replaced. Throws ValidationError at `where` (advanced to
// the reference's column when the scalar is on one line) for an undefined variable or a
// malformed reference, and when the references add more than limits::kMaxValueBytes to `text`.
std::string substitute(std::string_view text, const VarTable& vars, const SourceLocation& where,
                       const EnvLookup& env = process_env);

// One variable of a scenario's vars: as written: `text` is substituted (it may refer to other
// variables, in any order) unless `literal` (a --set value, used as given). `where` is where
// `text` starts, for messages.
struct VarDefinition {
  std::string name;
  std::string text;
  SourceLocation where;
  bool literal = false;
};

// The variables' values, each after the ones it refers to. Throws ValidationError for a
// reference to no variable (as substitute() does) and, at the first variable of it, for a cycle
// ("variables refer to each other in a cycle: a -> b -> a").
VarTable resolve_variables(const std::vector<VarDefinition>& definitions, const EnvLookup& env = process_env);

// The names `text` refers to as ${name} (not ${env:...}), in order, repeats included.
std::vector<std::string> referenced_variables(std::string_view text);

// True if `text` contains a reference (so its YAML type says nothing about its final type).
bool has_reference(std::string_view text);

}  // namespace roachrun
