// engine/scenario_loader.hpp: reading a scenario file into a Scenario, and every class of bad
// file with the exact file:line:column of the problem.
#include <gtest/gtest.h>

#include <initializer_list>
#include <vector>
#include <map>
#include <string>

#include "engine/scenario_loader.hpp"
#include "support/temp_dir.hpp"

namespace roachrun {
namespace {

// The lines joined with '\n' (and a final one): line N of the file is element N-1.
std::string lines(const std::vector<std::string>& ls) {
  std::string s;
  for (const auto& l : ls) s += l + "\n";
  return s;
}

struct FakeEnv {
  std::map<std::string, std::string> values;
  EnvLookup lookup() const {
    return [this](const std::string& name) -> std::optional<std::string> {
      auto it = values.find(name);
      if (it == values.end()) return std::nullopt;
      return it->second;
    };
  }
};

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

class ScenarioLoader : public ::testing::Test {
 protected:
  Scenario load(const std::string& text, const VarTable& overrides = {}) {
    return load_scenario_text(text, "t.yaml", overrides, env.lookup());
  }

  // Loads `text` expecting a ValidationError at `where` ("t.yaml:L:C") whose message has every
  // one of `words`.
  void expect_error(const std::string& text, const std::string& where, std::initializer_list<std::string> words,
                    const VarTable& overrides = {}) {
    SCOPED_TRACE("scenario:\n" + text);
    try {
      load(text, overrides);
      ADD_FAILURE() << "loaded without an error; expected one at " << where;
    } catch (const ValidationError& e) {
      EXPECT_EQ(e.where().str(), where) << e.what();
      EXPECT_EQ(std::string(e.what()), e.where().str() + ": " + e.message());
      for (const auto& w : words) EXPECT_TRUE(contains(e.message(), w)) << "missing '" << w << "' in: " << e.what();
      last_message = e.message();
    }
  }

  FakeEnv env;
  std::string last_message;
};

// --- a valid scenario ---------------------------------------------------------------------------

TEST_F(ScenarioLoader, FullScenario) {
  env.values["APP_PASSWORD"] = "s3cret";
  const std::string text = lines({
      "scenario: Bank tutorial",                                             // 1
      "description: Transfers for ${who}",                                   // 2
      "target:",                                                             // 3
      "  url: postgresql://root@${host}:26257/defaultdb?sslmode=verify-full",  // 4
      "  secure: true",                                                      // 5
      "  certs_dir: /certs",                                                 // 6
      "  ca_key: /safe/ca.key",                                              // 7
      "connections:",                                                        // 8
      "  admin:",                                                            // 9
      "    user: root",                                                      // 10
      "  app:",                                                              // 11
      "    user: ${who}",                                                    // 12
      "    database: bank",                                                  // 13
      "    password: ${env:APP_PASSWORD}",                                   // 14
      "    sslmode: require",                                                // 15
      "    application_name: tutorial",                                      // 16
      "default_connection: app",                                             // 17
      "vars:",                                                               // 18
      "  host: db.example",                                                  // 19
      "  who: maxroach",                                                     // 20
      "  greeting: hello ${who}",                                            // 21
      "  empty:",                                                            // 22
      "retry:",                                                              // 23
      "  max_retries: 5",                                                    // 24
      "  base_backoff: 50ms",                                                // 25
      "  max_backoff: 2s",                                                   // 26
      "  seed: 42",                                                          // 27
      "steps:",                                                              // 28
      "  - fixture.echo: hello",                                             // 29
      "  - name: Create accounts as ${who}",                                 // 30
      "    connection: admin",                                               // 31
      "    fixture.transfer: {from: 1, to: 2, amount: \"${amount}\"}",       // 32
      "    retry: {max_retries: 1}",                                         // 33
      "  - fixture.nothing:",                                                // 34
  });
  Scenario s = load(text);

  EXPECT_EQ(s.file, "t.yaml");
  EXPECT_EQ(s.name, "Bank tutorial");
  EXPECT_EQ(s.description, "Transfers for maxroach");

  EXPECT_EQ(s.target.url, "postgresql://root@db.example:26257/defaultdb?sslmode=verify-full");
  EXPECT_TRUE(s.target.secure);
  EXPECT_EQ(s.target.certs_dir, "/certs");
  EXPECT_EQ(s.target.ca_key, "/safe/ca.key");
  EXPECT_EQ(s.target.where.str(), "t.yaml:4:3");

  ASSERT_EQ(s.connections.size(), 2u);
  const ConnectionDef& admin = s.connections[0];
  EXPECT_EQ(admin.name, "admin");
  EXPECT_EQ(admin.user, "root");
  EXPECT_EQ(admin.database, "defaultdb");  // the default when not given
  EXPECT_EQ(admin.password, "");
  EXPECT_TRUE(admin.libpq.empty());
  EXPECT_EQ(admin.where.str(), "t.yaml:9:3");
  const ConnectionDef& app = s.connections[1];
  EXPECT_EQ(app.name, "app");
  EXPECT_EQ(app.user, "maxroach");
  EXPECT_EQ(app.database, "bank");
  EXPECT_EQ(app.password, "s3cret");
  using Kv = std::pair<std::string, std::string>;
  EXPECT_EQ(app.libpq, (std::vector<Kv>{{"sslmode", "require"}, {"application_name", "tutorial"}}));
  EXPECT_EQ(app.where.str(), "t.yaml:11:3");
  EXPECT_EQ(s.find_connection("app"), &s.connections[1]);
  EXPECT_EQ(s.find_connection("nope"), nullptr);
  EXPECT_EQ(s.default_connection, "app");

  EXPECT_EQ(s.vars, (VarTable{{"host", "db.example"}, {"who", "maxroach"}, {"greeting", "hello maxroach"}, {"empty", ""}}));

  EXPECT_EQ(s.retry.max_retries, 5);
  EXPECT_EQ(s.retry.base_backoff, std::chrono::milliseconds(50));
  EXPECT_EQ(s.retry.max_backoff, std::chrono::milliseconds(2000));
  EXPECT_EQ(s.retry.seed, std::optional<std::uint64_t>(42));

  ASSERT_EQ(s.steps.size(), 3u);
  const StepDef& s1 = s.steps[0];
  EXPECT_EQ(s1.number, 1);
  EXPECT_EQ(s1.type, "fixture.echo");
  EXPECT_EQ(s1.name, "fixture.echo");  // no name: the step type
  EXPECT_EQ(s1.connection, "app");     // the default connection
  ASSERT_TRUE(s1.params.IsScalar());
  EXPECT_EQ(s1.params.Scalar(), "hello");
  EXPECT_FALSE(s1.retry.has_value());
  EXPECT_EQ(s1.where.str(), "t.yaml:29:5");
  EXPECT_EQ(s1.type_where.str(), "t.yaml:29:5");

  const StepDef& s2 = s.steps[1];
  EXPECT_EQ(s2.number, 2);
  EXPECT_EQ(s2.type, "fixture.transfer");
  EXPECT_EQ(s2.name, "Create accounts as maxroach");
  EXPECT_EQ(s2.connection, "admin");
  ASSERT_TRUE(s2.params.IsMap());
  EXPECT_EQ(s2.params["from"].Scalar(), "1");
  // Parameters stay YAML: variables in them are the validator's job.
  EXPECT_EQ(s2.params["amount"].Scalar(), "${amount}");
  ASSERT_TRUE(s2.retry.has_value());
  EXPECT_EQ((*s2.retry)["max_retries"].Scalar(), "1");
  EXPECT_EQ(s2.where.str(), "t.yaml:30:5");
  EXPECT_EQ(s2.type_where.str(), "t.yaml:32:5");

  const StepDef& s3 = s.steps[2];
  EXPECT_EQ(s3.number, 3);
  EXPECT_EQ(s3.type, "fixture.nothing");
  EXPECT_TRUE(s3.params.IsNull());
  EXPECT_EQ(s3.connection, "app");
}

TEST_F(ScenarioLoader, MinimalScenarioGetsDefaults) {
  Scenario s = load(lines({"scenario: minimal", "steps:", "  - fixture.nothing:"}));
  EXPECT_EQ(s.name, "minimal");
  EXPECT_EQ(s.description, "");
  EXPECT_EQ(s.target.url, "local");
  EXPECT_FALSE(s.target.secure);
  // No connections: one, as the superuser on the default database.
  ASSERT_EQ(s.connections.size(), 1u);
  EXPECT_EQ(s.connections[0].name, "default");
  EXPECT_EQ(s.connections[0].user, "root");
  EXPECT_EQ(s.connections[0].database, "defaultdb");
  EXPECT_EQ(s.default_connection, "default");
  EXPECT_TRUE(s.vars.empty());
  RetryPolicy defaults;
  EXPECT_EQ(s.retry.max_retries, defaults.max_retries);
  EXPECT_EQ(s.retry.base_backoff, defaults.base_backoff);
  EXPECT_EQ(s.retry.max_backoff, defaults.max_backoff);
  EXPECT_FALSE(s.retry.seed.has_value());
  ASSERT_EQ(s.steps.size(), 1u);
  EXPECT_EQ(s.steps[0].connection, "default");
}

TEST_F(ScenarioLoader, TargetScalarShorthand) {
  Scenario s = load(lines({"scenario: x", "vars: {port: '26257'}", "target: postgresql://root@localhost:${port}/defaultdb",
                           "steps:", "  - fixture.nothing:"}));
  EXPECT_EQ(s.target.url, "postgresql://root@localhost:26257/defaultdb");
  EXPECT_FALSE(s.target.secure);
  EXPECT_EQ(s.target.where.str(), "t.yaml:3:9");
}

TEST_F(ScenarioLoader, TargetLocalShorthand) {
  Scenario s = load(lines({"scenario: x", "target: local", "steps:", "  - fixture.nothing:"}));
  EXPECT_EQ(s.target.url, "local");
}

TEST_F(ScenarioLoader, SingleConnectionIsTheDefault) {
  Scenario s = load(lines({"scenario: x", "connections:", "  app: {user: maxroach, database: bank}", "steps:",
                           "  - fixture.nothing:"}));
  EXPECT_EQ(s.default_connection, "app");
  EXPECT_EQ(s.steps[0].connection, "app");
}

TEST_F(ScenarioLoader, FromAFile) {
  test::TempDir dir;
  std::string path = dir.write("bank.yaml", lines({"scenario: from a file", "steps:", "  - fixture.nothing:"}));
  Scenario s = load_scenario_file(path, {}, env.lookup());
  EXPECT_EQ(s.file, path);
  EXPECT_EQ(s.name, "from a file");
  EXPECT_EQ(s.steps.at(0).where.file, path);
}

TEST_F(ScenarioLoader, MissingFile) {
  test::TempDir dir;
  std::string path = (dir.path() / "missing.yaml").string();
  try {
    load_scenario_file(path, {}, env.lookup());
    FAIL() << "loaded a missing file";
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.where().str(), path);
    EXPECT_EQ(e.message(), "cannot read the scenario file: No such file or directory");
  }
}

// --- variables and overrides --------------------------------------------------------------------

TEST_F(ScenarioLoader, OverridesWinOverVars) {
  Scenario s = load(lines({"scenario: ${who} at ${region}", "vars:", "  who: file-user", "  keep: file", "  region: us",
                           "steps:", "  - fixture.nothing:"}),
                    {{"who", "cli-user"}, {"region", "eu"}});
  EXPECT_EQ(s.vars, (VarTable{{"who", "cli-user"}, {"keep", "file"}, {"region", "eu"}}));
  EXPECT_EQ(s.name, "cli-user at eu");
}

// --set amout=250 for `amount` would otherwise run the tutorial with the default amount.
TEST_F(ScenarioLoader, OverrideOfAnUndeclaredVariableIsAnErrorWithDidYouMean) {
  expect_error(lines({"scenario: x", "vars:", "  amount: 100", "  from: 1", "steps:", "  - fixture.nothing:"}),
               "t.yaml:3:3", {"--set amout=250", "declares no variable 'amout'", "(did you mean 'amount'?)",
                              "it declares: amount, from"},
               {{"amout", "250"}});
}

TEST_F(ScenarioLoader, OverrideWithoutAnyVarsSaysTheScenarioDeclaresNone) {
  expect_error(lines({"scenario: x", "steps:", "  - fixture.nothing:"}), "t.yaml:1:1",
               {"--set who=me", "declares no variables (it has no vars:)"}, {{"who", "me"}});
}

TEST_F(ScenarioLoader, OverrideWinsEvenOverAValueThatWouldNotResolve) {
  Scenario s = load(lines({"scenario: x", "vars:", "  password: ${env:UNSET_PASSWORD}", "  shape: [not, scalar]",
                           "steps:", "  - fixture.nothing:"}),
                    {{"password", "given"}, {"shape", "flat"}});
  EXPECT_EQ(s.vars.at("password"), "given");
  EXPECT_EQ(s.vars.at("shape"), "flat");
}

TEST_F(ScenarioLoader, VarsBuiltFromOthersSeeOverriddenValues) {
  // --set host=cli: a variable built from ${host} must use the overridden value, wherever the
  // variables are declared.
  Scenario s = load(lines({"scenario: x", "vars:", "  url: postgresql://${host}/${db}", "  host: file-host", "  db: x",
                           "steps:", "  - fixture.nothing:"}),
                    {{"host", "cli-host"}, {"db", "bank"}});
  EXPECT_EQ(s.vars.at("url"), "postgresql://cli-host/bank");
}

TEST_F(ScenarioLoader, VarsMayReferenceEarlierVarsAndTheEnvironment) {
  env.values["REGION"] = "us-east1";
  Scenario s = load(lines({"scenario: x", "vars:", "  a: one", "  b: ${a}-two", "  c: ${env:REGION}/${b}",
                           "  d: ${env:ZONE:-z1}", "  e: $$HOME", "steps:", "  - fixture.nothing:"}));
  EXPECT_EQ(s.vars.at("b"), "one-two");
  EXPECT_EQ(s.vars.at("c"), "us-east1/one-two");
  EXPECT_EQ(s.vars.at("d"), "z1");
  EXPECT_EQ(s.vars.at("e"), "$HOME");
}

TEST_F(ScenarioLoader, VarsMayReferToLaterVars) {
  Scenario s = load(lines({"scenario: x", "vars:", "  c: ${b}-three", "  a: one", "  b: ${a}-two", "steps:",
                           "  - fixture.nothing:"}));
  EXPECT_EQ(s.vars.at("c"), "one-two-three");
}

TEST_F(ScenarioLoader, VarsReferringToEachOtherInACycleNameTheCycle) {
  expect_error(lines({"scenario: x", "vars:", "  a: ${b}", "  b: x${c}", "  c: ${a}", "steps:", "  - fixture.nothing:"}),
               "t.yaml:3:6", {"variables refer to each other in a cycle: a -> b -> c -> a"});
  expect_error(lines({"scenario: x", "vars:", "  me: \"${me}\"", "steps:", "  - fixture.nothing:"}), "t.yaml:3:8",
               {"cycle: me -> me"});
}

TEST_F(ScenarioLoader, OverrideBreaksACycle) {
  Scenario s = load(lines({"scenario: x", "vars:", "  a: ${b}", "  b: ${a}", "steps:", "  - fixture.nothing:"}),
                    {{"b", "given"}});
  EXPECT_EQ(s.vars.at("a"), "given");
}

TEST_F(ScenarioLoader, AChainOfThousandsOfVariablesResolves) {
  std::string text = "scenario: x\nvars:\n  v0: start\n";
  for (int i = 1; i <= 20000; ++i) text += "  v" + std::to_string(i) + ": ${v" + std::to_string(i - 1) + "}\n";
  text += "steps:\n  - fixture.nothing:\n";
  EXPECT_EQ(load(text).vars.at("v20000"), "start");
}

TEST_F(ScenarioLoader, VariablesThatGrowExponentiallyStopAtTheValueLimit) {
  std::string text = "scenario: x\nvars:\n  v0: " + std::string(100, 'x') + "\n";
  for (int i = 1; i <= 9; ++i) {
    text += "  v" + std::to_string(i) + ": ";
    for (int k = 0; k < 9; ++k) text += "${v" + std::to_string(i - 1) + "}";
    text += "\n";
  }
  text += "steps:\n  - fixture.nothing:\n";
  expect_error(text, "t.yaml:8:7", {"more than 1048576 bytes longer than it is written", "limits::kMaxValueBytes"});
}

TEST_F(ScenarioLoader, UndefinedVariableInPlainScalarPointsAtTheReference) {
  // "description: Hello ${nmae}": the value starts at column 14, the '$' is 6 further.
  expect_error(lines({"scenario: x", "vars: {name: maxroach}", "description: Hello ${nmae}", "steps:",
                      "  - fixture.nothing:"}),
               "t.yaml:3:20",
               {"undefined variable 'nmae'", "(did you mean 'name'?)", "defined: name", "--set nmae=VALUE"});
}

TEST_F(ScenarioLoader, UndefinedVariableInDoubleQuotedScalarPointsAtTheReference) {
  // The quote is at column 14, the text starts at 15, the '$' is 6 further.
  expect_error(lines({"scenario: x", "vars: {name: maxroach}", "description: \"Hello ${nmae}\"", "steps:",
                      "  - fixture.nothing:"}),
               "t.yaml:3:21", {"undefined variable 'nmae'", "(did you mean 'name'?)"});
}

TEST_F(ScenarioLoader, UndefinedVariableInSingleQuotedScalarPointsAtTheReference) {
  expect_error(lines({"scenario: x", "description: 'Hi ${nope}'", "steps:", "  - fixture.nothing:"}), "t.yaml:2:18",
               {"undefined variable 'nope'", "no variables are defined"});
}

TEST_F(ScenarioLoader, UndefinedVariableInBlockScalarStaysOnTheScalar) {
  // A multi-line scalar: the reference is not on the scalar's first line, so (as variables.hpp
  // says) the location is not advanced: it is the scalar's own, its '|' at 2:14.
  expect_error(lines({"scenario: x", "description: |", "  line one", "  line ${nope}", "steps:", "  - fixture.nothing:"}),
               "t.yaml:2:14", {"undefined variable 'nope'"});
}

TEST_F(ScenarioLoader, UndefinedVariableInAStepName) {
  expect_error(lines({"scenario: x", "steps:", "  - name: run ${what}", "    fixture.nothing:"}), "t.yaml:3:15",
               {"undefined variable 'what'"});
}

TEST_F(ScenarioLoader, UnsetEnvironmentVariableIsAnError) {
  expect_error(lines({"scenario: x", "connections:", "  app:", "    user: maxroach", "    password: ${env:APP_PW}",
                      "steps:", "  - fixture.nothing:"}),
               "t.yaml:5:15", {"environment variable 'APP_PW' is not set", "${env:APP_PW:-value}"});
}

TEST_F(ScenarioLoader, EnvironmentDefaultAndDollarEscape) {
  Scenario s = load(lines({"scenario: costs $$5 on ${env:SHOP:-main street}", "steps:", "  - fixture.nothing:"}));
  EXPECT_EQ(s.name, "costs $5 on main street");
  env.values["SHOP"] = "the corner";
  EXPECT_EQ(load(lines({"scenario: ${env:SHOP:-main street}", "steps:", "  - fixture.nothing:"})).name, "the corner");
}

// --- structure ----------------------------------------------------------------------------------

TEST_F(ScenarioLoader, MalformedYaml) {
  expect_error(lines({"scenario: x", "steps:", "  - fixture.echo: {text: [a, b}"}), "t.yaml:3:31",
               {"invalid YAML", "illegal flow end"});
  expect_error(lines({"scenario: x", "steps: x: y"}), "t.yaml:2:9", {"invalid YAML", "illegal map value"});
  expect_error(lines({"scenario: x", "\tsteps: []"}), "t.yaml:2:1", {"invalid YAML", "tab"});
}

TEST_F(ScenarioLoader, TopLevelMustBeAMapping) {
  expect_error(lines({"- fixture.echo: a", "- fixture.echo: b"}), "t.yaml:1:1",
               {"a scenario must be a mapping with at least 'scenario:' and 'steps:'", "got a list"});
  expect_error(lines({"just some text"}), "t.yaml:1:1", {"must be a mapping", "got 'just some text'"});
}

TEST_F(ScenarioLoader, UnknownTopLevelKeySuggestsTheClosest) {
  expect_error(lines({"scenario: x", "step:", "  - fixture.nothing:"}), "t.yaml:2:1",
               {"unknown key 'step' at the top level of the scenario", "(did you mean 'steps'?)",
                "expected one of: scenario, description, target, connections, default_connection, vars, retry, steps"});
  expect_error(lines({"scenario: x", "steps:", "  - fixture.nothing:", "varz: {a: 1}"}), "t.yaml:4:1",
               {"unknown key 'varz'", "(did you mean 'vars'?)"});
}

TEST_F(ScenarioLoader, UnknownTopLevelKeyWithoutCloseMatch) {
  expect_error(lines({"scenario: x", "steps:", "  - fixture.nothing:", "zzzzzzzzzz: 1"}), "t.yaml:4:1",
               {"unknown key 'zzzzzzzzzz'"});
  EXPECT_FALSE(contains(last_message, "did you mean")) << last_message;
}

TEST_F(ScenarioLoader, DuplicateTopLevelKeyIsReportedAtTheSecond) {
  expect_error(lines({"scenario: x", "steps:", "  - fixture.nothing:", "scenario: y"}), "t.yaml:4:1",
               {"duplicate key 'scenario'", "first given at line 1"});
}

TEST_F(ScenarioLoader, DuplicateKeyDeepInAStep) {
  expect_error(lines({"scenario: x", "steps:", "  - fixture.nothing:", "  - fixture.echo: {text: a, text: b}"}),
               "t.yaml:4:29", {"duplicate key 'text'", "first given at line 4"});
  expect_error(lines({"scenario: x", "connections:", "  app:", "    user: a", "    database: b", "    user: c", "steps:",
                      "  - fixture.nothing:"}),
               "t.yaml:6:5", {"duplicate key 'user'", "first given at line 4"});
}

TEST_F(ScenarioLoader, MissingScenarioName) {
  expect_error(lines({"steps:", "  - fixture.nothing:"}), "t.yaml:1:1", {"missing 'scenario:'", "the scenario's name"});
}

TEST_F(ScenarioLoader, MissingSteps) {
  expect_error(lines({"scenario: x", "description: nothing to do"}), "t.yaml:1:1",
               {"missing 'steps:'", "the list of steps to run"});
}

TEST_F(ScenarioLoader, EmptyStepsList) {
  expect_error(lines({"scenario: x", "steps: []"}), "t.yaml:2:8", {"steps must be a non-empty list", "got a list"});
}

TEST_F(ScenarioLoader, StepsNotAList) {
  expect_error(lines({"scenario: x", "steps: run everything"}), "t.yaml:2:8",
               {"steps must be a non-empty list", "got 'run everything'"});
}

TEST_F(ScenarioLoader, StepsWithNoValueIsReportedAtItsKey) {
  // `steps:` with nothing after it: the error belongs on line 2, not on the next key (line 3).
  expect_error(lines({"scenario: x", "steps:", "description: d"}), "t.yaml:2:1",
               {"steps must be a non-empty list", "got nothing (null)"});
}

TEST_F(ScenarioLoader, StepNotAMapping) {
  expect_error(lines({"scenario: x", "steps:", "  - fixture.nothing:", "  - just a string"}), "t.yaml:4:5",
               {"step 2: a step must be a mapping like '- bank.transfer: {from: 1, to: 2, amount: 100}'",
                "got 'just a string'"});
  expect_error(lines({"scenario: x", "steps:", "  - [fixture.nothing]"}), "t.yaml:3:5",
               {"step 1: a step must be a mapping", "got a list"});
}

TEST_F(ScenarioLoader, StepWithoutType) {
  expect_error(lines({"scenario: x", "steps:", "  - fixture.nothing:", "  - name: lonely", "    connection: default"}),
               "t.yaml:4:5", {"step 2: no step type", "add a key like 'sql.exec:' or 'bank.transfer:'"});
}

TEST_F(ScenarioLoader, StepWithTwoTypes) {
  expect_error(lines({"scenario: x", "steps:", "  - fixture.echo: a", "    name: both", "    fixture.nothing:"}),
               "t.yaml:5:5",
               {"step 1: more than one step type ('fixture.echo' and 'fixture.nothing')", "put each in its own step"});
}

TEST_F(ScenarioLoader, UnknownStepKeySuggestsTheClosest) {
  expect_error(lines({"scenario: x", "steps:", "  - fixture.echo: a", "    nmae: first"}), "t.yaml:4:5",
               {"step 1: unknown key 'nmae'", "(did you mean 'name'?)", "one step type key like 'bank.transfer'",
                "name, connection, retry"});
  expect_error(lines({"scenario: x", "steps:", "  - conection: default", "    fixture.echo: a"}), "t.yaml:3:5",
               {"step 1: unknown key 'conection'", "(did you mean 'connection'?)"});
}

// --- connections --------------------------------------------------------------------------------

const std::vector<std::string> kTwoConnections = {
    "scenario: x",             // 1
    "connections:",            // 2
    "  admin: {user: root}",   // 3
    "  app:",                  // 4
    "    user: maxroach",      // 5
    "    database: bank",      // 6
};

TEST_F(ScenarioLoader, UnknownConnectionInAStep) {
  std::string text = lines(kTwoConnections) + lines({"default_connection: admin", "steps:", "  - fixture.nothing:",
                                                     "    connection: ap"});
  expect_error(text, "t.yaml:10:17",
               {"unknown connection 'ap'", "(did you mean 'app'?)", "defined under connections: admin, app"});
}

TEST_F(ScenarioLoader, UnknownDefaultConnection) {
  std::string text = lines(kTwoConnections) + lines({"default_connection: admn", "steps:", "  - fixture.nothing:"});
  expect_error(text, "t.yaml:7:21", {"unknown connection 'admn'", "(did you mean 'admin'?)"});
}

TEST_F(ScenarioLoader, StepWithoutConnectionWhenSeveralAndNoDefault) {
  std::string text = lines(kTwoConnections) + lines({"steps:", "  - fixture.nothing:", "    connection: app",
                                                     "  - fixture.echo: hi"});
  expect_error(text, "t.yaml:10:5",
               {"step 2: no connection", "give the step 'connection:' or the scenario 'default_connection:'",
                "(admin, app)"});
}

TEST_F(ScenarioLoader, ConnectionWithoutUser) {
  expect_error(lines({"scenario: x", "connections:", "  app:", "    database: bank", "steps:", "  - fixture.nothing:"}),
               "t.yaml:4:5", {"connection 'app' needs a user:"});
}

TEST_F(ScenarioLoader, ConnectionNotAMapping) {
  expect_error(lines({"scenario: x", "connections:", "  app: maxroach", "steps:", "  - fixture.nothing:"}),
               "t.yaml:3:8", {"connection 'app' must be a mapping like {user: maxroach, database: bank}", "got 'maxroach'"});
}

TEST_F(ScenarioLoader, ConnectionsNotAMapping) {
  expect_error(lines({"scenario: x", "connections: [app]", "steps:", "  - fixture.nothing:"}), "t.yaml:2:14",
               {"connections must be a mapping of names to {user:, database:}", "got a list"});
}

TEST_F(ScenarioLoader, UnknownConnectionKey) {
  expect_error(lines({"scenario: x", "connections:", "  app:", "    usr: maxroach", "steps:", "  - fixture.nothing:"}),
               "t.yaml:4:5", {"unknown key 'usr' in connection 'app'", "(did you mean 'user'?)", "expected one of: user"});
}

// --- target -------------------------------------------------------------------------------------

TEST_F(ScenarioLoader, TargetWithUnknownKey) {
  expect_error(lines({"scenario: x", "target:", "  ulr: local", "steps:", "  - fixture.nothing:"}), "t.yaml:3:3",
               {"unknown key 'ulr' in target", "(did you mean 'url'?)", "expected one of: url, secure, certs_dir, ca_key, nodes"});
}

TEST_F(ScenarioLoader, TargetSecureMustBeABoolean) {
  expect_error(lines({"scenario: x", "target:", "  secure: yes", "steps:", "  - fixture.nothing:"}), "t.yaml:3:11",
               {"target.secure must be true or false", "got 'yes'"});
  expect_error(lines({"scenario: x", "target:", "  secure: [true]", "steps:", "  - fixture.nothing:"}), "t.yaml:3:11",
               {"target.secure must be a string", "got a list"});
}

TEST_F(ScenarioLoader, TargetSecureFromAVariable) {
  Scenario s = load(lines({"scenario: x", "vars: {tls: 'true'}", "target:", "  secure: ${tls}", "steps:",
                           "  - fixture.nothing:"}));
  EXPECT_TRUE(s.target.secure);
}

TEST_F(ScenarioLoader, TargetUrlMustNotBeEmpty) {
  expect_error(lines({"scenario: x", "target:", "  url: ''", "steps:", "  - fixture.nothing:"}), "t.yaml:3:3",
               {"target.url must not be empty"});
}

TEST_F(ScenarioLoader, TargetOfTheWrongShape) {
  expect_error(lines({"scenario: x", "target: [local]", "steps:", "  - fixture.nothing:"}), "t.yaml:2:9",
               {"target must be 'local', a URL, or a mapping with url:", "got a list"});
}

// --- target nodes: the local formation ------------------------------------------------------------

TEST_F(ScenarioLoader, TargetWithoutNodesIsOneServer) {
  EXPECT_EQ(load(lines({"scenario: x", "target: {url: local}", "steps:", "  - fixture.nothing:"})).target.nodes, 1);
  EXPECT_EQ(load(lines({"scenario: x", "target: local", "steps:", "  - fixture.nothing:"})).target.nodes, 1);
  EXPECT_EQ(load(lines({"scenario: x", "steps:", "  - fixture.nothing:"})).target.nodes, 1);
}

TEST_F(ScenarioLoader, TargetLocalWithNodes) {
  Scenario s = load(lines({"scenario: x", "target: {url: local, nodes: 3}", "steps:", "  - fixture.nothing:"}));
  EXPECT_EQ(s.target.url, "local");
  EXPECT_EQ(s.target.nodes, 3);
  for (const char* n : {"1", "2", "9", "'5'"})
    EXPECT_EQ(load(lines({"scenario: x", std::string("target: {url: local, nodes: ") + n + "}", "steps:",
                          "  - fixture.nothing:"}))
                  .target.nodes,
              std::stoi(std::string(n).substr(n[0] == '\'' ? 1 : 0)))
        << n;
}

TEST_F(ScenarioLoader, TargetNodesFromAVariableAndItsOverride) {
  const std::string text =
      lines({"scenario: x", "vars: {nodes: 2}", "target:", "  nodes: ${nodes}", "steps:", "  - fixture.nothing:"});
  EXPECT_EQ(load(text).target.nodes, 2) << "url defaults to local";
  EXPECT_EQ(load(text, {{"nodes", "4"}}).target.nodes, 4);
}

TEST_F(ScenarioLoader, TargetNodesOutOfRangeSaysTheRange) {
  for (const char* bad : {"0", "10", "-1", "three", "2.5", "100"}) {
    expect_error(lines({"scenario: x", "target:", "  url: local", std::string("  nodes: ") + bad, "steps:",
                        "  - fixture.nothing:"}),
                 "t.yaml:4:10",
                 {"target.nodes must be a whole number from 1 to 9", "2 or more: a pg_auto_failover formation",
                  std::string("got '") + bad + "'"});
  }
  expect_error(lines({"scenario: x", "target:", "  nodes: [3]", "steps:", "  - fixture.nothing:"}), "t.yaml:3:10",
               {"target.nodes must be a whole number from 1 to 9", "got a list"});
}

TEST_F(ScenarioLoader, TargetNodesOnlyWithUrlLocal) {
  // Wherever the url comes in the mapping, the error points at nodes:.
  expect_error(lines({"scenario: x", "target:", "  nodes: 3", "  url: postgresql://root@db:26257/defaultdb", "steps:",
                      "  - fixture.nothing:"}),
               "t.yaml:3:10", {"target.nodes: only 'url: local' has nodes", "the hosts of its URL"});
  expect_error(lines({"scenario: x", "target:", "  url: postgresql://root@db:26257/defaultdb", "  nodes: 1", "steps:",
                      "  - fixture.nothing:"}),
               "t.yaml:4:10", {"only 'url: local' has nodes"});
}

TEST_F(ScenarioLoader, ConnectionMayChooseItsTargetSessionAttrs) {
  Scenario s = load(lines({"scenario: x", "target: {url: local, nodes: 2}", "connections:",
                           "  reader: {user: root, target_session_attrs: any}", "steps:", "  - fixture.nothing:"}));
  ASSERT_EQ(s.connections.size(), 1u);
  EXPECT_EQ(s.connections[0].libpq, (std::vector<std::pair<std::string, std::string>>{{"target_session_attrs", "any"}}));
}

// --- roachrun run --target over the scenario's target ----------------------------------------------

TEST(TargetOption, LocalWithANumberSetsTheNodes) {
  TargetDef scenario;
  scenario.secure = true;
  TargetDef t = with_target_option(scenario, "local:3");
  EXPECT_EQ(t.url, "local");
  EXPECT_EQ(t.nodes, 3);
  EXPECT_TRUE(t.secure) << "--target replaces where, not how";
  EXPECT_EQ(with_target_option(t, "local:1").nodes, 1) << "local:1 is the single server";
}

TEST(TargetOption, LocalAloneKeepsTheScenariosNodes) {
  TargetDef scenario;
  scenario.nodes = 3;
  EXPECT_EQ(with_target_option(scenario, "local").nodes, 3);
  EXPECT_EQ(with_target_option(scenario, "").nodes, 3);
  EXPECT_EQ(with_target_option(TargetDef{}, "local").nodes, 1);
}

TEST(TargetOption, AUrlHasNoNodesOfRoachruns) {
  TargetDef scenario;
  scenario.nodes = 3;
  TargetDef t = with_target_option(scenario, "postgresql://root@db:26257/defaultdb");
  EXPECT_EQ(t.url, "postgresql://root@db:26257/defaultdb");
  EXPECT_EQ(t.nodes, 1);
}

TEST(TargetOption, BadNumberOfNodesIsAUsageErrorSayingTheRange) {
  for (const char* bad : {"local:", "local:0", "local:10", "local:x", "local:-2", "local:3x"}) {
    try {
      with_target_option(TargetDef{}, bad);
      ADD_FAILURE() << bad << " accepted";
    } catch (const UsageError& e) {
      EXPECT_TRUE(contains(e.what(), std::string("--target ") + bad + ": the number after 'local:' must be a whole "
                                                                    "number from 1 to 9"))
          << e.what();
    }
  }
}

// --- vars ---------------------------------------------------------------------------------------

TEST_F(ScenarioLoader, VarsMustBeAMapping) {
  expect_error(lines({"scenario: x", "vars: [a, b]", "steps:", "  - fixture.nothing:"}), "t.yaml:2:7",
               {"vars must be a mapping of names to values", "got a list"});
}

TEST_F(ScenarioLoader, BadVariableName) {
  expect_error(lines({"scenario: x", "vars:", "  ok: 1", "  1abc: x", "steps:", "  - fixture.nothing:"}), "t.yaml:4:3",
               {"variable name '1abc' must be letters, digits and _, not starting with a digit"});
  expect_error(lines({"scenario: x", "vars:", "  my-var: x", "steps:", "  - fixture.nothing:"}), "t.yaml:3:3",
               {"variable name 'my-var'"});
}

TEST_F(ScenarioLoader, VariableMustBeAScalar) {
  expect_error(lines({"scenario: x", "vars:", "  a: [1, 2]", "steps:", "  - fixture.nothing:"}), "t.yaml:3:6",
               {"variable 'a' must be a scalar", "got a list"});
}

// --- retry --------------------------------------------------------------------------------------

TEST_F(ScenarioLoader, RetryFromVariables) {
  Scenario s = load(lines({"scenario: x", "vars: {n: '7', wait: 250ms}", "retry: {max_retries: '${n}', base_backoff: '${wait}'}",
                           "steps:", "  - fixture.nothing:"}));
  EXPECT_EQ(s.retry.max_retries, 7);
  EXPECT_EQ(s.retry.base_backoff, std::chrono::milliseconds(250));
}

TEST_F(ScenarioLoader, RetryMaxRetriesNotANumber) {
  expect_error(lines({"scenario: x", "retry:", "  max_retries: lots", "steps:", "  - fixture.nothing:"}), "t.yaml:3:16",
               {"retry.max_retries must be a whole number >= 0", "got 'lots'"});
  expect_error(lines({"scenario: x", "retry:", "  max_retries: 2.5", "steps:", "  - fixture.nothing:"}), "t.yaml:3:16",
               {"retry.max_retries must be a whole number >= 0", "got '2.5'"});
}

TEST_F(ScenarioLoader, RetryMaxRetriesNegative) {
  expect_error(lines({"scenario: x", "retry:", "  max_retries: -1", "steps:", "  - fixture.nothing:"}), "t.yaml:3:16",
               {"retry.max_retries must be a whole number >= 0", "got '-1'"});
}

TEST_F(ScenarioLoader, RetrySeedNegative) {
  expect_error(lines({"scenario: x", "retry: {seed: -3}", "steps:", "  - fixture.nothing:"}), "t.yaml:2:15",
               {"retry.seed must be a whole number >= 0", "got '-3'"});
}

TEST_F(ScenarioLoader, RetryBadDurations) {
  expect_error(lines({"scenario: x", "retry:", "  base_backoff: fast", "steps:", "  - fixture.nothing:"}), "t.yaml:3:17",
               {"retry.base_backoff must be a duration like 100ms, 1.5s or 2m", "got 'fast'"});
  expect_error(lines({"scenario: x", "retry:", "  max_backoff: -5s", "steps:", "  - fixture.nothing:"}), "t.yaml:3:16",
               {"retry.max_backoff must be a duration", "got '-5s'"});
  expect_error(lines({"scenario: x", "retry:", "  max_backoff: [1s]", "steps:", "  - fixture.nothing:"}), "t.yaml:3:16",
               {"retry.max_backoff must be a scalar", "got a list"});
}

TEST_F(ScenarioLoader, RetryUnknownKey) {
  expect_error(lines({"scenario: x", "retry:", "  mex_retries: 3", "steps:", "  - fixture.nothing:"}), "t.yaml:3:3",
               {"unknown key 'mex_retries' in retry", "(did you mean 'max_retries'?)",
                "expected max_retries, base_backoff, max_backoff, budget, reconnect_budget, seed, protocol or isolation"});
}

TEST_F(ScenarioLoader, RetryProtocolIsolationBudget) {
  Scenario s = load(lines({"scenario: x", "vars: {level: read_committed}",
                           "retry: {protocol: savepoint, isolation: '${level}', budget: 1.5s, reconnect_budget: 2s}",
                           "steps:", "  - fixture.nothing:"}));
  EXPECT_EQ(s.retry.reconnect_budget, std::chrono::milliseconds(2000));
  EXPECT_EQ(RetryPolicy{}.reconnect_budget, std::chrono::milliseconds(15'000)) << "rides through a restart";
  EXPECT_EQ(s.retry.protocol, RetryProtocol::savepoint);
  EXPECT_EQ(s.retry.isolation, Isolation::read_committed);
  EXPECT_EQ(s.retry.budget, std::optional<std::chrono::milliseconds>(1500));
  EXPECT_EQ(s.retry.max_retries, 3);  // untouched keys keep their defaults

  const std::pair<const char*, Isolation> isolations[] = {{"serializable", Isolation::serializable},
                                                          {"repeatable_read", Isolation::repeatable_read},
                                                          {"read_committed", Isolation::read_committed},
                                                          {"server_default", Isolation::server_default}};
  for (const auto& [text, isolation] : isolations) {
    Scenario t = load(lines({"scenario: x", std::string("retry: {isolation: ") + text + ", protocol: rollback}", "steps:",
                             "  - fixture.nothing:"}));
    EXPECT_EQ(t.retry.isolation, isolation) << text;
    EXPECT_EQ(t.retry.protocol, RetryProtocol::rollback);
  }
}

TEST_F(ScenarioLoader, RetryBadProtocolIsolationBudget) {
  expect_error(lines({"scenario: x", "retry:", "  protocol: savepoints", "steps:", "  - fixture.nothing:"}), "t.yaml:3:13",
               {"retry.protocol must be rollback or savepoint, got 'savepoints'", "(did you mean 'savepoint'?)"});
  expect_error(lines({"scenario: x", "retry: {isolation: serialisable}", "steps:", "  - fixture.nothing:"}), "t.yaml:2:20",
               {"retry.isolation must be serializable, repeatable_read, read_committed or server_default",
                "got 'serialisable'", "(did you mean 'serializable'?)"});
  expect_error(lines({"scenario: x", "retry:", "  budget: soon", "steps:", "  - fixture.nothing:"}), "t.yaml:3:11",
               {"retry.budget must be a duration like 100ms, 1.5s or 2m", "got 'soon'"});
  expect_error(lines({"scenario: x", "retry:", "  reconnect_budget: forever", "steps:", "  - fixture.nothing:"}),
               "t.yaml:3:21", {"retry.reconnect_budget must be a duration like 100ms, 1.5s or 2m", "got 'forever'"});
  expect_error(lines({"scenario: x", "retry:", "  isolation: [serializable]", "steps:", "  - fixture.nothing:"}),
               "t.yaml:3:14", {"retry.isolation must be a scalar", "got a list"});
}

TEST_F(ScenarioLoader, RetryNotAMapping) {
  expect_error(lines({"scenario: x", "retry: 3", "steps:", "  - fixture.nothing:"}), "t.yaml:2:8",
               {"retry must be a mapping like {max_retries: 3}", "got '3'"});
}

}  // namespace
}  // namespace roachrun
