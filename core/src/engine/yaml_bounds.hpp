// Parsing a scenario's YAML within the limits of scenario_limits.hpp. yaml-cpp shares an
// aliased value between its uses and allows an alias inside its own anchor (a cyclic graph);
// every traversal after this one may assume a finite tree of bounded depth and size.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace roachrun::yaml {

struct Document {
  YAML::Node root;
  // Each empty value (`key:` and nothing) on a later line than its key, with its key's place:
  // yaml-cpp marks an empty value at the next token, often lines further on.
  std::vector<std::pair<YAML::Node, YAML::Mark>> empty_values;
};

// The document in `text` (UTF-8, already checked), walked once: the walk that bounds it also
// does the checks every scenario needs on every node, so that nothing walks it twice. Throws
// ValidationError at file:line:column for invalid YAML, nesting deeper than limits::kMaxDepth,
// more than limits::kMaxNodes nodes once aliases are expanded, an alias inside the value it
// refers to, a scalar with a NUL or invalid UTF-8 (written as an escape such as "\0"), and a
// duplicate mapping key (yaml-cpp keeps the first silently), at its second occurrence.
Document load_bounded(std::string_view text, const std::string& file);

}  // namespace roachrun::yaml
