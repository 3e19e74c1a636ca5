// engine/step_details_check.hpp: what plugins' step details (SDK 3.4) refuse before anything
// runs, with the `detailed` fixture plugin (tests/fixtures/plugins/details_steps.cpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/scenario_loader.hpp"
#include "engine/scenario_validator.hpp"
#include "engine/step_details_check.hpp"
#include "engine/step_selection.hpp"
#include "fixture_plugins.hpp"
#include "support/scoped_env.hpp"
#include "support/temp_dir.hpp"

namespace roachrun {
namespace {

std::optional<std::string> no_env(const std::string&) { return std::nullopt; }

// Lines 1-4; steps start on line 5.
std::string scenario(const std::string& target, const std::vector<std::string>& step_lines) {
  std::string s = "scenario: details\n"  // 1
                  "target: " + target + "\n"  // 2
                  "vars: {hue: purple, good: green}\n"  // 3
                  "steps:\n";  // 4
  for (const auto& l : step_lines) s += l + "\n";
  return s;
}

class StepDetailsCheck : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    test::TempDir cache;  // a plugin cache of its own (the examination is remembered there)
    test::ScopedEnv env("XDG_CACHE_HOME", cache.path().string());
    registry_ = new PluginRegistry;
    ASSERT_TRUE(registry_->load_library(test::fixture_plugin("details_steps")))
        << (registry_->problems().empty() ? "" : registry_->problems().front().reason);
  }
  static void TearDownTestSuite() {
    delete registry_;
    registry_ = nullptr;
  }

  static ScenarioPlan plan(const std::string& text) {
    return plan_scenario(load_scenario_text(text, "d.yaml", {}, no_env), *registry_, no_env);
  }

  static std::vector<ValidationError> errors(const std::string& text) {
    try {
      plan(text);
      ADD_FAILURE() << "planned without errors:\n" << text;
    } catch (const ScenarioInvalid& e) {
      return e.errors();
    }
    return {};
  }

  static PluginRegistry* registry_;
};

PluginRegistry* StepDetailsCheck::registry_ = nullptr;

TEST_F(StepDetailsCheck, AChoiceGivenPasses) {
  ScenarioPlan p = plan(scenario("local", {"  - detailed.paint: {color: blue, finish: gloss}", "  - detailed.paint: green",
                                           "  - detailed.paint: {color: \"${good}\"}", "  - detailed.paint: {coats: 2}"}));
  ASSERT_EQ(p.steps.size(), 4u);
  EXPECT_EQ(p.steps[0].params.string("color"), "blue");
  EXPECT_EQ(p.steps[1].params.string("color"), "green");
  EXPECT_EQ(p.steps[2].params.string("color"), "green");
  EXPECT_EQ(p.steps[3].params.string("color"), "red") << "the default";
  EXPECT_FALSE(p.steps[3].params.has("finish")) << "absent and optional: nothing to check";
}

TEST_F(StepDetailsCheck, AValueOutsideTheChoicesIsRefusedAtItsValueNamingThem) {
  auto errs = errors(scenario("local", {"  - detailed.paint: {coats: 2, color: gren}"}));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].where().str(), "d.yaml:5:39");
  EXPECT_EQ(errs[0].message(),
            "step 1 (detailed.paint): parameter 'color' must be red, green or blue, got 'gren' (did you mean 'green'?)");
}

TEST_F(StepDetailsCheck, TheShorthandAndAVariableAreCheckedAfterSubstitution) {
  auto errs = errors(scenario("local", {"  - detailed.paint: bleu", "  - detailed.paint: {finish: \"${hue}\"}"}));
  ASSERT_EQ(errs.size(), 2u);
  EXPECT_EQ(errs[0].where().str(), "d.yaml:5:21");
  EXPECT_EQ(errs[0].message(), "step 1 (detailed.paint): parameter 'color' must be red, green or blue, got 'bleu' (did you "
                               "mean 'blue'?)");
  EXPECT_EQ(errs[1].where().str(), "d.yaml:6:30");
  EXPECT_EQ(errs[1].message(), "step 2 (detailed.paint): parameter 'finish' must be matt or gloss, got 'purple'");
}

// What a capture looks like before its step has run: the reference, left for the run-time check.
// A capture is known only when the step that makes it has run: the step reading it is checked
// then, with the value in place (params_at_run_time), not at validation time.
TEST_F(StepDetailsCheck, AChoiceFromACaptureIsCheckedWhenTheStepRuns) {
  ScenarioPlan p = plan(scenario("local", {"  - detailed.plain: x", "    capture: later",
                                           "  - detailed.paint: {color: \"${later}\"}"}));
  ASSERT_EQ(p.steps.size(), 2u);
  EXPECT_TRUE(p.steps[1].deferred);
  EXPECT_EQ(p.steps[1].params.string("color"), "${later}");
  EXPECT_EQ(params_at_run_time(p.steps[1], {{"later", "red"}}).string("color"), "red");
  EXPECT_THROW(params_at_run_time(p.steps[1], {{"later", "mauve"}}), ValidationError);
}

// A literal "${...}" (written $${...}) is a value like any other: not one of the choices.
TEST_F(StepDetailsCheck, AnEscapedReferenceIsAnOrdinaryValue) {
  EXPECT_THROW(plan(scenario("local", {"  - detailed.paint: {color: \"$${later}\"}"})), ScenarioInvalid);
}

TEST_F(StepDetailsCheck, AStepThatNeedsTheLocalTargetPassesOnIt) {
  ScenarioPlan p = plan(scenario("local", {"  - detailed.local:"}));
  EXPECT_TRUE(local_target_errors(p).empty());
  p.scenario.target = with_target_option(p.scenario.target, "local:3");
  EXPECT_TRUE(local_target_errors(p).empty()) << "a local formation is roachrun's local target too";
}

TEST_F(StepDetailsCheck, AStepThatNeedsTheLocalTargetIsRefusedOnAUrlWithThePasswordMasked) {
  ScenarioPlan p = plan(scenario("postgresql://me:s3cret@db.example:26257/bank",
                                 {"  - detailed.plain: x", "  - name: touch it", "    detailed.local:"}));
  auto errs = local_target_errors(p);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].where().str(), "d.yaml:7:5");
  EXPECT_EQ(errs[0].message(),
            "step 2 (detailed.local): needs roachrun's local target (target: local); this scenario's target is "
            "postgresql://me:***@db.example:26257/bank: run it with --target local, or leave the step out with --skip "
            "detailed");
  EXPECT_EQ(std::string(errs[0].what()).find("s3cret"), std::string::npos);
}

TEST_F(StepDetailsCheck, TheTargetOptionDecides) {
  ScenarioPlan p = plan(scenario("local", {"  - detailed.local:"}));
  p.scenario.target = with_target_option(p.scenario.target, "host=db.example user=me");
  auto errs = local_target_errors(p);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_NE(errs[0].message().find("this scenario's target is host=db.example user=me:"), std::string::npos)
      << errs[0].message();
}

TEST_F(StepDetailsCheck, AStepTheSelectionLeavesOutIsNotRefused) {
  ScenarioPlan p = plan(scenario("postgresql://db.example/bank", {"  - detailed.plain: x", "  - detailed.local:"}));
  StepSelection skip;
  skip.skip = {"detailed.local"};
  apply_selection(p, skip);
  EXPECT_TRUE(local_target_errors(p).empty());
}

}  // namespace
}  // namespace roachrun
