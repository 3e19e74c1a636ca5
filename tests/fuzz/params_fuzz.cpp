// Fuzz target: parameter validation, the conversion of a step's YAML parameters against the
// parameters its step type declares (convert_params), then reading them back as a step would.
//
// The input is a scenario (each of its steps is converted) or, if it does not load as one, a
// single step's parameters. The step type is made up from the input: each key the step gives
// is declared as one kind of parameter, the kinds rotating with the key's position and the step's
// number, so the seeds' real parameters meet every kind (string, integer with bounds, boolean,
// duration, string list, rows, map, any); optional parameters with a default of every kind are
// declared too. A ValidationError is a normal outcome. A value that validation let through and
// the step's accessors then refuse (StepError) is a bug, and so is any other exception.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/scenario_loader.hpp"
#include "engine/scenario_validator.hpp"
#include "fuzz_input.hpp"

namespace {

using roachrun::ParamSpec;
using roachrun::ParamType;

constexpr std::array kKinds = {ParamType::string,      ParamType::integer, ParamType::boolean, ParamType::duration,
                               ParamType::string_list, ParamType::rows,    ParamType::map,     ParamType::any};

roachrun::StepType every_kind_step(const roachrun::StepDef& def) {
  roachrun::StepType type;
  type.name = "every_kind";
  std::size_t i = 0;
  if (def.params.IsMap()) {
    for (const auto& kv : def.params) {
      // A plugin cannot declare one name twice (the loader refuses it); the fallback input is
      // raw YAML, where a repeated key is not yet refused.
      if (!kv.first.IsScalar() || std::any_of(type.params.begin(), type.params.end(),
                                              [&](const ParamSpec& p) { return p.name == kv.first.Scalar(); }))
        continue;
      ParamSpec spec;
      spec.name = kv.first.Scalar();
      spec.type = kKinds[(i + static_cast<std::size_t>(def.number)) % kKinds.size()];
      spec.required = i % 3 == 0;
      if (spec.type == ParamType::integer && i % 2 == 1) {
        spec.min = -1000;
        spec.max = 1'000'000;
      }
      type.params.push_back(std::move(spec));
      ++i;
    }
  }
  // Defaults as a plugin writes them, converted like written values.
  type.params.push_back(roachrun::optional_param("default_string", ParamType::string, "", "text"));
  type.params.push_back(roachrun::optional_param("default_integer", ParamType::integer, "", "42"));
  type.params.push_back(roachrun::optional_param("default_boolean", ParamType::boolean, "", false));
  type.params.push_back(roachrun::optional_param("default_duration", ParamType::duration, "", "87600h"));
  type.params.push_back(roachrun::optional_param("default_list", ParamType::string_list, "", "ALL"));
  type.params.push_back(roachrun::optional_param("default_rows", ParamType::rows, ""));
  type.params.push_back(roachrun::optional_param("default_map", ParamType::map, ""));
  type.params.push_back(roachrun::optional_param("default_any", ParamType::any, "", roachrun::Value::array({1, "two"})));
  return type;
}

// Reads every parameter as a step's run() would.
void read_back(const roachrun::StepType& type, const roachrun::Params& params) {
  for (const auto& spec : type.params) {
    if (!params.has(spec.name)) continue;
    switch (spec.type) {
      case ParamType::string: (void)params.string(spec.name); break;
      case ParamType::integer: (void)params.integer(spec.name); break;
      case ParamType::boolean: (void)params.boolean(spec.name); break;
      case ParamType::duration: (void)params.duration(spec.name); break;
      case ParamType::string_list: (void)params.strings(spec.name); break;
      // As the CLI and the JSON report print them: invalid UTF-8 replaced, not thrown.
      default: (void)params.raw(spec.name).dump(-1, ' ', false, roachrun::Value::error_handler_t::replace); break;
    }
  }
}

void convert(const roachrun::StepDef& def, const roachrun::VarTable& vars) {
  const roachrun::StepType type = every_kind_step(def);
  try {
    const roachrun::Params params(roachrun::convert_params(def, type, vars, "fuzz.yaml", roachrun::fuzz::fixed_env));
    read_back(type, params);
  } catch (const roachrun::ValidationError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text = roachrun::fuzz::input_text(data, size);
  try {
    const roachrun::Scenario scenario = roachrun::load_scenario_text(text, "fuzz.yaml", {}, roachrun::fuzz::fixed_env);
    for (const auto& def : scenario.steps) convert(def, scenario.vars);
    return 0;
  } catch (const roachrun::Error& e) {
    if (e.kind() == roachrun::ErrorKind::internal) throw;
  }
  // Not a scenario: the whole document is one step's parameters.
  roachrun::StepDef def;
  def.number = 1;
  def.type = "fuzz.every_kind";
  def.type_where = roachrun::SourceLocation{"fuzz.yaml", 1, 1};
  try {
    def.params = YAML::Load(text);
  } catch (const YAML::Exception&) {
    return 0;  // the loader reports these as invalid YAML
  }
  convert(def, {});
  return 0;
}
