// Parsing a scenario's YAML within the limits of scenario_limits.hpp. yaml-cpp shares an
// aliased value between its uses and allows an alias inside its own anchor (a cyclic graph);
// every traversal after this one may assume a finite tree of bounded depth and size.
#pragma once

#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

namespace roachrun::yaml {

// The document in `text` (UTF-8, already checked). Throws ValidationError at file:line:column
// for invalid YAML, nesting deeper than limits::kMaxDepth, more than limits::kMaxNodes nodes once
// aliases are expanded, an alias inside the value it refers to, and a scalar with a NUL or
// invalid UTF-8 (written as an escape such as "\0").
YAML::Node load_bounded(std::string_view text, const std::string& file);

}  // namespace roachrun::yaml
