#include "engine/yaml_util.hpp"

#include <algorithm>

namespace roachrun::yaml {

SourceLocation location(const std::string& file, const YAML::Mark& mark) {
  // yaml-cpp marks are 0-based and -1 when unknown.
  return SourceLocation{file, mark.line >= 0 ? mark.line + 1 : 0, mark.column >= 0 ? mark.column + 1 : 0};
}

SourceLocation location(const std::string& file, const YAML::Node& node) {
  return location(file, node.Mark());
}

SourceLocation text_location(const std::string& file, const YAML::Node& scalar) {
  SourceLocation at = location(file, scalar);
  if (scalar.Scalar().find('\n') != std::string::npos) return at;
  // yaml-cpp tags quoted and block scalars alike "!"; a one-line block scalar's text ends
  // with a newline and was handled above, so here "!" means quoted.
  if (is_quoted(scalar) && at.column > 0) ++at.column;
  return at;
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "'" + node.Scalar() + "'";
    case YAML::NodeType::Null: return "nothing (null)";
    case YAML::NodeType::Undefined: return "nothing";
  }
  return "?";
}

bool is_quoted(const YAML::Node& node) { return node.Tag() == "!"; }

bool is_null_scalar(const YAML::Node& node) {
  if (node.IsNull()) return true;
  if (!node.IsScalar() || is_quoted(node)) return false;
  const std::string& s = node.Scalar();
  return s == "~" || s == "null" || s == "Null" || s == "NULL";
}

namespace {
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}
}  // namespace

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_distance) best = c, best_distance = d;
  }
  return best;
}

std::string suggestion_suffix(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best = did_you_mean(word, candidates);
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

}  // namespace roachrun::yaml
