// Short ways to declare a ParamSpec. Designated initializers that skip members trip
// -Wmissing-field-initializers on GCC 12, and positional ones are unreadable.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include <roachrun/params.hpp>

namespace roachrun_admin {

inline roachrun::ParamSpec required(std::string name, roachrun::ParamType type, std::string doc) {
  roachrun::ParamSpec s;
  s.name = std::move(name);
  s.type = type;
  s.required = true;
  s.doc = std::move(doc);
  return s;
}

// Absent means null (Params::has is false) unless a default is given.
inline roachrun::ParamSpec optional(std::string name, roachrun::ParamType type, std::string doc,
                                    roachrun::Value default_value = nullptr) {
  roachrun::ParamSpec s;
  s.name = std::move(name);
  s.type = type;
  s.default_value = std::move(default_value);
  s.doc = std::move(doc);
  return s;
}

}  // namespace roachrun_admin
