// Small helpers over yaml-cpp 0.7 that every part of the scenario loader needs: 1-based source
// locations, strict scalars, and "did you mean" suggestions. (Duplicate keys are rejected by the
// one walk over the whole document, in yaml_bounds.hpp.)
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "roachrun/error.hpp"

namespace roachrun::yaml {

SourceLocation location(const std::string& file, const YAML::Mark& mark);
SourceLocation location(const std::string& file, const YAML::Node& node);

// Where a scalar's text starts: one past the opening quote of a quoted scalar. A multi-line
// scalar (a block scalar) keeps the scalar's own position, since offsets into its text do not
// map to a column.
SourceLocation text_location(const std::string& file, const YAML::Node& scalar);

// "a mapping", "a list", "a scalar", "nothing".
std::string describe(const YAML::Node& node);

// A plain (unquoted) scalar that YAML would read as null: "", "~", "null".
bool is_null_scalar(const YAML::Node& node);
// True when the scalar was quoted in the file ('...' or "...") and so is text whatever it says.
bool is_quoted(const YAML::Node& node);

// The closest candidate within a small edit distance, or "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);
// " (did you mean 'x'?)" or "".
std::string suggestion_suffix(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace roachrun::yaml
