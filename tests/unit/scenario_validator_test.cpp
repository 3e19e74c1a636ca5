// engine/scenario_validator.hpp: checking a loaded scenario against the plugins' declarations,
// with the `fixture` plugin of tests/fixtures/plugins/fixture_steps.cpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/scenario_loader.hpp"
#include "engine/scenario_validator.hpp"
#include "fixture_plugins.hpp"
#include "support/temp_dir.hpp"

namespace roachrun {
namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::optional<std::string> no_env(const std::string&) { return std::nullopt; }

// Lines 1-5 of every scenario here; steps start on line 6.
const std::string kHeader =
    "scenario: validator test\n"  // 1
    "vars:\n"                     // 2
    "  amount: \"100\"\n"         // 3
    "  word: abc\n"               // 4
    "steps:\n";                   // 5

std::string steps(const std::vector<std::string>& ls) {
  std::string s = kHeader;
  for (const auto& l : ls) s += l + "\n";
  return s;
}

class Validator : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registry_ = new PluginRegistry;
    ASSERT_TRUE(registry_->load_library(test::fixture_plugin("fixture_steps")))
        << (registry_->problems().empty() ? "" : registry_->problems().front().reason);
  }
  static void TearDownTestSuite() {
    delete registry_;
    registry_ = nullptr;
  }

  static ScenarioPlan plan(const std::string& text, const PluginRegistry& registry = *registry_) {
    return plan_scenario(load_scenario_text(text, "v.yaml", {}, no_env), registry, no_env);
  }

  // The errors of planning `text`; fails the test if it plans without error.
  static std::vector<ValidationError> errors(const std::string& text, const PluginRegistry& registry = *registry_) {
    try {
      plan(text, registry);
      ADD_FAILURE() << "planned without errors:\n" << text;
    } catch (const ScenarioInvalid& e) {
      EXPECT_EQ(e.kind(), ErrorKind::validation);
      return e.errors();
    }
    return {};
  }

  // Expects exactly one error, at `where`, whose message has every one of `words`.
  static void expect_error(const std::string& text, const std::string& where, const std::vector<std::string>& words) {
    SCOPED_TRACE("scenario:\n" + text);
    auto errs = errors(text);
    ASSERT_EQ(errs.size(), 1u);
    EXPECT_EQ(errs[0].where().str(), where) << errs[0].what();
    for (const auto& w : words)
      EXPECT_TRUE(contains(errs[0].message(), w)) << "missing '" << w << "' in: " << errs[0].what();
  }

  // The converted parameters of the only step of `text`.
  static Value params(const std::string& text) {
    ScenarioPlan p = plan(text);
    EXPECT_EQ(p.steps.size(), 1u);
    return p.steps.empty() ? Value() : p.steps[0].params.all();
  }

  static PluginRegistry* registry_;
};

PluginRegistry* Validator::registry_ = nullptr;

// --- step types ---------------------------------------------------------------------------------

TEST_F(Validator, UnknownStepTypeSuggestsTheClosest) {
  auto errs = errors(steps({"  - fixture.nothing:", "  - fixture.ech: hi"}));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_STREQ(errs[0].what(), "v.yaml:7:5: step 2: unknown step type 'fixture.ech' (did you mean 'fixture.echo'?)");
}

TEST_F(Validator, UnknownStepTypeWithoutCloseMatch) {
  auto errs = errors(steps({"  - other.thing: hi"}));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_STREQ(errs[0].what(), "v.yaml:6:5: step 1: unknown step type 'other.thing'");
}

TEST_F(Validator, UnknownStepTypeOfAPluginThatFailedToLoadSaysWhy) {
  PluginRegistry registry;
  ASSERT_TRUE(registry.load_library(test::fixture_plugin("fixture_steps")));
  auto broken = test::fixture_plugin("throwing_factory");
  ASSERT_FALSE(registry.load_library(broken));
  auto errs = errors(steps({"  - throwing_factory.go: now"}), registry);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].where().str(), "v.yaml:6:5");
  EXPECT_EQ(errs[0].message(), "step 1: unknown step type 'throwing_factory.go'; plugin library " + broken.string() +
                                   " did not load: its factory threw: fixture factory failure");
}

TEST_F(Validator, TypoInALoadedPluginDoesNotBlameASkippedDuplicate) {
  // The fixture plugin is loaded from `first`; the copy in `second` is skipped as a duplicate
  // (recorded as a problem). A typo in a fixture step type is just a typo: the plugin did load,
  // so the message must not say that its library "did not load".
  test::TempDir tmp;
  for (const char* dir : {"first", "second"}) {
    std::filesystem::create_directories(tmp.path() / dir);
    std::filesystem::copy_file(test::fixture_plugin("fixture_steps"), tmp.path() / dir / "libfixture_steps.so");
  }
  PluginRegistry registry;
  registry.load_directory(tmp.path() / "first");
  registry.load_directory(tmp.path() / "second");
  ASSERT_EQ(registry.plugins().size(), 1u);
  ASSERT_EQ(registry.problems().size(), 1u);
  auto errs = errors(steps({"  - fixture.ech: hi"}), registry);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_STREQ(errs[0].what(), "v.yaml:6:5: step 1: unknown step type 'fixture.ech' (did you mean 'fixture.echo'?)");
}

TEST_F(Validator, UnknownStepTypeWithNoPluginsAtAll) {
  PluginRegistry empty;
  auto errs = errors(steps({"  - fixture.echo: hi"}), empty);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].message(),
            "step 1: unknown step type 'fixture.echo'; no plugins were found (see `roachrun plugins`, --plugin-dir)");
}

TEST_F(Validator, PlanPointsAtTheRegisteredStepAndItsDefinition) {
  ScenarioPlan p = plan(steps({"  - fixture.echo: hi", "  - name: second", "    fixture.nothing:"}));
  ASSERT_EQ(p.steps.size(), 2u);
  EXPECT_EQ(p.steps[0].def, &p.scenario.steps[0]);
  EXPECT_EQ(p.steps[1].def, &p.scenario.steps[1]);
  EXPECT_EQ(p.steps[0].step, registry_->find("fixture.echo"));
  EXPECT_EQ(p.steps[1].step->full_name, "fixture.nothing");
  EXPECT_EQ(p.steps[1].def->name, "second");
  EXPECT_EQ(p.steps[1].params.all(), Value::object());
}

// --- parameters ---------------------------------------------------------------------------------

TEST_F(Validator, UnknownParameterSuggestsTheClosestAndIsLocatedAtTheKey) {
  expect_error(steps({"  - fixture.echo:", "      text: hi", "      tmes: 2"}), "v.yaml:8:7",
               {"step 1 (fixture.echo): unknown parameter 'tmes' (did you mean 'times'?); it takes: text, times"});
}

TEST_F(Validator, UnknownParameterOfAStepWithoutParameters) {
  expect_error(steps({"  - fixture.nothing: {verbose: true}"}), "v.yaml:6:23",
               {"step 1 (fixture.nothing): unknown parameter 'verbose'; it takes no parameters"});
}

TEST_F(Validator, MissingRequiredParameterIsLocatedAtTheStepType) {
  expect_error(steps({"  - name: first", "    fixture.echo:", "      times: 2"}), "v.yaml:7:5",
               {"step 1 (fixture.echo): missing required parameter 'text' (what to print)"});
  expect_error(steps({"  - fixture.transfer: {from: 1, amount: 5}"}), "v.yaml:6:5",
               {"step 1 (fixture.transfer): missing required parameter 'to'"});
}

TEST_F(Validator, ParametersMustBeAMapping) {
  expect_error(steps({"  - fixture.echo: [a, b]"}), "v.yaml:6:19",
               {"step 1 (fixture.echo): parameters must be a mapping like {name: value}", "got a list"});
}

TEST_F(Validator, ScalarShorthandOnAStepWithoutParametersIsAnError) {
  expect_error(steps({"  - fixture.nothing: now"}), "v.yaml:6:22",
               {"step 1 (fixture.nothing): parameters must be a mapping like {name: value}", "got 'now'"});
}

TEST_F(Validator, ScalarShorthandSetsTheFirstParameter) {
  EXPECT_EQ(params(steps({"  - fixture.echo: hello world"})), (Value{{"text", "hello world"}, {"times", 1}}));
}

TEST_F(Validator, ScalarShorthandIsTypedAsTheFirstParameter) {
  // fixture.echo's first parameter is a string: a number given as shorthand is text.
  EXPECT_EQ(params(steps({"  - fixture.echo: 42"})).at("text"), Value("42"));
}

// One `fixture.types` step with a single parameter line (line 7), expected to fail at 7:column.
struct BadParam {
  std::string line;
  int column;
  std::string message;
};

TEST_F(Validator, WrongTypeForEachParamTypeIsLocatedAtTheValue) {
  const std::vector<BadParam> cases = {
      {"s: [a, b]", 10, "parameter 's' must be string, got a list"},
      {"s: {k: v}", 10, "parameter 's' must be string, got a mapping"},
      {"s: ~", 10, "parameter 's' must be string, got nothing (null)"},
      {"i: abc", 10, "parameter 'i' must be a whole number, got 'abc'"},
      {"i: 1.5", 10, "parameter 'i' must be a whole number, got '1.5'"},
      {"i: 99999999999999999999", 10, "parameter 'i' must be a whole number, got '99999999999999999999'"},
      {"i: [1]", 10, "parameter 'i' must be integer, got a list"},
      {"i: \"${word}\"", 10, "parameter 'i' must be a whole number, got 'abc'"},
      {"b: yes", 10, "parameter 'b' must be true or false, got 'yes'"},
      {"b: on", 10, "parameter 'b' must be true or false, got 'on'"},
      {"b: no", 10, "parameter 'b' must be true or false, got 'no'"},
      {"b: 1", 10, "parameter 'b' must be true or false, got '1'"},
      {"b: [true]", 10, "parameter 'b' must be boolean, got a list"},
      {"d: soon", 10, "parameter 'd' must be a duration like 250ms, 1.5s, 2m or 1h, got 'soon'"},
      {"d: -1s", 10, "parameter 'd' must be a duration like 250ms, 1.5s, 2m or 1h, got '-1s'"},
      {"d: {a: 1}", 10, "parameter 'd' must be duration, got a mapping"},
      {"l: {a: 1}", 10, "parameter 'l' must be a string or a list of strings, got a mapping"},
      {"l: [a, [b]]", 14, "parameter 'l': each item must be a string, got a list"},
      {"r: 5", 10, "parameter 'r' must be a list of rows like [[1, 1000], [2, 250]], got '5'"},
      {"r: [[1, 2], 3]", 19, "parameter 'r': each row must be a list like [1, 1000], got '3'"},
      {"r: [[1, [2]]]", 15, "parameter 'r': each cell must be a scalar, got a list"},
      {"m: [1, 2]", 10, "parameter 'm' must be a mapping like {1: 900, 2: 350}, got a list"},
      {"m: {1: [2]}", 14, "parameter 'm': each value must be a scalar, got a list"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    auto errs = errors(steps({"  - fixture.types:", "      " + c.line}));
    ASSERT_EQ(errs.size(), 1u);
    EXPECT_EQ(errs[0].where().str(), "v.yaml:7:" + std::to_string(c.column)) << errs[0].what();
    EXPECT_EQ(errs[0].message(), "step 1 (fixture.types): " + c.message);
  }
}

TEST_F(Validator, ParameterWithNoValueIsReportedAtItsKey) {
  // `text:` with nothing after it: the error belongs on line 7, not on the next key (line 8).
  expect_error(steps({"  - fixture.echo:", "      text:", "      times: 2"}), "v.yaml:7:7",
               {"parameter 'text' must be string, got nothing (null)"});
}

TEST_F(Validator, IntegerFromAVariable) {
  Value v = params(steps({"  - fixture.transfer: {from: 1, to: 2, amount: \"${amount}\"}"}));
  EXPECT_EQ(v, (Value{{"from", 1}, {"to", 2}, {"amount", 100}}));
  EXPECT_TRUE(v.at("amount").is_number_integer());
  v = params(steps({"  - fixture.transfer:", "      from: 1", "      to: 2", "      amount: ${amount}"}));
  EXPECT_EQ(v.at("amount"), 100);
}

TEST_F(Validator, IntegerFromANonNumericVariableIsRejected) {
  expect_error(steps({"  - fixture.transfer: {from: 1, to: 2, amount: \"${word}\"}"}), "v.yaml:6:48",
               {"step 1 (fixture.transfer): parameter 'amount' must be a whole number, got 'abc'"});
}

TEST_F(Validator, UndefinedVariableInAParameterPointsAtTheReference) {
  // The quote is at column 48, the text at 49, the '$' at 49 + 2.
  expect_error(steps({"  - fixture.transfer: {from: 1, to: 2, amount: \"x ${amont}\"}"}), "v.yaml:6:51",
               {"undefined variable 'amont' (did you mean 'amount'?)"});
  expect_error(steps({"  - fixture.echo:", "      text: say ${wrod}"}), "v.yaml:7:17",
               {"undefined variable 'wrod' (did you mean 'word'?)"});
}

TEST_F(Validator, IntegerBounds) {
  expect_error(steps({"  - fixture.types: {i: -6}"}), "v.yaml:6:24",
               {"step 1 (fixture.types): parameter 'i' must be at least -5, got -6"});
  expect_error(steps({"  - fixture.types: {i: 101}"}), "v.yaml:6:24",
               {"step 1 (fixture.types): parameter 'i' must be at most 100, got 101"});
  expect_error(steps({"  - fixture.transfer: {from: 1, to: 2, amount: 0}"}), "v.yaml:6:48",
               {"parameter 'amount' must be at least 1, got 0"});
  EXPECT_EQ(params(steps({"  - fixture.types: {i: -5}"})).at("i"), -5);
  EXPECT_EQ(params(steps({"  - fixture.types: {i: 100}"})).at("i"), 100);
  EXPECT_EQ(params(steps({"  - fixture.types: {i: +42}"})).at("i"), 42);
}

TEST_F(Validator, BooleanAcceptsOnlyTrueAndFalse) {
  EXPECT_EQ(params(steps({"  - fixture.types: {b: true}"})).at("b"), true);
  EXPECT_EQ(params(steps({"  - fixture.types: {b: True}"})).at("b"), true);
  EXPECT_EQ(params(steps({"  - fixture.types: {b: FALSE}"})).at("b"), false);
  EXPECT_EQ(params(steps({"  - fixture.types: {b: \"false\"}"})).at("b"), false);
}

TEST_F(Validator, DurationIsReadAsMilliseconds) {
  EXPECT_EQ(params(steps({"  - fixture.types: {d: 250ms}"})).at("d"), 250);
  EXPECT_EQ(params(steps({"  - fixture.types: {d: 1.5s}"})).at("d"), 1500);
  EXPECT_EQ(params(steps({"  - fixture.types: {d: 2m}"})).at("d"), 120000);
  EXPECT_EQ(params(steps({"  - fixture.types: {d: 2}"})).at("d"), 2000);
  ScenarioPlan p = plan(steps({"  - fixture.types: {d: 1h}"}));
  EXPECT_EQ(p.steps.at(0).params.duration("d"), std::chrono::hours(1));
}

TEST_F(Validator, StringListShorthandAndList) {
  EXPECT_EQ(params(steps({"  - fixture.types: {l: one}"})).at("l"), Value::array({"one"}));
  Value l = params(steps({"  - fixture.types: {l: [a, 2, \"${word}\"]}"})).at("l");
  EXPECT_EQ(l, Value::array({"a", "2", "abc"}));
  ScenarioPlan p = plan(steps({"  - fixture.types: {l: solo}"}));
  EXPECT_EQ(p.steps.at(0).params.strings("l"), std::vector<std::string>{"solo"});
}

TEST_F(Validator, RowsShape) {
  Value r = params(steps({"  - fixture.types:", "      r:", "        - [1, 1000]", "        - [2, \"250\"]",
                          "        - [x, ~]", "        - - \"${amount}\"", "          - ${amount}"}))
                .at("r");
  EXPECT_EQ(r, Value::parse(R"([[1, 1000], [2, "250"], ["x", null], ["100", 100]])"));
}

TEST_F(Validator, MapShapeKeepsFileOrder) {
  Value m = params(steps({"  - fixture.types: {m: {2: 350, 1: 900, name: \"${word}\"}}"})).at("m");
  EXPECT_EQ(m.dump(), R"({"2":350,"1":900,"name":"abc"})");
}

TEST_F(Validator, AnyIsPassedThroughAsData) {
  Value a = params(steps({"  - fixture.types:", "      a:", "        k: [1, \"2\", true, x, ~]", "        n:",
                          "          deep: ${amount}"}))
                .at("a");
  EXPECT_EQ(a.dump(), R"({"k":[1,"2",true,"x",null],"n":{"deep":100}})");
}

TEST_F(Validator, DefaultsAreFilledIn) {
  ScenarioPlan p = plan(steps({"  - fixture.types:"}));
  ASSERT_EQ(p.steps.size(), 1u);
  const Params& params = p.steps[0].params;
  EXPECT_EQ(params.all().dump(),
            R"({"s":"dflt","i":7,"b":false,"d":1500,"l":[],"r":null,"m":null,"a":null})");
  EXPECT_EQ(params.string("s"), "dflt");
  EXPECT_EQ(params.integer("i"), 7);
  EXPECT_FALSE(params.boolean("b"));
  EXPECT_EQ(params.duration("d"), std::chrono::milliseconds(1500));
  EXPECT_TRUE(params.strings("l").empty());
  EXPECT_TRUE(params.has("s"));
  EXPECT_FALSE(params.has("r"));  // no default: absent
  EXPECT_FALSE(params.has("undeclared"));
}

TEST_F(Validator, TextDefaultsAreConvertedLikeWrittenValues) {
  ScenarioPlan p = plan(steps({"  - fixture.defaults:"}));
  ASSERT_EQ(p.steps.size(), 1u);
  EXPECT_EQ(p.steps[0].params.all().dump(), R"({"d":2000,"i":5,"l":["ALL"],"s":"text"})");
  EXPECT_EQ(p.steps[0].params.duration("d"), std::chrono::seconds(2));
  EXPECT_EQ(p.steps[0].params.integer("i"), 5);
}

TEST_F(Validator, InvalidDefaultIsAPluginError) {
  try {
    plan(steps({"  - fixture.bad_default:"}));
    FAIL() << "planned a step whose default is invalid";
  } catch (const PluginError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::plugin);
    EXPECT_STREQ(e.what(), "the default of parameter 'wait' ('soon') is not a valid duration: fix the plugin");
  }
}

TEST_F(Validator, GivenValuesReplaceDefaults) {
  Value v = params(steps({"  - fixture.types: {s: given, i: 3, b: true}"}));
  EXPECT_EQ(v.at("s"), "given");
  EXPECT_EQ(v.at("i"), 3);
  EXPECT_EQ(v.at("b"), true);
  EXPECT_EQ(v.at("d"), 1500);
}

TEST_F(Validator, ParamErrorFromCheckIsLocatedAtThatParameter) {
  expect_error(steps({"  - fixture.transfer:", "      from: 3", "      to: 3", "      amount: 10"}), "v.yaml:8:11",
               {"step 1 (fixture.transfer): 'to' must differ from 'from' (both are 3)"});
  expect_error(steps({"  - fixture.transfer: {from: 3, to: 3, amount: 10}"}), "v.yaml:6:37",
               {"step 1 (fixture.transfer): 'to' must differ from 'from' (both are 3)"});
}

TEST_F(Validator, CheckRunsOnConvertedValues) {
  // "3" from a variable and 3 written out are the same account.
  std::string text = "scenario: x\nvars: {acct: '3'}\nsteps:\n  - fixture.transfer: {from: 3, to: \"${acct}\", amount: 1}\n";
  try {
    plan_scenario(load_scenario_text(text, "c.yaml", {}, no_env), *registry_, no_env);
    FAIL() << "planned";
  } catch (const ScenarioInvalid& e) {
    ASSERT_EQ(e.errors().size(), 1u);
    EXPECT_EQ(e.errors()[0].where().str(), "c.yaml:4:37");
    EXPECT_TRUE(contains(e.errors()[0].message(), "'to' must differ from 'from'")) << e.what();
  }
}

TEST_F(Validator, EveryErrorOfTheFileIsReported) {
  auto text = steps({
      "  - fixture.ech: hi",                             // 6: unknown step type
      "  - fixture.echo: {text: hi, tmes: 2}",           // 7: unknown parameter
      "  - fixture.nothing:",                            // 8: fine
      "  - fixture.types: {b: yes}",                     // 9: wrong type
      "  - fixture.transfer: {from: 1, to: 1, amount: 5}",  // 10: check fails
      "  - fixture.echo: {times: 2}",                    // 11: missing required
  });
  std::vector<ValidationError> errs = errors(text);
  ASSERT_EQ(errs.size(), 5u);
  EXPECT_EQ(errs[0].where().str(), "v.yaml:6:5");
  EXPECT_TRUE(contains(errs[0].message(), "step 1: unknown step type 'fixture.ech'")) << errs[0].what();
  EXPECT_EQ(errs[1].where().str(), "v.yaml:7:30");
  EXPECT_TRUE(contains(errs[1].message(), "step 2 (fixture.echo): unknown parameter 'tmes'")) << errs[1].what();
  EXPECT_EQ(errs[2].where().str(), "v.yaml:9:24");
  EXPECT_TRUE(contains(errs[2].message(), "step 4 (fixture.types): parameter 'b' must be true or false")) << errs[2].what();
  EXPECT_EQ(errs[3].where().str(), "v.yaml:10:37");
  EXPECT_TRUE(contains(errs[3].message(), "step 5 (fixture.transfer): 'to' must differ")) << errs[3].what();
  EXPECT_EQ(errs[4].where().str(), "v.yaml:11:5");
  EXPECT_TRUE(contains(errs[4].message(), "step 6 (fixture.echo): missing required parameter 'text'")) << errs[4].what();

  try {
    plan(text);
  } catch (const ScenarioInvalid& e) {
    std::string expected;
    for (const auto& err : errs) expected += (expected.empty() ? "" : "\n") + std::string(err.what());
    EXPECT_EQ(std::string(e.what()), expected);
  }
}

// --- retry --------------------------------------------------------------------------------------

TEST_F(Validator, StepRetryMergesOverScenarioRetry) {
  std::string text =
      "scenario: x\n"
      "retry: {max_retries: 5, base_backoff: 50ms, seed: 9}\n"
      "steps:\n"
      "  - fixture.nothing:\n"
      "  - fixture.nothing:\n"
      "    retry: {max_retries: 1, max_backoff: 3s}\n";
  ScenarioPlan p = plan_scenario(load_scenario_text(text, "r.yaml", {}, no_env), *registry_, no_env);
  ASSERT_EQ(p.steps.size(), 2u);
  const RetryPolicy& first = p.steps[0].retry;  // the scenario's
  EXPECT_EQ(first.max_retries, 5);
  EXPECT_EQ(first.base_backoff, std::chrono::milliseconds(50));
  EXPECT_EQ(first.max_backoff, std::chrono::milliseconds(10'000));
  EXPECT_EQ(first.seed, std::optional<std::uint64_t>(9));
  const RetryPolicy& second = p.steps[1].retry;  // the step's keys over the scenario's
  EXPECT_EQ(second.max_retries, 1);
  EXPECT_EQ(second.base_backoff, std::chrono::milliseconds(50));
  EXPECT_EQ(second.max_backoff, std::chrono::milliseconds(3000));
  EXPECT_EQ(second.seed, std::optional<std::uint64_t>(9));
}

TEST_F(Validator, StepRetryOverridesProtocolIsolationAndBudget) {
  std::string text =
      "scenario: x\n"
      "retry: {protocol: savepoint, isolation: repeatable_read, budget: 10s}\n"
      "steps:\n"
      "  - fixture.nothing:\n"
      "  - fixture.nothing:\n"
      "    retry: {isolation: server_default, budget: 250ms, protocol: rollback}\n";
  ScenarioPlan p = plan_scenario(load_scenario_text(text, "r.yaml", {}, no_env), *registry_, no_env);
  ASSERT_EQ(p.steps.size(), 2u);
  EXPECT_EQ(p.steps[0].retry.protocol, RetryProtocol::savepoint);
  EXPECT_EQ(p.steps[0].retry.isolation, Isolation::repeatable_read);
  EXPECT_EQ(p.steps[0].retry.budget, std::optional<std::chrono::milliseconds>(10'000));
  EXPECT_EQ(p.steps[1].retry.protocol, RetryProtocol::rollback);
  EXPECT_EQ(p.steps[1].retry.isolation, Isolation::server_default);
  EXPECT_EQ(p.steps[1].retry.budget, std::optional<std::chrono::milliseconds>(250));
}

TEST_F(Validator, StepRetryErrorsAreLocated) {
  expect_error(steps({"  - fixture.nothing:", "    retry: {max_retries: -1}"}), "v.yaml:7:26",
               {"retry.max_retries must be a whole number >= 0, got '-1'"});
  expect_error(steps({"  - fixture.nothing:", "    retry: {base_backof: 1s}"}), "v.yaml:7:13",
               {"unknown key 'base_backof' in retry (did you mean 'base_backoff'?)"});
  expect_error(steps({"  - fixture.nothing:", "    retry: {protocol: restart}"}), "v.yaml:7:23",
               {"retry.protocol must be rollback or savepoint, got 'restart'"});
  expect_error(steps({"  - fixture.nothing:", "    retry: {isolation: snapshot}"}), "v.yaml:7:24",
               {"retry.isolation must be serializable, repeatable_read, read_committed or server_default, got "
                "'snapshot'"});
  expect_error(steps({"  - fixture.nothing:", "    retry: {budget: 5 minutes}"}), "v.yaml:7:21",
               {"retry.budget must be a duration"});
  expect_error(steps({"  - fixture.nothing:", "    retry: always"}), "v.yaml:7:12",
               {"retry must be a mapping like {max_retries: 3}, got 'always'"});
}

// --- convert_params directly --------------------------------------------------------------------

TEST_F(Validator, ConvertParamsDirectly) {
  Scenario s = load_scenario_text(steps({"  - fixture.echo: {text: \"${word}!\", times: 3}"}), "d.yaml", {}, no_env);
  auto echo = registry_->find("fixture.echo");
  ASSERT_NE(echo, nullptr);
  Value v = convert_params(s.steps.at(0), echo->type, s.vars, s.file, no_env);
  EXPECT_EQ(v, (Value{{"text", "abc!"}, {"times", 3}}));
}

}  // namespace
}  // namespace roachrun
