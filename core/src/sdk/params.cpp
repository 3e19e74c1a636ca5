#include "roachrun/params.hpp"

#include "roachrun/error.hpp"

namespace roachrun {

std::string_view to_string(ParamType type) {
  switch (type) {
    case ParamType::string: return "string";
    case ParamType::integer: return "integer";
    case ParamType::boolean: return "boolean";
    case ParamType::duration: return "duration";
    case ParamType::string_list: return "list of strings";
    case ParamType::rows: return "list of rows";
    case ParamType::map: return "map";
    case ParamType::any: return "any";
  }
  return "?";
}

std::string scalar_text(const Value& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

Params::Params(Value values) : values_(std::move(values)) {}

bool Params::has(std::string_view name) const {
  auto it = values_.find(name);
  return it != values_.end() && !it->is_null();
}

const Value& Params::raw(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw StepError("internal: parameter '" + std::string(name) + "' was not declared");
  return *it;
}

std::string Params::string(std::string_view name) const { return scalar_text(raw(name)); }

std::int64_t Params::integer(std::string_view name) const {
  const Value& v = raw(name);
  if (!v.is_number_integer()) throw StepError("internal: parameter '" + std::string(name) + "' is not an integer");
  return v.get<std::int64_t>();
}

bool Params::boolean(std::string_view name) const {
  const Value& v = raw(name);
  if (!v.is_boolean()) throw StepError("internal: parameter '" + std::string(name) + "' is not a boolean");
  return v.get<bool>();
}

std::chrono::milliseconds Params::duration(std::string_view name) const {
  return std::chrono::milliseconds(integer(name));
}

std::vector<std::string> Params::strings(std::string_view name) const {
  const Value& v = raw(name);
  std::vector<std::string> out;
  if (v.is_array()) {
    for (const auto& e : v) out.push_back(scalar_text(e));
  } else if (!v.is_null()) {
    out.push_back(scalar_text(v));
  }
  return out;
}

}  // namespace roachrun
