#include "engine/step_details_check.hpp"

#include <algorithm>

#include "engine/target.hpp"  // redact_url
#include "engine/yaml_util.hpp"

namespace roachrun {

namespace {

std::string step_label(const StepDef& def) { return "step " + std::to_string(def.number) + " (" + def.type + ")"; }

// Where a parameter's value is written: its value in a mapping, the whole value for the scalar
// shorthand (the first parameter), else the step type key (a defaulted value).
SourceLocation value_location(const StepDef& def, const RegisteredStep& step, const std::string& file, const std::string& param) {
  if (def.params.IsMap()) {
    for (const auto& kv : def.params)
      if (kv.first.Scalar() == param) return yaml::location(file, kv.second);
  } else if (def.params.IsScalar() && !step.type.params.empty() && step.type.params.front().name == param) {
    return yaml::location(file, def.params);
  }
  return def.type_where;
}

std::string list_of(const std::vector<std::string>& values) {
  std::string s;
  for (size_t i = 0; i < values.size(); ++i) s += (i == 0 ? "" : i + 1 == values.size() ? " or " : ", ") + values[i];
  return s;
}

}  // namespace

void check_step_choices(const StepDef& def, const RegisteredStep& step, const Params& params, const std::string& file) {
  for (const auto& c : step.details.choices) {
    const Value& value = params.all().contains(c.param) ? params.all()[c.param] : Value();
    if (!value.is_string()) continue;  // absent and optional: nothing to check
    const std::string given = value.get<std::string>();
    if (std::find(c.values.begin(), c.values.end(), given) != c.values.end()) continue;
    throw ValidationError(value_location(def, step, file, c.param),
                          step_label(def) + ": parameter '" + c.param + "' must be " + list_of(c.values) + ", got '" +
                              given + "'" + yaml::suggestion_suffix(given, c.values));
  }
}

std::vector<ValidationError> local_target_errors(const ScenarioPlan& plan) {
  std::vector<ValidationError> errors;
  const TargetDef& target = plan.scenario.target;
  if (target.url == "local") return errors;
  for (const auto& planned : plan.steps) {
    if (!planned.step || !planned.step->details.needs_local_target || !planned.skip_reason.empty()) continue;
    errors.emplace_back(planned.def->type_where,
                        step_label(*planned.def) + ": needs roachrun's local target (target: local); this scenario's target is " +
                            redact_url(target.url) + ": run it with --target local, or leave the step out with --skip " +
                            planned.step->plugin);
  }
  return errors;
}

}  // namespace roachrun
