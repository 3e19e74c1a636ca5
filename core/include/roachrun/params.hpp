// Step parameters: how a step type declares them and how a step reads them.
//
// The core checks every step of a scenario against its step type's ParamSpecs before anything
// runs (types, required parameters, unknown parameters, bounds) and substitutes variables, so a
// step's run() reads parameters that are already present and of the declared type.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "roachrun/export.hpp"

namespace roachrun {

// A parameter value after validation: plain data (null, bool, integer, string, array, object)
// with object keys in file order.
using Value = nlohmann::ordered_json;

enum class ParamType {
  string,       // a scalar, read as text
  integer,      // a whole number ("100" from a variable is accepted)
  boolean,      // true/false only (not yes/no/on/off)
  duration,     // "250ms", "1.5s", "2m", "1h" or a bare number of seconds; read as milliseconds
  string_list,  // a list of scalars; a single scalar is accepted as a one-element list
  rows,         // a list of rows, each a list of scalars: [[1, 1000], [2, 250]]
  map,          // a mapping of scalar keys to scalar values: {1: 900, 2: 350}
  any,          // any YAML value, passed through as data
};

ROACHRUN_API std::string_view to_string(ParamType type);

struct ParamSpec {
  std::string name{};
  ParamType type = ParamType::string;
  bool required = false;
  // Used when the parameter is absent and not required; written as in a scenario file and
  // converted like a written value ("87600h" for a duration, "ALL" for a string list).
  Value default_value{};
  std::string doc{};                  // one line, shown by `roachrun plugins`
  std::optional<std::int64_t> min{};  // integer parameters: inclusive bounds, checked at validation
  std::optional<std::int64_t> max{};
};

// Short ways to declare a parameter (designated initializers that skip members trip GCC's
// -Wmissing-field-initializers, and positional ones are unreadable).
inline ParamSpec required_param(std::string name, ParamType type, std::string doc) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = type;
  s.required = true;
  s.doc = std::move(doc);
  return s;
}

// Absent means null (Params::has is false) unless a default is given.
inline ParamSpec optional_param(std::string name, ParamType type, std::string doc, Value default_value = nullptr) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = type;
  s.default_value = std::move(default_value);
  s.doc = std::move(doc);
  return s;
}

// Read-only view of one step's validated parameters. Accessors throw StepError only on a
// programming error (asking for an undeclared parameter or the wrong type). Const and immutable:
// safe to read from several threads; valid only during the step's run().
class ROACHRUN_API Params {
 public:
  explicit Params(Value values);

  bool has(std::string_view name) const;  // present in the file or defaulted, and not null
  std::string string(std::string_view name) const;
  std::int64_t integer(std::string_view name) const;
  bool boolean(std::string_view name) const;
  std::chrono::milliseconds duration(std::string_view name) const;
  std::vector<std::string> strings(std::string_view name) const;
  const Value& raw(std::string_view name) const;
  const Value& all() const noexcept { return values_; }

 private:
  Value values_;
};

// Text of a scalar Value as a user wrote it: strings as is, numbers in decimal, true/false.
ROACHRUN_API std::string scalar_text(const Value& v);

}  // namespace roachrun
