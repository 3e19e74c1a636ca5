#include "engine/scenario_schema.hpp"

#include <string>
#include <vector>

#include "engine/scenario_limits.hpp"
#include "engine/scenario.hpp"  // kMaxLocalNodes
#include "roachrun/sdk_version.hpp"

namespace roachrun {

namespace {

using Json = nlohmann::ordered_json;

Json ref(const std::string& def) { return Json{{"$ref", "#/$defs/" + def}}; }

// The shared pieces, referred to by name.
Json definitions() {
  Json defs = Json::object();
  // A value written as a ${...} reference: its type is known only once it is substituted.
  defs["reference"] = {{"type", "string"},
                       {"pattern", "\\$\\{"},
                       {"description", "a value with a ${...} reference (a variable, an environment variable, a capture)"}};
  // Any scalar the loader reads as text (YAML reads 42 and true as a number and a boolean).
  defs["text"] = {{"type", Json::array({"string", "number", "boolean"})}};
  defs["scalar_or_null"] = {{"type", Json::array({"string", "number", "boolean", "null"})}};
  defs["integer"] = {{"anyOf", Json::array({{{"type", "integer"}},
                                            {{"type", "string"}, {"pattern", "^\\+?-?[0-9]+$"}},
                                            ref("reference")})}};
  defs["boolean"] = {{"anyOf", Json::array({{{"type", "boolean"}},
                                            {{"enum", Json::array({"true", "True", "TRUE", "false", "False", "FALSE"})}},
                                            ref("reference")})}};
  defs["duration"] = {
      {"description", "a duration like 250ms, 1.5s, 2m or 1h, or a number of seconds"},
      {"anyOf", Json::array({{{"type", "number"}, {"minimum", 0}},
                             {{"type", "string"}, {"pattern", "^([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?(ms|us|s|min|m|h)?$"}},
                             ref("reference")})}};

  defs["vars"] = {{"description", "variables, used as ${name}; --set NAME=VALUE overrides one"},
                  {"type", "object"},
                  {"propertyNames", {{"pattern", "^[A-Za-z_][A-Za-z0-9_]*$"}}},
                  {"additionalProperties", ref("scalar_or_null")}};

  defs["retry"] = {{"description", "the retry policy: at the top level the default of every step, on a step its own"},
                   {"type", "object"},
                   {"additionalProperties", false},
                   {"properties",
                    {{"max_retries", {{"allOf", Json::array({ref("integer")})}, {"description", "retries after a retryable error"}}},
                     {"base_backoff", ref("duration")},
                     {"max_backoff", ref("duration")},
                     {"budget", ref("duration")},
                     {"reconnect_budget", ref("duration")},
                     {"seed", ref("integer")},
                     {"protocol", {{"anyOf", Json::array({{{"enum", Json::array({"rollback", "savepoint"})}}, ref("reference")})}}},
                     {"isolation",
                      {{"anyOf", Json::array({{{"enum", Json::array({"serializable", "repeatable_read", "read_committed",
                                                                     "server_default"})}},
                                              ref("reference")})}}}}}};

  Json nodes = {{"anyOf", Json::array({{{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxLocalNodes}},
                                       {{"type", "string"}, {"pattern", "^[0-9]+$"}},
                                       ref("reference")})},
                {"description", "url: local only: 1 is one server, 2 or more a formation of that many nodes"}};
  defs["target"] = {
      {"description", "where the scenario runs: 'local' (a throwaway server) or a postgresql:// URL"},
      {"anyOf", Json::array({ref("text"),
                             {{"type", "object"},
                              {"additionalProperties", false},
                              {"properties",
                               {{"url", ref("text")},
                                {"secure", ref("boolean")},
                                {"certs_dir", ref("text")},
                                {"ca_key", ref("text")},
                                {"nodes", nodes}}}}})}};

  Json connection = {{"type", "object"}, {"additionalProperties", false}, {"required", Json::array({"user"})}};
  for (const char* key : {"user", "database", "password", "sslmode", "sslrootcert", "sslcert", "sslkey", "application_name",
                          "connect_timeout", "options", "target_session_attrs"})
    connection["properties"][key] = ref("text");
  defs["connections"] = {{"description", "named connections: {name: {user:, database:, ...}}"},
                         {"type", "object"},
                         {"minProperties", 1},
                         {"additionalProperties", connection}};

  defs["capture"] = {
      {"description", "store the step's result under a name for later steps (${name}); a mapping stores parts of it: "
                      "{name: path.of.keys}"},
      {"anyOf", Json::array({{{"type", "string"}}, {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}}})}};
  return defs;
}

// The schema of a parameter written as the step type key's scalar value (`sql.exec: SELECT 1`):
// the first parameter's, in its scalar forms only.
Json shorthand_schema(const ParamSpec& spec, const std::vector<std::string>* choices) {
  switch (spec.type) {
    case ParamType::string_list: return ref("text");
    case ParamType::rows:
    case ParamType::map: return nullptr;
    case ParamType::any: return ref("text");
    default: return param_schema(spec, choices);
  }
}

// The schema of a step type key's value: a mapping of its parameters, the shorthand scalar, or
// nothing at all when no parameter is required.
Json params_schema(const RegisteredStep& step) {
  const StepType& type = step.type;
  Json mapping = {{"type", "object"}, {"additionalProperties", false}, {"properties", Json::object()}};
  std::vector<std::string> required;
  for (const auto& p : type.params) {
    mapping["properties"][p.name] = param_schema(p, step.choices(p.name));
    if (p.required) required.push_back(p.name);
  }
  if (!required.empty()) mapping["required"] = required;
  Json forms = Json::array({mapping});
  if (!type.params.empty() && (required.empty() || (required.size() == 1 && required[0] == type.params.front().name))) {
    Json shorthand = shorthand_schema(type.params.front(), step.choices(type.params.front().name));
    if (!shorthand.is_null()) forms.push_back(shorthand);
  }
  if (required.empty()) forms.push_back({{"type", "null"}});
  Json out = {{"description", type.doc + (step.details.needs_local_target ? " (needs roachrun's local target)" : "")}};
  out["anyOf"] = forms;
  return out;
}

// A step: exactly one step type key, and the step keys.
Json step_schema(const PluginRegistry& registry) {
  Json properties = Json::object();
  Json one_type = Json::array();
  for (const auto& plugin : registry.plugins())
    for (const auto& step : plugin.steps) {
      properties[step->full_name] = params_schema(*step);
      one_type.push_back({{"required", Json::array({step->full_name})}});
    }
  properties["name"] = {{"allOf", Json::array({ref("text")})}, {"description", "the step's name in status lines and reports"}};
  properties["connection"] = {{"allOf", Json::array({ref("text")})}, {"description", "one of the scenario's connections"}};
  properties["retry"] = ref("retry");
  properties["capture"] = ref("capture");
  Json step = {{"type", "object"}, {"properties", properties}, {"additionalProperties", false}};
  // No plugin, no step type: nothing is a valid step (as the validator would say).
  step["oneOf"] = one_type.empty() ? Json::array({false}) : one_type;
  return step;
}

Json item_schema(bool with_parallel) {
  Json items = Json::array({ref("step"), ref("include")});
  if (with_parallel) items.push_back(ref("parallel"));
  return {{"anyOf", items}};
}

}  // namespace

Json param_schema(const ParamSpec& spec, const std::vector<std::string>* choices) {
  Json out;
  switch (spec.type) {
    case ParamType::string:
      if (choices) out["anyOf"] = Json::array({{{"enum", *choices}}, ref("reference")});
      else out = ref("text");
      break;
    case ParamType::integer: {
      Json number = {{"type", "integer"}};
      if (spec.min) number["minimum"] = *spec.min;
      if (spec.max) number["maximum"] = *spec.max;
      out["anyOf"] = Json::array({number, {{"type", "string"}, {"pattern", "^\\+?-?[0-9]+$"}}, ref("reference")});
      break;
    }
    case ParamType::boolean: out = ref("boolean"); break;
    case ParamType::duration: out = ref("duration"); break;
    case ParamType::string_list:
      out["anyOf"] = Json::array({ref("text"), {{"type", "array"}, {"items", ref("text")}}});
      break;
    case ParamType::rows:
      out = {{"type", "array"}, {"items", {{"type", "array"}, {"items", ref("scalar_or_null")}}}};
      break;
    case ParamType::map: out = {{"type", "object"}, {"additionalProperties", ref("scalar_or_null")}}; break;
    case ParamType::any: out = Json::object(); break;
  }
  // A $ref beside other keywords is fine in 2020-12; the docs go last so they read after the type.
  if (!spec.doc.empty()) out["description"] = spec.doc;
  if (!spec.default_value.is_null()) out["default"] = spec.default_value;
  return out;
}

Json scenario_schema(const PluginRegistry& registry) {
  Json defs = definitions();
  defs["step"] = step_schema(registry);
  defs["include"] = {{"description", "another file's steps, with its vars (path relative to this file)"},
                     {"type", "object"},
                     {"additionalProperties", false},
                     {"required", Json::array({"include"})},
                     {"properties", {{"include", {{"type", "string"}}}, {"vars", ref("vars")}, {"name", ref("text")}}}};
  defs["parallel"] = {
      {"description", "branches (name: [steps]) that run at the same time; all are joined before the next step"},
      {"type", "object"},
      {"additionalProperties", false},
      {"required", Json::array({"parallel"})},
      {"properties",
       {{"parallel",
         {{"type", "object"},
          {"minProperties", 1},
          {"additionalProperties", {{"type", "array"}, {"minItems", 1}, {"items", item_schema(false)}}}}},
        {"name", ref("text")}}}};
  defs["steps"] = {{"type", "array"},
                   {"minItems", 1},
                   {"maxItems", limits::kMaxSteps},
                   {"items", item_schema(true)}};
  defs["scenario"] = {{"type", "object"},
                      {"additionalProperties", false},
                      {"required", Json::array({"scenario", "steps"})},
                      {"properties",
                       {{"scenario", {{"allOf", Json::array({ref("text")})}, {"description", "the scenario's name"}}},
                        {"description", ref("text")},
                        {"target", ref("target")},
                        {"connections", ref("connections")},
                        {"default_connection", ref("text")},
                        {"vars", ref("vars")},
                        {"retry", ref("retry")},
                        {"steps", ref("steps")}}}};
  defs["steps_file"] = {{"description", "a file of steps for include: (description, vars and steps only)"},
                        {"type", "object"},
                        {"additionalProperties", false},
                        {"required", Json::array({"steps"})},
                        {"properties", {{"description", ref("text")}, {"vars", ref("vars")}, {"steps", ref("steps")}}}};

  Json schema;
  schema["$schema"] = "https://json-schema.org/draft/2020-12/schema";
  schema["title"] = "roachrun scenario";
  schema["description"] = std::string("A roachrun ") + ROACHRUN_VERSION +
                          " scenario file, or a file of steps it includes; generated by `roachrun schema` from the "
                          "loaded plugins";
  schema["anyOf"] = Json::array({ref("scenario"), ref("steps_file")});
  schema["$defs"] = std::move(defs);
  return schema;
}

}  // namespace roachrun
