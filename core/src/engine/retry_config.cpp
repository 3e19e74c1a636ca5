#include "engine/retry_config.hpp"

#include <charconv>

#include "engine/duration.hpp"
#include "engine/yaml_util.hpp"

namespace roachrun {

namespace {

std::string scalar_of(const YAML::Node& value, const std::string& key, const std::string& file, const VarTable& vars,
                      const EnvLookup& env) {
  if (!value.IsScalar())
    throw ValidationError(yaml::location(file, value), "retry." + key + " must be a scalar, got " + yaml::describe(value));
  return substitute(value.Scalar(), vars, yaml::location(file, value), env);
}

std::int64_t integer_of(const YAML::Node& value, const std::string& key, std::int64_t min, const std::string& file,
                        const VarTable& vars, const EnvLookup& env) {
  std::string text = scalar_of(value, key, file, vars, env);
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < min)
    throw ValidationError(yaml::location(file, value),
                          "retry." + key + " must be a whole number >= " + std::to_string(min) + ", got '" + text + "'");
  return v;
}

std::chrono::milliseconds duration_of(const YAML::Node& value, const std::string& key, const std::string& file,
                                      const VarTable& vars, const EnvLookup& env) {
  std::string text = scalar_of(value, key, file, vars, env);
  auto d = parse_duration(text);
  if (!d)
    throw ValidationError(yaml::location(file, value),
                          "retry." + key + " must be a duration like 100ms, 1.5s or 2m, got '" + text + "'");
  return *d;
}

// One of `choices` (their YAML spelling, in order of the enum's values).
template <typename Enum>
Enum choice_of(const YAML::Node& value, const std::string& key, const std::vector<std::pair<std::string, Enum>>& choices,
               const std::string& file, const VarTable& vars, const EnvLookup& env) {
  std::string text = scalar_of(value, key, file, vars, env);
  std::vector<std::string> names;
  for (const auto& [name, v] : choices) {
    if (name == text) return v;
    names.push_back(name);
  }
  std::string list;
  for (std::size_t i = 0; i < names.size(); ++i)
    list += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  throw ValidationError(yaml::location(file, value), "retry." + key + " must be " + list + ", got '" + text + "'" +
                                                         yaml::suggestion_suffix(text, names));
}

}  // namespace

RetryPolicy parse_retry_policy(const YAML::Node& node, RetryPolicy base, const std::string& file,
                               const VarTable& vars, const EnvLookup& env) {
  if (!node.IsMap())
    throw ValidationError(yaml::location(file, node), "retry must be a mapping like {max_retries: 3}, got " +
                                                          yaml::describe(node));
  static const std::vector<std::string> known = {"max_retries", "base_backoff", "max_backoff", "budget",
                                                  "reconnect_budget", "seed", "protocol", "isolation"};
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    if (key == "max_retries") base.max_retries = static_cast<int>(integer_of(kv.second, key, 0, file, vars, env));
    else if (key == "base_backoff") base.base_backoff = duration_of(kv.second, key, file, vars, env);
    else if (key == "max_backoff") base.max_backoff = duration_of(kv.second, key, file, vars, env);
    else if (key == "budget") base.budget = duration_of(kv.second, key, file, vars, env);
    else if (key == "reconnect_budget") base.reconnect_budget = duration_of(kv.second, key, file, vars, env);
    else if (key == "seed") base.seed = static_cast<std::uint64_t>(integer_of(kv.second, key, 0, file, vars, env));
    else if (key == "protocol")
      base.protocol = choice_of<RetryProtocol>(
          kv.second, key, {{"rollback", RetryProtocol::rollback}, {"savepoint", RetryProtocol::savepoint}}, file, vars,
          env);
    else if (key == "isolation")
      base.isolation = choice_of<Isolation>(kv.second, key,
                                            {{"serializable", Isolation::serializable},
                                             {"repeatable_read", Isolation::repeatable_read},
                                             {"read_committed", Isolation::read_committed},
                                             {"server_default", Isolation::server_default}},
                                            file, vars, env);
    else
      throw ValidationError(yaml::location(file, kv.first),
                            "unknown key '" + key + "' in retry" + yaml::suggestion_suffix(key, known) +
                                "; expected max_retries, base_backoff, max_backoff, budget, reconnect_budget, seed, protocol or "
                                "isolation");
  }
  return base;
}

}  // namespace roachrun
