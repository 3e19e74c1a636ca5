#include "engine/scenario_validator.hpp"

#include <charconv>
#include <set>

#include "engine/caught_error.hpp"
#include "engine/duration.hpp"
#include "engine/retry_config.hpp"
#include "engine/step_details_check.hpp"
#include "engine/yaml_util.hpp"

namespace roachrun {

namespace {

std::string join_errors(const std::vector<ValidationError>& errors) {
  std::string s;
  for (const auto& e : errors) s += (s.empty() ? "" : "\n") + std::string(e.what());
  return s;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

// Converts YAML to plain data, substituting variables in every scalar. In a typed position
// (integer, boolean...) the converter decides; here an unquoted scalar that reads as a whole
// number becomes an integer, as YAML itself would read it.
class Converter {
 public:
  // `deferred`: names of captures, known only when the step runs; a typed scalar that refers to
  // one is left as written (its ${...} kept) and marks the conversion as deferred.
  Converter(const std::string& file, const VarTable& vars, const EnvLookup& env, std::string label,
            const std::set<std::string>* deferred = nullptr)
      : file_(file), vars_(vars), env_(env), label_(std::move(label)), deferred_(deferred) {}

  bool deferred() const noexcept { return used_deferred_; }

  [[noreturn]] void fail(const YAML::Node& at, const std::string& message) const {
    throw ValidationError(yaml::location(file_, at), label_ + ": " + message);
  }

  std::string text(const YAML::Node& node) const {
    try {
      return substitute(node.Scalar(), vars_, yaml::text_location(file_, node), env_);
    } catch (const ValidationError& e) {
      throw ValidationError(e.where(), label_ + ": " + e.message());
    }
  }

  Value scalar(const YAML::Node& node) const {
    if (yaml::is_null_scalar(node)) return nullptr;
    std::string s = text(node);
    if (!yaml::is_quoted(node)) {
      if (auto i = parse_integer(s)) return *i;
      if (s == "true" || s == "false") return s == "true";
    }
    return s;
  }

  Value any(const YAML::Node& node) const {
    if (node.IsSequence()) {
      Value out = Value::array();
      for (const auto& item : node) out.push_back(any(item));
      return out;
    }
    if (node.IsMap()) {
      Value out = Value::object();
      for (const auto& kv : node) out[text(kv.first)] = any(kv.second);
      return out;
    }
    return scalar(node);
  }

  bool refers_to_deferred(const YAML::Node& node) const {
    if (!deferred_ || deferred_->empty()) return false;
    if (node.IsScalar()) {
      for (const auto& name : referenced_variables(node.Scalar()))
        if (deferred_->count(name) && !vars_defined_here(name)) return true;
      return false;
    }
    for (const auto& item : node)
      if (refers_to_deferred(node.IsMap() ? item.second : item)) return true;
    return false;
  }

  // `key` is the parameter's key in the file, where an empty value is reported (yaml-cpp places
  // an empty value at the next token).
  Value typed(const YAML::Node& node, const ParamSpec& spec, const YAML::Node* key = nullptr) const {
    const std::string what = "parameter '" + spec.name + "'";
    if (refers_to_deferred(node)) {
      used_deferred_ = true;
      if (node.IsScalar()) return text(node);  // the reference as written: checked when the step runs
      return any(node);
    }
    if (node.IsNull() && key && spec.type != ParamType::any && node.Mark().line != key->Mark().line)
      fail(*key, what + " must be " + std::string(to_string(spec.type)) + ", got " + yaml::describe(node));
    auto expect_scalar = [&] {
      if (!node.IsScalar() || yaml::is_null_scalar(node))
        fail(node, what + " must be " + std::string(to_string(spec.type)) + ", got " + yaml::describe(node));
    };
    switch (spec.type) {
      case ParamType::string: expect_scalar(); return text(node);
      case ParamType::integer: {
        expect_scalar();
        std::string s = text(node);
        auto v = parse_integer(s);
        if (!v) fail(node, what + " must be a whole number, got '" + s + "'");
        if (spec.min && *v < *spec.min)
          fail(node, what + " must be at least " + std::to_string(*spec.min) + ", got " + s);
        if (spec.max && *v > *spec.max)
          fail(node, what + " must be at most " + std::to_string(*spec.max) + ", got " + s);
        return *v;
      }
      case ParamType::boolean: {
        expect_scalar();
        std::string s = text(node);
        if (s == "true" || s == "True" || s == "TRUE") return true;
        if (s == "false" || s == "False" || s == "FALSE") return false;
        fail(node, what + " must be true or false, got '" + s + "'");
      }
      case ParamType::duration: {
        expect_scalar();
        std::string s = text(node);
        auto d = parse_duration(s);
        if (!d) fail(node, what + " must be a duration like 250ms, 1.5s, 2m or 1h, got '" + s + "'");
        return d->count();
      }
      case ParamType::string_list: {
        Value out = Value::array();
        if (node.IsScalar() && !yaml::is_null_scalar(node)) {
          out.push_back(text(node));
          return out;
        }
        if (!node.IsSequence()) fail(node, what + " must be a string or a list of strings, got " + yaml::describe(node));
        for (const auto& item : node) {
          if (!item.IsScalar() || yaml::is_null_scalar(item))
            fail(item, what + ": each item must be a string, got " + yaml::describe(item));
          out.push_back(text(item));
        }
        return out;
      }
      case ParamType::rows: {
        if (!node.IsSequence()) fail(node, what + " must be a list of rows like [[1, 1000], [2, 250]], got " + yaml::describe(node));
        Value out = Value::array();
        for (const auto& row : node) {
          if (!row.IsSequence()) fail(row, what + ": each row must be a list like [1, 1000], got " + yaml::describe(row));
          Value r = Value::array();
          for (const auto& cell : row) {
            if (!cell.IsScalar() && !cell.IsNull())
              fail(cell, what + ": each cell must be a scalar, got " + yaml::describe(cell));
            r.push_back(scalar(cell));
          }
          out.push_back(std::move(r));
        }
        return out;
      }
      case ParamType::map: {
        if (!node.IsMap()) fail(node, what + " must be a mapping like {1: 900, 2: 350}, got " + yaml::describe(node));
        Value out = Value::object();
        for (const auto& kv : node) {
          if (!kv.second.IsScalar() && !kv.second.IsNull())
            fail(kv.second, what + ": each value must be a scalar, got " + yaml::describe(kv.second));
          out[text(kv.first)] = scalar(kv.second);
        }
        return out;
      }
      case ParamType::any: return any(node);
    }
    fail(node, what + ": unsupported parameter type");
  }

 private:
  // A variable of the step's own file shadows a capture of the same name.
  bool vars_defined_here(const std::string& name) const {
    auto it = vars_.find(name);
    return it != vars_.end() && it->second != "${" + name + "}";
  }

  const std::string& file_;
  const VarTable& vars_;
  const EnvLookup& env_;
  std::string label_;
  const std::set<std::string>* deferred_;
  mutable bool used_deferred_ = false;
};

std::vector<std::string> param_names(const StepType& type) {
  std::vector<std::string> names;
  for (const auto& p : type.params) names.push_back(p.name);
  return names;
}

std::string step_label(const StepDef& def) { return "step " + std::to_string(def.number) + " (" + def.type + ")"; }

// Where a parameter error is best shown: the parameter's value, else the step type key.
SourceLocation param_location(const StepDef& def, const std::string& file, const std::string& param) {
  if (def.params.IsMap())
    for (const auto& kv : def.params)
      if (kv.first.Scalar() == param) return yaml::location(file, kv.second);
  return def.type_where;
}

// A default is written as a user would write the value; give the step the same typed form.
Value converted_default(const ParamSpec& spec) {
  const Value& d = spec.default_value;
  if (!d.is_string()) {
    if (spec.type == ParamType::string_list && !d.is_null() && !d.is_array()) return Value::array({d});
    return d;
  }
  const std::string text = d.get<std::string>();
  switch (spec.type) {
    case ParamType::duration:
      if (auto ms = parse_duration(text)) return ms->count();
      break;
    case ParamType::integer:
      if (auto i = parse_integer(text)) return *i;
      break;
    case ParamType::string_list: return Value::array({text});
    default: return d;
  }
  throw PluginError("the default of parameter '" + spec.name + "' ('" + text + "') is not a valid " +
                    std::string(to_string(spec.type)) + ": fix the plugin");
}

}  // namespace

ScenarioInvalid::ScenarioInvalid(std::vector<ValidationError> errors)
    : Error(join_errors(errors)), errors_(std::move(errors)) {}

namespace {

// convert_params(), also for steps that read captures: `deferred` as for Converter; `*deferred_out`
// says whether a parameter referred to one.
Value convert_step_params(const StepDef& def, const StepType& type, const VarTable& vars, const std::string& file,
                          const EnvLookup& env, const std::set<std::string>* deferred, bool* deferred_out) {
  Converter conv(file, vars, env, step_label(def), deferred);
  Value out = Value::object();
  const YAML::Node& node = def.params;
  if (node.IsMap()) {
    for (const auto& kv : node) {
      const std::string key = kv.first.Scalar();
      auto spec = std::find_if(type.params.begin(), type.params.end(), [&](const ParamSpec& p) { return p.name == key; });
      if (spec == type.params.end()) {
        std::string known = param_names(type).empty() ? "it takes no parameters" : "it takes: ";
        for (size_t i = 0; i < type.params.size(); ++i) known += (i ? ", " : "") + type.params[i].name;
        conv.fail(kv.first, "unknown parameter '" + key + "'" + yaml::suggestion_suffix(key, param_names(type)) + "; " + known);
      }
      out[key] = conv.typed(kv.second, *spec, &kv.first);
    }
  } else if (node.IsScalar() && !yaml::is_null_scalar(node) && !type.params.empty()) {
    // Shorthand: `sql.exec: SELECT 1` sets the first declared parameter.
    out[type.params.front().name] = conv.typed(node, type.params.front());
  } else if (!(node.IsNull() || yaml::is_null_scalar(node) || !node.IsDefined())) {
    conv.fail(node, "parameters must be a mapping like {name: value}, got " + yaml::describe(node));
  }
  for (const auto& spec : type.params) {
    if (out.contains(spec.name)) continue;
    if (spec.required)
      throw ValidationError(def.type_where, step_label(def) + ": missing required parameter '" + spec.name + "'" +
                                                (spec.doc.empty() ? "" : " (" + spec.doc + ")"));
    out[spec.name] = converted_default(spec);
  }
  if (deferred_out) *deferred_out = conv.deferred();
  return out;
}

// Runs the step type's own parameter check; what it throws becomes a ValidationError at the step.
void run_check(const StepDef& def, const RegisteredStep& registered, const Params& params, const std::string& file) {
  if (!registered.type.check) return;
  try {
    registered.type.check(params);
  } catch (const ParamError& e) {
    throw ValidationError(param_location(def, file, e.param()), step_label(def) + ": " + e.what());
  } catch (const ValidationError&) {
    throw;
  } catch (...) {
    // Plugin code: whatever else it throws makes this step invalid, and never ends the process.
    const CaughtError caught = describe_current_exception();
    const std::string where = "from plugin '" + registered.plugin + "' in its parameter check";
    throw ValidationError(def.type_where,
                          step_label(def) + ": " + (caught.kind ? caught.message : unexpected_exception_text(caught, where)));
  }
}

// A capture as visibility rules see it.
struct CaptureSite {
  int step = 0;  // the step that makes it
  int block = 0;
  std::string branch;
  SourceLocation where;
};

// The names the scalars of `node` refer to, each with where its scalar is.
void collect_references(const YAML::Node& node, const std::string& file,
                        std::vector<std::pair<std::string, SourceLocation>>& out) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (node.IsScalar()) {
    for (auto& name : referenced_variables(node.Scalar())) out.emplace_back(std::move(name), yaml::location(file, node));
    return;
  }
  for (const auto& item : node) {
    if (node.IsMap()) {
      collect_references(item.first, file, out);
      collect_references(item.second, file, out);
    } else {
      collect_references(item, file, out);
    }
  }
}

// The captures step `def` may read (earlier steps', not those of a branch running beside it);
// throws ValidationError for a reference to one it may not.
std::set<std::string> visible_captures(const StepDef& def, const std::map<std::string, CaptureSite>& captures,
                                       const Scenario& scenario) {
  std::set<std::string> visible;
  if (captures.empty()) return visible;
  for (const auto& [name, site] : captures)
    if (site.step < def.number && !(site.block != 0 && site.block == def.block && site.branch != def.branch))
      visible.insert(name);
  std::vector<std::pair<std::string, SourceLocation>> refs;
  collect_references(def.params, def.file, refs);
  for (const auto& [name, at] : refs) {
    if (visible.count(name) || (def.vars && def.vars->count(name))) continue;
    auto it = captures.find(name);
    if (it == captures.end()) continue;  // substitution reports the undefined name
    const CaptureSite& site = it->second;
    std::string why;
    if (site.step == def.number)
      why = "is made by this step itself, after it ran";
    else if (site.step > def.number)
      why = "is made by step " + std::to_string(site.step) + " (" + site.where.str() + "), which runs after this one";
    else
      why = "is made in branch '" + site.branch + "' of '" + scenario.blocks[site.block - 1].name +
            "', which runs at the same time as this step's branch '" + def.branch +
            "': use it after the parallel block, or capture it in this branch";
    throw ValidationError(at, step_label(def) + ": capture '" + name + "' " + why);
  }
  return visible;
}

}  // namespace

Value convert_params(const StepDef& def, const StepType& type, const VarTable& vars, const std::string& file,
                     const EnvLookup& env) {
  return convert_step_params(def, type, vars, file, env, nullptr, nullptr);
}

Params params_at_run_time(const PlannedStep& step, const VarTable& captures, const EnvLookup& env) {
  const StepDef& def = *step.def;
  VarTable vars = def.vars ? *def.vars : VarTable{};
  for (const auto& [name, value] : captures) vars.emplace(name, value);
  try {
    Params params(convert_step_params(def, step.step->type, vars, def.file, env, nullptr, nullptr));
    check_step_choices(def, *step.step, params, def.file);
    run_check(def, *step.step, params, def.file);
    return params;
  } catch (const ValidationError& e) {
    throw ValidationError(e.where(), e.message() + def.include_chain());
  }
}

Params params_with_defaults(const StepType& type, Value given) {
  for (const auto& spec : type.params)
    if (!given.contains(spec.name)) given[spec.name] = converted_default(spec);
  return Params(std::move(given));
}

ScenarioPlan plan_scenario(Scenario scenario, const PluginRegistry& registry, const EnvLookup& env) {
  ScenarioPlan plan;
  plan.scenario = std::move(scenario);
  std::vector<ValidationError> errors;
  std::map<std::string, CaptureSite> captures;
  for (const StepDef& def : plan.scenario.steps)
    for (const auto& c : def.captures) captures.emplace(c.name, CaptureSite{def.number, def.block, def.branch, c.where});
  for (const StepDef& def : plan.scenario.steps) {
    const std::string& file = def.file.empty() ? plan.scenario.file : def.file;
    PlannedStep planned;
    planned.def = &def;
    std::shared_ptr<const RegisteredStep> registered = registry.find(def.type);
    if (!registered) {
      std::string message = "step " + std::to_string(def.number) + ": unknown step type '" + def.type + "'" +
                            yaml::suggestion_suffix(def.type, registry.step_names());
      // Blame a library that failed to load only when it is this plugin's by name and no plugin
      // of that name loaded from elsewhere.
      const std::string plugin = def.type.substr(0, def.type.find('.'));
      const bool loaded = std::any_of(registry.plugins().begin(), registry.plugins().end(),
                                      [&](const PluginSummary& p) { return p.name == plugin; });
      for (const auto& problem : registry.problems()) {
        const std::string stem = problem.path.stem().string();
        if (!loaded && (stem == plugin || stem == "lib" + plugin || stem == "libroachrun_" + plugin))
          message += "; plugin library " + problem.path.string() + " did not load: " + problem.reason;
      }
      if (registry.plugins().empty()) message += "; no plugins were found (see `roachrun plugins`, --plugin-dir)";
      errors.emplace_back(def.type_where, message + def.include_chain());
      continue;
    }
    planned.step = registered;
    try {
      const VarTable& own = def.vars ? *def.vars : plan.scenario.vars;
      const std::set<std::string> visible = visible_captures(def, captures, plan.scenario);
      // Captures resolve to their own reference until the step runs, so what they are used in
      // keeps its ${...} in --dry-run and in messages.
      VarTable with_captures;
      if (!visible.empty()) {
        with_captures = own;
        for (const auto& name : visible) with_captures.emplace(name, "${" + name + "}");
      }
      const VarTable& vars = visible.empty() ? own : with_captures;
      planned.params = Params(convert_step_params(def, registered->type, vars, file, env, &visible, &planned.deferred));
      planned.retry = def.retry ? parse_retry_policy(*def.retry, plan.scenario.retry, file, own, env)
                                : plan.scenario.retry;
      if (!planned.deferred) {
        check_step_choices(def, *registered, planned.params, file);
        run_check(def, *registered, planned.params, file);
      }
    } catch (const ValidationError& e) {
      errors.emplace_back(e.where(), e.message() + def.include_chain());
      continue;
    }
    plan.steps.push_back(std::move(planned));
  }
  if (!errors.empty()) throw ScenarioInvalid(std::move(errors));
  return plan;
}

}  // namespace roachrun
