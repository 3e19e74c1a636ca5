#include "engine/scenario_loader.hpp"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <regex>
#include <string_view>

#include "engine/retry_config.hpp"
#include "engine/scenario_file.hpp"
#include "engine/scenario_limits.hpp"
#include "engine/scenario_text.hpp"
#include "engine/yaml_bounds.hpp"
#include "engine/yaml_util.hpp"

namespace roachrun {

const ConnectionDef* Scenario::find_connection(std::string_view connection_name) const {
  for (const auto& c : connections)
    if (c.name == connection_name) return &c;
  return nullptr;
}

std::string include_chain_text(const std::vector<SourceLocation>& included_from) {
  std::string chain;
  for (const auto& at : included_from) chain += (chain.empty() ? " (included from " : ", from ") + at.str();
  return chain.empty() ? chain : chain + ")";
}

std::string StepDef::include_chain() const { return include_chain_text(included_from); }

namespace {

const std::vector<std::string> kTopLevelKeys = {"scenario", "description", "target", "connections",
                                                "default_connection", "vars", "retry", "steps"};
const std::vector<std::string> kTargetKeys = {"url", "secure", "certs_dir", "ca_key", "nodes"};
const std::vector<std::string> kConnectionKeys = {"user",   "database",    "password", "sslmode",
                                                  "sslrootcert", "sslcert", "sslkey",  "application_name",
                                                  "connect_timeout", "options", "target_session_attrs"};

const std::string kNodesRange = "a whole number from 1 to " + std::to_string(kMaxLocalNodes) +
                                " (1: one server; 2 or more: a pg_auto_failover formation of that many nodes)";

// The number of nodes `text` names, if it is one roachrun can start.
std::optional<int> node_count(const std::string& text) {
  if (text.empty() || text.size() > 2 || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  const int n = std::stoi(text);
  if (n < 1 || n > kMaxLocalNodes) return std::nullopt;
  return n;
}
const std::vector<std::string> kStepKeys = {"name", "connection", "retry", "capture"};
const std::vector<std::string> kParallelKeys = {"parallel", "name"};
const std::vector<std::string> kIncludeKeys = {"include", "vars", "name"};
const std::vector<std::string> kIncludedFileKeys = {"description", "vars", "steps"};

// Whether mapping `node` has the plain key `key`. A scan of its keys: yaml-cpp's operator[] builds
// a node for the key it looks up, which for 100,000 steps cost 8% of the validation.
bool has_key(const YAML::Node& node, std::string_view key) {
  if (!node.IsMap()) return false;
  for (const auto& kv : node)
    if (kv.first.IsScalar() && kv.first.Scalar() == key) return true;
  return false;
}

bool is_plain_name(const std::string& name) {
  static const std::regex name_re("[A-Za-z_][A-Za-z0-9_]*");
  return std::regex_match(name, name_re);
}

std::string list_of(const std::vector<std::string>& keys) {
  std::string s;
  for (size_t i = 0; i < keys.size(); ++i) s += (i ? ", " : "") + keys[i];
  return s;
}

// What the files of one scenario (the scenario's and those it includes) build together.
struct ScenarioUnderConstruction {
  Scenario scenario;
  int steps = 0;                       // numbered so far
  std::vector<std::string> open_files;  // canonical paths of the files being read, outermost first
  std::map<std::string, SourceLocation> captures;  // name -> where it is made
};

// Reads one file: the scenario's own (load()) or one it includes (load_included()).
class Loader {
 public:
  Loader(std::string file, const VarTable& overrides, const EnvLookup& env, ScenarioUnderConstruction& state,
         std::vector<SourceLocation> included_from = {})
      : file_(std::move(file)),
        overrides_(overrides),
        env_(env),
        state_(state),
        scenario_(state.scenario),
        included_from_(std::move(included_from)) {}

  void load(yaml::Document document) {
    const YAML::Node& root = document.root;
    null_values_ = std::move(document.empty_values);
    scenario_.file = file_;
    if (!root.IsMap())
      fail(root, "a scenario must be a mapping with at least 'scenario:' and 'steps:', got " + yaml::describe(root));
    if (const YAML::Node steps = root["steps"]) check_step_count(steps);
    for (const auto& kv : root) check_known(kv.first, kTopLevelKeys, "at the top level of the scenario");

    load_vars(root);
    scenario_.vars = *vars_;
    scenario_.name = required_string(root, "scenario", "the scenario's name");
    if (root["description"]) scenario_.description = string_of(root["description"], "description");
    if (root["target"]) load_target(root["target"]);
    load_connections(root["connections"], root);
    if (root["retry"]) scenario_.retry = parse_retry_policy(root["retry"], {}, file_, *vars_, env_);
    load_default_connection(root);
    load_steps(root["steps"], root);
  }

  // An included file: description:, vars: (its defaults; `overrides` are the include's vars:)
  // and steps:, run in the including scenario's block and branch (if any).
  void load_included(yaml::Document document, int block, const std::string& branch) {
    const YAML::Node& root = document.root;
    null_values_ = std::move(document.empty_values);
    if (!root.IsMap())
      fail(root, "an included file must be a mapping with 'steps:' (and optionally description: and vars:), got " +
                     yaml::describe(root));
    for (const auto& kv : root) {
      if (kv.first.IsScalar() && std::find(kTopLevelKeys.begin(), kTopLevelKeys.end(), kv.first.Scalar()) !=
                                     kTopLevelKeys.end() &&
          std::find(kIncludedFileKeys.begin(), kIncludedFileKeys.end(), kv.first.Scalar()) == kIncludedFileKeys.end())
        fail(kv.first, "'" + kv.first.Scalar() + ":' has no place in an included file: it has only " +
                           list_of(kIncludedFileKeys) + "; its steps run on the including scenario's target and "
                           "connections");
      check_known(kv.first, kIncludedFileKeys, "at the top level of an included file");
    }
    load_vars(root, /*included=*/true);
    if (!root["steps"]) fail(root, "missing 'steps:' (the list of steps to include)");
    load_step_list(root["steps"], block, branch);
  }

 private:
  [[noreturn]] void fail(const YAML::Node& at, const std::string& message) const {
    throw ValidationError(location_of(at), message);
  }

  // yaml-cpp places an empty value (`steps:` and nothing) at the next token, often on a later
  // line; such a value is reported at its key instead.
  SourceLocation location_of(const YAML::Node& node) const {
    if (node.IsNull())
      for (const auto& [value, key] : null_values_)
        if (value.is(node)) return yaml::location(file_, key);
    return yaml::location(file_, node);
  }

  // Before anything walks the steps, so a file of too many fails at once.
  void check_step_count(const YAML::Node& steps) const {
    if (steps.IsSequence() && steps.size() > limits::kMaxSteps)
      fail(steps, "more than " + std::to_string(limits::kMaxSteps) + " steps (" + std::to_string(steps.size()) +
                      "; limits::kMaxSteps): split the scenario into several files, or let one step do the "
                      "repetition (bank.workload runs transfers by the thousand)");
  }

  void check_known(const YAML::Node& key, const std::vector<std::string>& known, const std::string& where) const {
    if (!key.IsScalar()) fail(key, "keys must be plain names " + where + ", got " + yaml::describe(key));
    if (std::find(known.begin(), known.end(), key.Scalar()) == known.end())
      fail(key, "unknown key '" + key.Scalar() + "' " + where + yaml::suggestion_suffix(key.Scalar(), known) +
                    "; expected one of: " + list_of(known));
  }

  // A scalar with ${...} references substituted.
  std::string string_of(const YAML::Node& node, const std::string& what) const {
    if (!node.IsScalar() || yaml::is_null_scalar(node))
      fail(node, what + " must be a string, got " + yaml::describe(node));
    return substitute(node.Scalar(), *vars_, yaml::text_location(file_, node), env_);
  }

  std::string required_string(const YAML::Node& parent, const std::string& key, const std::string& what) const {
    YAML::Node node = parent[key];
    if (!node) fail(parent, "missing '" + key + ":' (" + what + ")");
    return string_of(node, key);
  }

  bool bool_of(const YAML::Node& node, const std::string& what) const {
    std::string s = string_of(node, what);
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
    fail(node, what + " must be true or false, got '" + s + "'");
  }

  // Variables may refer to each other in any order; --set replaces a declared one's value (even
  // one that would not resolve) and may not name an undeclared one: a misspelt --set would
  // otherwise run the scenario with the default.
  // An included file's variables are its own: `overrides_` are then the include's vars:, and the
  // including scenario's variables are not seen (the include passes what the file needs).
  void load_vars(const YAML::Node& root, bool included = false) {
    const YAML::Node node = root["vars"];
    std::vector<VarDefinition> definitions;
    if (node) {
      if (!node.IsMap()) fail(node, "vars must be a mapping of names to values, got " + yaml::describe(node));
      for (const auto& kv : node) {
        const std::string name = kv.first.Scalar();
        if (!is_plain_name(name))
          fail(kv.first, "variable name '" + name + "' must be letters, digits and _, not starting with a digit");
        if (auto it = overrides_.find(name); it != overrides_.end()) {
          definitions.push_back({name, it->second, yaml::location(file_, kv.second), true});
          continue;
        }
        if (!kv.second.IsScalar() && !kv.second.IsNull())
          fail(kv.second, "variable '" + name + "' must be a scalar, got " + yaml::describe(kv.second));
        if (kv.second.IsNull())
          definitions.push_back({name, "", yaml::location(file_, kv.second), true});
        else
          definitions.push_back({name, kv.second.Scalar(), yaml::text_location(file_, kv.second)});
      }
    }
    std::vector<std::string> declared;
    for (const auto& d : definitions) declared.push_back(d.name);
    for (const auto& [name, value] : overrides_) {
      if (std::find(declared.begin(), declared.end(), name) != declared.end()) continue;
      if (included)
        throw ValidationError(included_from_.front(),
                              "include of " + file_ + ": vars: sets '" + name + "', which " + file_ +
                                  " does not declare" + yaml::suggestion_suffix(name, declared) + "; it declares: " +
                                  (declared.empty() ? "no variables" : list_of(declared)));
      const std::string set = "--set " + name + "=" + value + ": ";
      if (declared.empty())
        fail(node ? node : root, set + "the scenario declares no variables (it has no vars:), so there is no '" +
                                     name + "' to set");
      fail(node, set + "the scenario declares no variable '" + name + "'" + yaml::suggestion_suffix(name, declared) +
                     "; it declares: " + list_of(declared));
    }
    vars_ = std::make_shared<const VarTable>(resolve_variables(definitions, env_));
  }

  void load_target(const YAML::Node& node) {
    TargetDef& t = scenario_.target;
    t.where = yaml::location(file_, node);
    if (node.IsScalar()) {
      t.url = string_of(node, "target");
      return;
    }
    if (!node.IsMap()) fail(node, "target must be 'local', a URL, or a mapping with url:, got " + yaml::describe(node));
    std::optional<YAML::Node> nodes;
    for (const auto& kv : node) {
      check_known(kv.first, kTargetKeys, "in target");
      const std::string key = kv.first.Scalar();
      if (key == "url") t.url = string_of(kv.second, "target.url");
      else if (key == "secure") t.secure = bool_of(kv.second, "target.secure");
      else if (key == "certs_dir") t.certs_dir = string_of(kv.second, "target.certs_dir");
      else if (key == "ca_key") t.ca_key = string_of(kv.second, "target.ca_key");
      else if (key == "nodes") nodes = kv.second;
    }
    if (t.url.empty()) fail(node, "target.url must not be empty: use 'local' or a postgresql:// URL");
    if (nodes) {
      if (!nodes->IsScalar() || yaml::is_null_scalar(*nodes))
        fail(*nodes, "target.nodes must be " + kNodesRange + ", got " + yaml::describe(*nodes));
      const std::string text = string_of(*nodes, "target.nodes");
      const std::optional<int> n = node_count(text);
      if (!n) fail(*nodes, "target.nodes must be " + kNodesRange + ", got '" + text + "'");
      // A running server's nodes are its hosts; roachrun starts nodes only for itself.
      if (t.url != "local")
        fail(*nodes, "target.nodes: only 'url: local' has nodes (roachrun starts them); a running cluster's "
                    "nodes are the hosts of its URL (host=a,b,c port=26257,26258,26259)");
      t.nodes = *n;
    }
  }

  void load_connections(const YAML::Node& node, const YAML::Node& root) {
    if (!node) {
      // Without connections: one, as the target URL's user on its database, else as the
      // superuser on the default database, as the tutorial's `cockroach sql` shell would connect.
      ConnectionDef def{"default", "root", "defaultdb", "", {}, yaml::location(file_, root), true};
      scenario_.connections.push_back(def);
      return;
    }
    if (!node.IsMap() || node.size() == 0)
      fail(node, "connections must be a mapping of names to {user:, database:}, got " + yaml::describe(node));
    for (const auto& kv : node) {
      ConnectionDef c;
      c.name = kv.first.Scalar();
      c.where = yaml::location(file_, kv.first);
      const YAML::Node& body = kv.second;
      if (!body.IsMap())
        fail(body, "connection '" + c.name + "' must be a mapping like {user: maxroach, database: bank}, got " +
                       yaml::describe(body));
      for (const auto& field : body) {
        check_known(field.first, kConnectionKeys, "in connection '" + c.name + "'");
        const std::string key = field.first.Scalar();
        std::string value = string_of(field.second, "connection '" + c.name + "' " + key);
        if (key == "user") c.user = value;
        else if (key == "database") c.database = value;
        else if (key == "password") c.password = value;
        else c.libpq.emplace_back(key, value);
      }
      if (c.user.empty()) fail(body, "connection '" + c.name + "' needs a user:");
      if (c.database.empty()) c.database = "defaultdb";
      scenario_.connections.push_back(std::move(c));
    }
  }

  std::vector<std::string> connection_names() const {
    std::vector<std::string> names;
    for (const auto& c : scenario_.connections) names.push_back(c.name);
    return names;
  }

  void check_connection_name(const YAML::Node& at, const std::string& name) const {
    if (!scenario_.find_connection(name))
      fail(at, "unknown connection '" + name + "'" + yaml::suggestion_suffix(name, connection_names()) +
                   "; defined under connections: " + list_of(connection_names()));
  }

  void load_default_connection(const YAML::Node& root) {
    if (YAML::Node node = root["default_connection"]) {
      scenario_.default_connection = string_of(node, "default_connection");
      check_connection_name(node, scenario_.default_connection);
    } else if (scenario_.connections.size() == 1) {
      scenario_.default_connection = scenario_.connections.front().name;
    }
  }

  void load_steps(const YAML::Node& node, const YAML::Node& root) {
    if (!node) fail(root, "missing 'steps:' (the list of steps to run)");
    if (node.IsSequence()) scenario_.steps.reserve(node.size());  // includes and branches may add more
    load_step_list(node, 0, "");
  }

  // A list of steps, parallel blocks and includes; `block`/`branch`: the parallel branch it is in.
  void load_step_list(const YAML::Node& node, int block, const std::string& branch) {
    if (!node.IsSequence() || node.size() == 0)
      fail(node, "steps must be a non-empty list, got " + yaml::describe(node));
    for (const auto& item : node) {
      if (has_key(item, "parallel")) load_parallel(item, block);
      else if (has_key(item, "include")) load_include(item, block, branch);
      else add_step(load_step(item, state_.steps + 1, block, branch));
    }
  }

  void add_step(StepDef step) {
    if (static_cast<std::size_t>(state_.steps) >= limits::kMaxSteps)
      throw ValidationError(step.where, "more than " + std::to_string(limits::kMaxSteps) +
                                            " steps with the included ones (limits::kMaxSteps): split the scenario "
                                            "into several files, or let one step do the repetition");
    ++state_.steps;
    for (const auto& capture : step.captures) state_.captures.emplace(capture.name, capture.where);
    scenario_.steps.push_back(std::move(step));
  }

  // parallel: {branch: [steps], ...} -- each branch's steps in order, the branches at the same time.
  void load_parallel(const YAML::Node& node, int outer_block) {
    ParallelBlock def;
    def.where = yaml::location(file_, node);
    for (const auto& kv : node) check_known(kv.first, kParallelKeys, "in a parallel block");
    if (outer_block != 0)
      fail(node["parallel"], "a parallel block inside a parallel branch (of '" +
                                 scenario_.blocks[outer_block - 1].name +
                                 "'): make it a branch of that block instead");
    const int block = static_cast<int>(scenario_.blocks.size()) + 1;
    def.name = node["name"] ? string_of(node["name"], "parallel block name") : "parallel block " + std::to_string(block);
    const YAML::Node branches = node["parallel"];
    if (!branches.IsMap() || branches.size() == 0)
      fail(branches, "parallel: must be a mapping of branch names to lists of steps, like "
                     "'parallel: {workload: [...], outage: [...]}', got " + yaml::describe(branches));
    for (const auto& kv : branches) {
      const std::string name = kv.first.IsScalar() ? kv.first.Scalar() : "";
      if (!is_plain_name(name))
        fail(kv.first, "branch name '" + name + "' must be letters, digits and _, not starting with a digit");
      def.branches.push_back(name);
    }
    scenario_.blocks.push_back(def);
    for (const auto& kv : branches) {
      if (!kv.second.IsSequence() || kv.second.size() == 0)
        fail(kv.second.IsNull() ? kv.first : kv.second,
             "branch '" + kv.first.Scalar() + "' must be a non-empty list of steps, got " + yaml::describe(kv.second));
      load_step_list(kv.second, block, kv.first.Scalar());
    }
  }

  // include: path, vars: {...} -- the steps of another file, its variables set by vars:.
  void load_include(const YAML::Node& node, int block, const std::string& branch) {
    for (const auto& kv : node) check_known(kv.first, kIncludeKeys, "in an include");
    const YAML::Node path_node = node["include"];
    const std::string written = string_of(path_node, "include");
    const SourceLocation at = yaml::location(file_, path_node);
    namespace fs = std::filesystem;
    const fs::path path = fs::path(written).is_absolute() ? fs::path(written)
                                                           : fs::path(file_).parent_path() / written;
    const std::string file = path.lexically_normal().string();
    std::error_code ec;
    const std::string canonical = fs::weakly_canonical(path, ec).string();
    std::string chain;
    for (const auto& open : state_.open_files) chain += open + " -> ";
    if (std::find(state_.open_files.begin(), state_.open_files.end(), canonical) != state_.open_files.end())
      fail(path_node, "include cycle: " + chain + canonical + "; a file may not include itself, directly or through "
                      "another");
    if (static_cast<int>(state_.open_files.size()) > limits::kMaxIncludeDepth)
      fail(path_node, "includes nested more than " + std::to_string(limits::kMaxIncludeDepth) +
                          " files deep (limits::kMaxIncludeDepth): " + chain + canonical);
    VarTable given;
    if (const YAML::Node vars = node["vars"]) {
      if (!vars.IsMap()) fail(vars, "an include's vars: must be a mapping of names to values, got " + yaml::describe(vars));
      for (const auto& kv : vars) {
        if (!kv.second.IsScalar() && !kv.second.IsNull())
          fail(kv.second, "variable '" + kv.first.Scalar() + "' must be a scalar, got " + yaml::describe(kv.second));
        given[kv.first.Scalar()] = kv.second.IsNull() ? "" : string_of(kv.second, "variable '" + kv.first.Scalar() + "'");
      }
    }
    std::vector<SourceLocation> from{at};
    from.insert(from.end(), included_from_.begin(), included_from_.end());
    std::string text;
    try {
      text = read_scenario_file(file);
    } catch (const ValidationError& e) {
      throw ValidationError(at, "include '" + written + "': " + e.message());
    }
    state_.open_files.push_back(canonical);
    Loader included(file, given, env_, state_, from);
    try {
      included.load_included(yaml::load_bounded(checked_scenario_text(text, file), file), block, branch);
    } catch (const ValidationError& e) {
      // The chain is named once, by the innermost include, which knows all of it.
      std::string message = e.message();
      if (message.find(" (included from ") == std::string::npos) {
        message += include_chain_text(from);
      }
      throw ValidationError(e.where(), message);
    }
    state_.open_files.pop_back();
  }

  StepDef load_step(const YAML::Node& node, int number, int block, const std::string& branch) const {
    const std::string label = "step " + std::to_string(number);
    StepDef step;
    step.number = number;
    step.where = yaml::location(file_, node);
    step.file = file_;
    step.vars = vars_;
    step.included_from = included_from_;
    step.block = block;
    step.branch = branch;
    if (!node.IsMap())
      fail(node, label + ": a step must be a mapping like '- bank.transfer: {from: 1, to: 2, amount: 100}', got " +
                     yaml::describe(node));
    std::string type_key;
    for (const auto& kv : node) {
      if (!kv.first.IsScalar()) fail(kv.first, label + ": keys must be plain names");
      const std::string key = kv.first.Scalar();
      if (key == "name") step.name = string_of(kv.second, label + " name");
      else if (key == "connection") {
        step.connection = string_of(kv.second, label + " connection");
        check_connection_name(kv.second, step.connection);
      } else if (key == "retry") step.retry = kv.second;
      else if (key == "capture") step.captures = load_captures(kv.second, label);
      else if (key.find('.') != std::string::npos) {
        if (!type_key.empty())
          fail(kv.first, label + ": more than one step type ('" + type_key + "' and '" + key +
                             "'); put each in its own step");
        type_key = key;
        step.type = key;
        step.type_where = yaml::location(file_, kv.first);
        step.params = kv.second;
      } else {
        fail(kv.first, label + ": unknown key '" + key + "'" + yaml::suggestion_suffix(key, kStepKeys) +
                           "; a step has one step type key like 'bank.transfer' and optionally " + list_of(kStepKeys) +
                           " (a list item may also be a parallel: block or an include:)");
      }
    }
    if (type_key.empty()) fail(node, label + ": no step type; add a key like 'sql.exec:' or 'bank.transfer:'");
    if (step.name.empty()) step.name = step.type;
    if (step.connection.empty()) {
      if (scenario_.default_connection.empty())
        fail(node, label + ": no connection: give the step 'connection:' or the scenario 'default_connection:' (" +
                       list_of(connection_names()) + ")");
      step.connection = scenario_.default_connection;
    }
    return step;
  }

  // capture: NAME (the whole result) or capture: {NAME: PATH, ...} (parts of it).
  std::vector<CaptureDef> load_captures(const YAML::Node& node, const std::string& label) const {
    std::vector<CaptureDef> captures;
    auto add = [&](const YAML::Node& name_node, std::string path) {
      const std::string name = string_of(name_node, label + " capture name");
      if (!is_plain_name(name))
        fail(name_node, label + ": capture name '" + name + "' must be letters, digits and _, not starting with a digit");
      if (vars_->count(name))
        fail(name_node, label + ": capture '" + name + "' has the name of a variable of " + file_ +
                            "; give the capture another name");
      if (auto it = state_.captures.find(name); it != state_.captures.end())
        fail(name_node, label + ": capture '" + name + "' is already made at " + it->second.str() +
                            "; a name is captured once: give this one another name");
      captures.push_back({name, std::move(path), yaml::location(file_, name_node)});
    };
    if (node.IsScalar() && !yaml::is_null_scalar(node)) {
      add(node, "");
    } else if (node.IsMap() && node.size() > 0) {
      for (const auto& kv : node) add(kv.first, string_of(kv.second, label + " capture path"));
    } else {
      fail(node, label + ": capture must be a name (the whole result) or a mapping of names to parts of the "
                         "result, like {total: value, first: rows.0.1}, got " + yaml::describe(node));
    }
    return captures;
  }

  std::string file_;
  const VarTable& overrides_;
  const EnvLookup& env_;
  ScenarioUnderConstruction& state_;
  Scenario& scenario_;
  std::vector<SourceLocation> included_from_;  // innermost include first
  std::shared_ptr<const VarTable> vars_ = std::make_shared<const VarTable>();  // this file's variables
  std::vector<std::pair<YAML::Node, YAML::Mark>> null_values_;  // empty value -> its key's position
};

}  // namespace

TargetDef with_target_option(TargetDef def, const std::string& option) {
  if (option.empty()) return def;
  static const std::string local_prefix = "local:";
  if (option.rfind(local_prefix, 0) == 0) {
    const std::optional<int> n = node_count(option.substr(local_prefix.size()));
    if (!n) throw UsageError("--target " + option + ": the number after 'local:' must be " + kNodesRange);
    def.url = "local";
    def.nodes = *n;
    return def;
  }
  def.url = option;
  if (option != "local") def.nodes = 1;  // a URL's nodes are its hosts
  return def;
}

Scenario load_scenario_text(const std::string& text, const std::string& file, const VarTable& overrides,
                            const EnvLookup& env) {
  ScenarioUnderConstruction state;
  std::error_code ec;
  state.open_files.push_back(std::filesystem::weakly_canonical(file, ec).string());
  Loader(file, overrides, env, state).load(yaml::load_bounded(checked_scenario_text(text, file), file));
  return std::move(state.scenario);
}

Scenario load_scenario_file(const std::string& path, const VarTable& overrides, const EnvLookup& env) {
  return load_scenario_text(read_scenario_file(path), path, overrides, env);
}

}  // namespace roachrun
