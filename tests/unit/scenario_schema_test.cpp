// engine/scenario_schema.hpp: the JSON Schema `roachrun schema` prints, generated from the
// plugins' declarations and details (the `detailed` fixture plugin). A real validator checks it
// against the bundled scenarios in tests/integration/schema_test.sh; these check what it says.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/scenario_schema.hpp"
#include "fixture_plugins.hpp"
#include "support/scoped_env.hpp"
#include "support/temp_dir.hpp"

namespace roachrun {
namespace {

using Json = nlohmann::ordered_json;

class ScenarioSchema : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    test::TempDir cache;
    test::ScopedEnv env("XDG_CACHE_HOME", cache.path().string());
    registry_ = new PluginRegistry;
    ASSERT_TRUE(registry_->load_library(test::fixture_plugin("details_steps")));
    schema_ = new Json(scenario_schema(*registry_));
  }
  static void TearDownTestSuite() {
    delete schema_;
    delete registry_;
  }
  static const Json& defs() { return (*schema_)["$defs"]; }
  // The schema of the step type key `full_name`'s value: anyOf [mapping, shorthand?, null?].
  static const Json& step_value(const std::string& full_name) { return defs()["step"]["properties"][full_name]; }
  static const Json& mapping(const std::string& full_name) { return step_value(full_name)["anyOf"][0]; }

  static PluginRegistry* registry_;
  static Json* schema_;
};

PluginRegistry* ScenarioSchema::registry_ = nullptr;
Json* ScenarioSchema::schema_ = nullptr;

Json ref(const std::string& def) { return Json{{"$ref", "#/$defs/" + def}}; }

TEST_F(ScenarioSchema, IsDraft202012AndAcceptsAScenarioOrAFileOfSteps) {
  EXPECT_EQ((*schema_)["$schema"], "https://json-schema.org/draft/2020-12/schema");
  EXPECT_EQ((*schema_)["anyOf"], Json::array({ref("scenario"), ref("steps_file")}));
  const Json& scenario = defs()["scenario"];
  EXPECT_EQ(scenario["additionalProperties"], false);
  EXPECT_EQ(scenario["required"], Json::array({"scenario", "steps"}));
  std::vector<std::string> keys;
  for (const auto& [key, value] : scenario["properties"].items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"scenario", "description", "target", "connections", "default_connection",
                                            "vars", "retry", "steps"}))
      << "the loader's top-level keys";
  std::vector<std::string> file_keys;
  for (const auto& [key, value] : defs()["steps_file"]["properties"].items()) file_keys.push_back(key);
  EXPECT_EQ(file_keys, (std::vector<std::string>{"description", "vars", "steps"}));
  EXPECT_EQ(defs()["steps_file"]["additionalProperties"], false);
}

TEST_F(ScenarioSchema, AStepHasExactlyOneStepTypeKeyAndTheStepKeys) {
  const Json& step = defs()["step"];
  EXPECT_EQ(step["additionalProperties"], false);
  EXPECT_EQ(step["oneOf"], Json::array({{{"required", {"detailed.paint"}}},
                                        {{"required", {"detailed.local"}}},
                                        {{"required", {"detailed.plain"}}}}));
  for (const char* key : {"name", "connection", "retry", "capture"}) EXPECT_TRUE(step["properties"].contains(key)) << key;
  EXPECT_EQ(defs()["steps"]["items"]["anyOf"], Json::array({ref("step"), ref("include"), ref("parallel")}));
  // No parallel block inside a branch.
  EXPECT_EQ(defs()["parallel"]["properties"]["parallel"]["additionalProperties"]["items"]["anyOf"],
            Json::array({ref("step"), ref("include")}));
  EXPECT_EQ(defs()["include"]["required"], Json::array({"include"}));
  EXPECT_EQ(defs()["include"]["additionalProperties"], false);
}

TEST_F(ScenarioSchema, ParametersCarryTheirTypeDocDefaultBoundsAndChoices) {
  const Json& paint = mapping("detailed.paint");
  EXPECT_EQ(paint["additionalProperties"], false) << "a misspelt parameter is refused";
  EXPECT_FALSE(paint.contains("required"));
  const Json& color = paint["properties"]["color"];
  EXPECT_EQ(color["anyOf"], Json::array({{{"enum", {"red", "green", "blue"}}}, ref("reference")}));
  EXPECT_EQ(color["description"], "red, green or blue");
  EXPECT_EQ(color["default"], "red");
  const Json& coats = paint["properties"]["coats"];
  EXPECT_EQ(coats["anyOf"][0], (Json{{"type", "integer"}, {"minimum", 1}, {"maximum", 5}}));
  EXPECT_EQ(coats["anyOf"][2], ref("reference")) << "amount: \"${amount}\" is a number once substituted";
  EXPECT_EQ(coats["default"], 1);
  EXPECT_EQ(step_value("detailed.paint")["description"], "Paints in one of three colors");
  EXPECT_EQ(step_value("detailed.local")["description"], "Touches the local server (needs roachrun's local target)");
}

TEST_F(ScenarioSchema, TheShorthandIsTheFirstParameterAndNothingIsAllowedWhenNoneIsRequired) {
  // paint: nothing required: mapping, the shorthand (color, with its choices), or nothing.
  const Json& paint = step_value("detailed.paint")["anyOf"];
  ASSERT_EQ(paint.size(), 3u);
  EXPECT_EQ(paint[1]["anyOf"][0], (Json{{"enum", {"red", "green", "blue"}}}));
  EXPECT_EQ(paint[2], (Json{{"type", "null"}}));
  // plain: its first parameter is required: the mapping or the shorthand, never nothing.
  const Json& plain = step_value("detailed.plain")["anyOf"];
  ASSERT_EQ(plain.size(), 2u);
  EXPECT_EQ(plain[0]["required"], Json::array({"label"}));
  EXPECT_EQ(plain[1]["$ref"], "#/$defs/text");
  // local: no parameters: an empty mapping or nothing.
  const Json& local = step_value("detailed.local")["anyOf"];
  ASSERT_EQ(local.size(), 2u);
  EXPECT_EQ(local[0]["properties"], Json::object());
  EXPECT_EQ(local[1], (Json{{"type", "null"}}));
}

TEST(ScenarioSchemaParams, EachParameterTypeHasItsForms) {
  auto schema = [](ParamType type) { return param_schema(optional_param("p", type, ""), nullptr); };
  EXPECT_EQ(schema(ParamType::string), ref("text"));
  EXPECT_EQ(schema(ParamType::boolean), ref("boolean"));
  EXPECT_EQ(schema(ParamType::duration), ref("duration"));
  EXPECT_EQ(schema(ParamType::string_list)["anyOf"][1], (Json{{"type", "array"}, {"items", ref("text")}}));
  EXPECT_EQ(schema(ParamType::rows)["type"], "array");
  EXPECT_EQ(schema(ParamType::map)["type"], "object");
  EXPECT_EQ(schema(ParamType::any), Json::object());
  ParamSpec duration = optional_param("d", ParamType::duration, "how long", "87600h");
  EXPECT_EQ(param_schema(duration, nullptr)["default"], "87600h") << "as a user writes it";
}

TEST(ScenarioSchemaParams, NoPluginsMeansNoValidStep) {
  PluginRegistry empty;
  const Json schema = scenario_schema(empty);
  EXPECT_EQ(schema["$defs"]["step"]["oneOf"], Json::array({false}));
}

}  // namespace
}  // namespace roachrun
