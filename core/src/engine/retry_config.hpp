// The `retry:` mapping, at scenario level (the default for every step) and on a step.
//
//   retry: {max_retries: 3, base_backoff: 100ms, max_backoff: 10s, budget: 30s, seed: 42,
//           protocol: rollback | savepoint,
//           isolation: serializable | repeatable_read | read_committed | server_default}
#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

#include "engine/variables.hpp"
#include "roachrun/retry.hpp"

namespace roachrun {

// Returns `base` with the keys given in `node` applied. Throws ValidationError located at the
// offending key or value.
RetryPolicy parse_retry_policy(const YAML::Node& node, RetryPolicy base, const std::string& file,
                               const VarTable& vars, const EnvLookup& env = process_env);

}  // namespace roachrun
