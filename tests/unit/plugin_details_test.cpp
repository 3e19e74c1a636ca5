// SDK 3.4 step details (ROACHRUN_PLUGIN_DETAILS): read when a plugin exports them, kept with each
// step, and checked against the plugin's description; a plugin without them has none.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "engine/plugin_examination.hpp"
#include "engine/plugin_loader.hpp"
#include "engine/plugin_registry.hpp"
#include "fixture_plugins.hpp"
#include "support/scoped_env.hpp"
#include "support/temp_dir.hpp"

namespace roachrun {
namespace {

namespace fs = std::filesystem;

// A plugin cache of its own, so what other runs remember does not decide these tests.
struct PrivateCache {
  test::TempDir tmp;
  test::ScopedEnv env{"XDG_CACHE_HOME", tmp.path().string()};
};

TEST(PluginDetails, AreKeptWithEachStepOfAPluginThatExportsThem) {
  PrivateCache cache;
  PluginRegistry registry;
  ASSERT_TRUE(registry.load_library(test::fixture_plugin("details_steps")));
  EXPECT_TRUE(registry.problems().empty());

  auto paint = registry.find("detailed.paint");
  ASSERT_NE(paint, nullptr);
  EXPECT_FALSE(paint->details.needs_local_target);
  ASSERT_NE(paint->choices("color"), nullptr);
  EXPECT_EQ(*paint->choices("color"), (std::vector<std::string>{"red", "green", "blue"}));
  EXPECT_EQ(*paint->choices("finish"), (std::vector<std::string>{"matt", "gloss"}));
  EXPECT_EQ(paint->choices("coats"), nullptr);

  auto local = registry.find("detailed.local");
  ASSERT_NE(local, nullptr);
  EXPECT_TRUE(local->details.needs_local_target);
  EXPECT_TRUE(local->details.choices.empty());

  auto plain = registry.find("detailed.plain");
  ASSERT_NE(plain, nullptr);
  EXPECT_FALSE(plain->details.needs_local_target);
  EXPECT_EQ(plain->choices("label"), nullptr);
}

TEST(PluginDetails, APluginWithoutThemHasNone) {
  PrivateCache cache;
  PluginRegistry registry;
  ASSERT_TRUE(registry.load_library(test::fixture_plugin("fixture_steps")));
  for (const auto& name : registry.step_names()) {
    EXPECT_FALSE(registry.find(name)->details.needs_local_target) << name;
    EXPECT_TRUE(registry.find(name)->details.choices.empty()) << name;
  }
}

TEST(PluginDetails, ADetailsFunctionThatThrowsIsRecordedLikeAFactoryThatThrows) {
  const fs::path path = test::fixture_plugin("details_throw");
  PrivateCache cache;
  PluginRegistry registry;
  EXPECT_FALSE(registry.load_library(path));
  EXPECT_TRUE(registry.plugins().empty());
  EXPECT_TRUE(registry.step_names().empty());
  ASSERT_EQ(registry.problems().size(), 1u);
  EXPECT_EQ(registry.problems()[0].path, path);
  EXPECT_EQ(registry.problems()[0].reason, "its details function threw: fixture details failure");
}

struct BadDetails {
  std::string kind;
  std::string problem;
};

class DetailsThatDoNotFit : public ::testing::TestWithParam<BadDetails> {};

// open_plugin itself (no scanner, no cache): the fixture reads which case it is when its details
// function runs.
TEST_P(DetailsThatDoNotFit, RefuseThePluginSayingWhy) {
  test::ScopedEnv env("ROACHRUN_FIXTURE_BAD_DETAILS", GetParam().kind);
  const OpenedPlugin opened = open_plugin(test::fixture_plugin("bad_details"));
  EXPECT_EQ(opened.problem, GetParam().problem);
  EXPECT_EQ(opened.library, nullptr) << "a refused plugin keeps no library";
  EXPECT_TRUE(opened.details.steps.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Checks, DetailsThatDoNotFit,
    ::testing::Values(
        BadDetails{"unknown_step", "its details name step type 'bad_details.stpe', which it does not declare"},
        BadDetails{"step_twice", "its details describe step type 'bad_details.step' twice"},
        BadDetails{"unknown_param",
                   "its details name parameter 'mdoe' of step type 'bad_details.step', which it does not declare"},
        BadDetails{"not_string",
                   "its details give parameter 'count' of step type 'bad_details.step' choices, but it is integer, not string"},
        BadDetails{"param_twice", "its details give parameter 'mode' of step type 'bad_details.step' choices twice"},
        BadDetails{"empty", "its details give parameter 'mode' of step type 'bad_details.step' no choices (an empty list)"},
        BadDetails{"repeated", "its details give parameter 'mode' of step type 'bad_details.step' the choice 'fast' twice"},
        BadDetails{"default_outside",
                   "its details give parameter 'mode' of step type 'bad_details.step' choices that leave out its default 'fast'"}),
    [](const auto& p) { return p.param.kind; });

TEST(PluginDetails, DetailsThatFitAreRead) {
  test::ScopedEnv env("ROACHRUN_FIXTURE_BAD_DETAILS", "");
  const OpenedPlugin opened = open_plugin(test::fixture_plugin("bad_details"));
  EXPECT_EQ(opened.problem, "");
  ASSERT_EQ(opened.details.steps.size(), 1u);
  ASSERT_EQ(opened.details.steps[0].choices.size(), 1u);
  EXPECT_EQ(opened.details.steps[0].choices[0].values, (std::vector<std::string>{"fast", "slow"}));
}

// The scanner names the phase, so a details function that takes the scanner down is blamed, not
// the factory (the crash itself: the details_exit case of MisbehavingPlugin).
TEST(PluginDetails, TheScannerReportsTheDetailingPhase) {
  const ScannerOutput out = parse_scanner_output(phase_line(OpenPhase::loading) + phase_line(OpenPhase::describing) +
                                                 phase_line(OpenPhase::detailing));
  EXPECT_EQ(out.phase, OpenPhase::detailing);
  EXPECT_FALSE(out.report.has_value());
}

}  // namespace
}  // namespace roachrun
