// The scenario language beyond a straight line of steps: parallel blocks, includes and captures,
// as the loader reads them and the validator checks them -- and every bad use with the
// file:line:column of the problem and the include chain that led there.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/scenario_loader.hpp"
#include "engine/scenario_validator.hpp"
#include "engine/step_selection.hpp"
#include "fixture_plugins.hpp"
#include "support/temp_dir.hpp"

namespace roachrun {
namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
std::optional<std::string> no_env(const std::string&) { return std::nullopt; }

std::string lines(const std::vector<std::string>& ls) {
  std::string s;
  for (const auto& l : ls) s += l + "\n";
  return s;
}

class ScenarioStructure : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registry_ = new PluginRegistry;
    ASSERT_TRUE(registry_->load_library(test::fixture_plugin("fixture_steps")));
  }
  static void TearDownTestSuite() {
    delete registry_;
    registry_ = nullptr;
  }

  // Writes `files` (name -> lines) into the temporary directory; the first is the scenario.
  std::string write(const std::vector<std::pair<std::string, std::vector<std::string>>>& files) {
    for (const auto& [name, ls] : files) {
      std::filesystem::create_directories((dir.path() / name).parent_path());
      dir.write(name, lines(ls));
    }
    return (dir.path() / files.front().first).string();
  }

  ScenarioPlan plan(const std::string& path, const VarTable& sets = {}) {
    return plan_scenario(load_scenario_file(path, sets, no_env), *registry_, no_env);
  }

  // The one error of loading and planning `path`: "file:line:col: message".
  std::string error(const std::string& path) {
    try {
      plan(path);
    } catch (const ScenarioInvalid& e) {
      EXPECT_EQ(e.errors().size(), 1u) << e.what();
      return e.errors().front().what();
    } catch (const ValidationError& e) {
      return e.what();
    }
    ADD_FAILURE() << path << " planned without an error";
    return "";
  }

  std::string at(const std::string& name, int line, int col) const {
    return (dir.path() / name).string() + ":" + std::to_string(line) + ":" + std::to_string(col);
  }

  test::TempDir dir;
  static PluginRegistry* registry_;
};

PluginRegistry* ScenarioStructure::registry_ = nullptr;

// --- parallel ---------------------------------------------------------------------------------

TEST_F(ScenarioStructure, AParallelBlockNumbersItsStepsInFileOrderAndNamesBlockAndBranch) {
  const auto path = write({{"s.yaml",
                            {"scenario: p", "steps:", "  - fixture.echo: before",  // 3
                             "  - name: Both at once",                              // 4
                             "    parallel:",                                       // 5
                             "      left:",                                         // 6
                             "        - fixture.echo: l1",                          // 7
                             "        - fixture.echo: l2",                          // 8
                             "      right:",                                        // 9
                             "        - fixture.echo: r1",                          // 10
                             "  - fixture.echo: after"}}});
  const ScenarioPlan p = plan(path);
  ASSERT_EQ(p.steps.size(), 5u);
  ASSERT_EQ(p.scenario.blocks.size(), 1u);
  EXPECT_EQ(p.scenario.blocks[0].name, "Both at once");
  EXPECT_EQ(p.scenario.blocks[0].branches, (std::vector<std::string>{"left", "right"}));
  const std::vector<std::pair<int, std::string>> expected = {{0, ""}, {1, "left"}, {1, "left"}, {1, "right"}, {0, ""}};
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    EXPECT_EQ(p.steps[i].def->number, static_cast<int>(i) + 1);
    EXPECT_EQ(p.steps[i].def->block, expected[i].first);
    EXPECT_EQ(p.steps[i].def->branch, expected[i].second);
  }
  EXPECT_EQ(p.steps[3].def->where.str(), at("s.yaml", 10, 11));
}

TEST_F(ScenarioStructure, AParallelBlockInsideABranchIsRefused) {
  const auto path = write({{"s.yaml",
                            {"scenario: p", "steps:", "  - parallel:", "      a:", "        - parallel:",
                             "            x: [{fixture.echo: hi}]", "      b: [{fixture.echo: hi}]"}}});
  const std::string e = error(path);
  EXPECT_TRUE(contains(e, at("s.yaml", 6, 13))) << e;
  EXPECT_TRUE(contains(e, "a parallel block inside a parallel branch")) << e;
}

TEST_F(ScenarioStructure, ABranchMustBeAListOfSteps) {
  const auto path = write({{"s.yaml", {"scenario: p", "steps:", "  - parallel:", "      a: {fixture.echo: hi}"}}});
  const std::string e = error(path);
  EXPECT_TRUE(contains(e, at("s.yaml", 4, 10))) << e;
  EXPECT_TRUE(contains(e, "branch 'a' must be a non-empty list of steps")) << e;
}

TEST_F(ScenarioStructure, AMisspeltKeyOfAParallelBlockSuggestsTheRightOne) {
  const auto path = write({{"s.yaml", {"scenario: p", "steps:", "  - parallel: {a: [{fixture.echo: hi}]}",
                                       "    nmae: x"}}});
  const std::string e = error(path);
  EXPECT_TRUE(contains(e, at("s.yaml", 4, 5))) << e;
  EXPECT_TRUE(contains(e, "did you mean 'name'")) << e;
}

TEST_F(ScenarioStructure, SelectionByBlockAndBranchName) {
  const auto path = write({{"s.yaml",
                            {"scenario: p", "steps:", "  - fixture.echo: before", "  - name: Outage",
                             "    parallel:", "      work: [{fixture.echo: w}]", "      stop: [{fixture.echo: s1}, {fixture.echo: s2}]"}}});
  ScenarioPlan only_branch = plan(path);
  apply_selection(only_branch, StepSelection{{"Outage/stop"}, {}, ""});
  EXPECT_FALSE(only_branch.steps[0].skip_reason.empty());
  EXPECT_FALSE(only_branch.steps[1].skip_reason.empty());
  EXPECT_TRUE(only_branch.steps[2].skip_reason.empty());
  EXPECT_TRUE(only_branch.steps[3].skip_reason.empty());
  ScenarioPlan skip_block = plan(path);
  apply_selection(skip_block, StepSelection{{}, {"Outage"}, ""});
  EXPECT_TRUE(skip_block.steps[0].skip_reason.empty());
  for (std::size_t i = 1; i < 4; ++i) EXPECT_EQ(skip_block.steps[i].skip_reason, "skipped by --skip Outage");
}

// --- include ----------------------------------------------------------------------------------

TEST_F(ScenarioStructure, AnIncludedFileGivesItsStepsWithItsOwnVariables) {
  const auto path = write({{"main.yaml",
                            {"scenario: m", "vars: {n: 3}", "steps:", "  - fixture.echo: first",
                             "  - include: parts/echo.yaml",  // 5
                             "    vars: {text: \"hi ${n}\"}", "  - fixture.echo: last"}},
                           {"parts/echo.yaml",
                            {"description: two echoes", "vars: {text: default, times: 2}", "steps:",
                             "  - fixture.echo: {text: \"${text}\", times: \"${times}\"}",
                             "  - name: Echo ${text}", "    fixture.echo: again"}}});
  const ScenarioPlan p = plan(path);
  ASSERT_EQ(p.steps.size(), 4u);
  EXPECT_EQ(p.steps[1].def->number, 2);
  EXPECT_EQ(p.steps[1].params.string("text"), "hi 3");
  EXPECT_EQ(p.steps[1].params.integer("times"), 2);
  EXPECT_EQ(p.steps[2].def->name, "Echo hi 3");
  EXPECT_EQ(p.steps[1].def->file, (dir.path() / "parts/echo.yaml").string());
  ASSERT_EQ(p.steps[1].def->included_from.size(), 1u);
  EXPECT_EQ(p.steps[1].def->included_from[0].str(), at("main.yaml", 5, 14));
  EXPECT_EQ(p.steps[3].def->number, 4);
}

TEST_F(ScenarioStructure, AnErrorInAnIncludedFileNamesThatFileAndTheIncludeChain) {
  const auto path = write({{"main.yaml", {"scenario: m", "steps:", "  - include: a.yaml"}},
                           {"a.yaml", {"steps:", "  - include: b.yaml"}},
                           {"b.yaml", {"steps:", "  - fixture.echo: {txet: hi}"}}});
  const std::string e = error(path);
  EXPECT_TRUE(contains(e, at("b.yaml", 2, 20) + ": step 1 (fixture.echo): unknown parameter 'txet'")) << e;
  EXPECT_TRUE(contains(e, "(included from " + at("a.yaml", 2, 14) + ", from " + at("main.yaml", 3, 14) + ")")) << e;
}

TEST_F(ScenarioStructure, ALoadErrorInAnIncludedFileNamesTheChainToo) {
  const auto path = write({{"main.yaml", {"scenario: m", "steps:", "  - include: a.yaml"}},
                           {"a.yaml", {"steps:", "  - fixture.echo: hi", "    conection: x"}}});
  const std::string e = error(path);
  EXPECT_TRUE(contains(e, at("a.yaml", 3, 5))) << e;
  EXPECT_TRUE(contains(e, "(included from " + at("main.yaml", 3, 14) + ")")) << e;
}

TEST_F(ScenarioStructure, AnIncludeCycleIsRefusedAndNamed) {
  const auto path = write({{"main.yaml", {"scenario: m", "steps:", "  - include: a.yaml"}},
                           {"a.yaml", {"steps:", "  - include: main.yaml"}}});
  const std::string e = error(path);
  EXPECT_TRUE(contains(e, at("a.yaml", 2, 14))) << e;
  EXPECT_TRUE(contains(e, "include cycle: ")) << e;
  EXPECT_TRUE(contains(e, "main.yaml -> ")) << e;
}

TEST_F(ScenarioStructure, AMissingIncludedFileIsNamedAtTheInclude) {
  const auto path = write({{"main.yaml", {"scenario: m", "steps:", "  - include: nowhere.yaml"}}});
  const std::string e = error(path);
  EXPECT_TRUE(contains(e, at("main.yaml", 3, 14) + ": include 'nowhere.yaml': ")) << e;
}

TEST_F(ScenarioStructure, AnIncludeSettingAVariableTheFileDoesNotDeclareSuggestsOne) {
  const auto path = write({{"main.yaml", {"scenario: m", "steps:", "  - include: a.yaml", "    vars: {amout: 5}"}},
                           {"a.yaml", {"vars: {amount: 1}", "steps:", "  - fixture.echo: hi"}}});
  const std::string e = error(path);
  EXPECT_TRUE(contains(e, "sets 'amout', which")) << e;
  EXPECT_TRUE(contains(e, "did you mean 'amount'")) << e;
}

TEST_F(ScenarioStructure, AnIncludedFileWithATargetIsRefused) {
  const auto path = write({{"main.yaml", {"scenario: m", "steps:", "  - include: a.yaml"}},
                           {"a.yaml", {"target: local", "steps:", "  - fixture.echo: hi"}}});
  const std::string e = error(path);
  EXPECT_TRUE(contains(e, at("a.yaml", 1, 1) + ": 'target:' has no place in an included file")) << e;
}

TEST_F(ScenarioStructure, AnIncludeInsideABranchPutsItsStepsInThatBranch) {
  const auto path = write({{"main.yaml", {"scenario: m", "steps:", "  - parallel:", "      a:",
                                          "        - include: a.yaml", "      b: [{fixture.echo: b}]"}},
                           {"a.yaml", {"steps:", "  - fixture.echo: a1", "  - fixture.echo: a2"}}});
  const ScenarioPlan p = plan(path);
  ASSERT_EQ(p.steps.size(), 3u);
  EXPECT_EQ(p.steps[0].def->branch, "a");
  EXPECT_EQ(p.steps[1].def->branch, "a");
  EXPECT_EQ(p.steps[2].def->branch, "b");
}

// --- captures ---------------------------------------------------------------------------------

TEST_F(ScenarioStructure, AStepReadingACaptureIsDeferredAndKeepsTheReferenceUntilItRuns) {
  const auto path = write({{"s.yaml", {"scenario: c", "steps:", "  - fixture.echo: hi", "    capture: {n: value}",
                                       "  - fixture.transfer: {from: 1, to: 2, amount: \"${n}\"}"}}});
  const ScenarioPlan p = plan(path);
  ASSERT_EQ(p.steps.size(), 2u);
  EXPECT_FALSE(p.steps[0].deferred);
  EXPECT_TRUE(p.steps[1].deferred);
  EXPECT_EQ(p.steps[1].params.all()["amount"], "${n}");
  const Params at_run = params_at_run_time(p.steps[1], {{"n", "250"}}, no_env);
  EXPECT_EQ(at_run.integer("amount"), 250);
}

TEST_F(ScenarioStructure, ACapturedValueIsTypedAndCheckedWhenTheStepRuns) {
  const auto path = write({{"s.yaml", {"scenario: c", "steps:", "  - fixture.echo: hi", "    capture: n",
                                       "  - fixture.transfer: {from: 1, to: 2, amount: \"${n}\"}"}}});
  const ScenarioPlan p = plan(path);
  try {
    params_at_run_time(p.steps[1], {{"n", "a lot"}}, no_env);
    ADD_FAILURE() << "converted 'a lot' as an integer";
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.where().str(), at("s.yaml", 5, 48));
    EXPECT_TRUE(contains(e.message(), "must be a whole number, got 'a lot'")) << e.what();
  }
  try {
    params_at_run_time(p.steps[1], {{"n", "2000000"}}, no_env);
    ADD_FAILURE() << "accepted an amount above the maximum";
  } catch (const ValidationError& e) {
    EXPECT_TRUE(contains(e.message(), "at most 1000000")) << e.what();
  }
}

TEST_F(ScenarioStructure, ACaptureUsedBeforeItIsMadeIsRefused) {
  const auto path = write({{"s.yaml", {"scenario: c", "steps:", "  - fixture.echo: \"${later}\"",
                                       "  - fixture.echo: hi", "    capture: later"}}});
  const std::string e = error(path);
  EXPECT_TRUE(contains(e, at("s.yaml", 3, 19))) << e;
  EXPECT_TRUE(contains(e, "capture 'later' is made by step 2")) << e;
  EXPECT_TRUE(contains(e, "which runs after this one")) << e;
}

TEST_F(ScenarioStructure, ACaptureOfAnotherBranchIsRefusedAndAfterTheBlockItIsFine) {
  const auto bad = write({{"bad.yaml",
                           {"scenario: c", "steps:", "  - name: Block", "    parallel:",
                            "      a:", "        - fixture.echo: hi", "          capture: got",
                            "      b:", "        - fixture.echo: \"${got}\""}}});
  const std::string e = error(bad);
  EXPECT_TRUE(contains(e, at("bad.yaml", 9, 25))) << e;
  EXPECT_TRUE(contains(e, "capture 'got' is made in branch 'a' of 'Block', which runs at the same time")) << e;
  const auto good = write({{"good.yaml",
                            {"scenario: c", "steps:", "  - parallel:", "      a:", "        - fixture.echo: hi",
                             "          capture: got", "        - fixture.echo: \"${got} in a\"",
                             "      b: [{fixture.echo: b}]", "  - fixture.echo: \"${got} after\""}}});
  const ScenarioPlan p = plan(good);
  EXPECT_TRUE(p.steps[1].deferred);
  EXPECT_TRUE(p.steps[3].deferred);
}

TEST_F(ScenarioStructure, AnUnknownNameIsStillAnUndefinedVariableThatListsTheCaptures) {
  const auto path = write({{"s.yaml", {"scenario: c", "steps:", "  - fixture.echo: hi", "    capture: total",
                                       "  - fixture.echo: \"${totl}\""}}});
  const std::string e = error(path);
  EXPECT_TRUE(contains(e, "undefined variable 'totl' (did you mean 'total'?)")) << e;
}

TEST_F(ScenarioStructure, CaptureNamesAreUniqueAndNoVariable) {
  const auto twice = write({{"twice.yaml", {"scenario: c", "steps:", "  - fixture.echo: a", "    capture: x",
                                            "  - fixture.echo: b", "    capture: x"}}});
  std::string e = error(twice);
  EXPECT_TRUE(contains(e, at("twice.yaml", 6, 14))) << e;
  EXPECT_TRUE(contains(e, "capture 'x' is already made at " + at("twice.yaml", 4, 14))) << e;
  const auto var = write({{"var.yaml", {"scenario: c", "vars: {x: 1}", "steps:", "  - fixture.echo: a",
                                        "    capture: x"}}});
  e = error(var);
  EXPECT_TRUE(contains(e, "capture 'x' has the name of a variable")) << e;
  const auto bad = write({{"bad.yaml", {"scenario: c", "steps:", "  - fixture.echo: a", "    capture: [x]"}}});
  e = error(bad);
  EXPECT_TRUE(contains(e, "capture must be a name (the whole result) or a mapping")) << e;
}

}  // namespace
}  // namespace roachrun
