// The step boundary holds whatever a plugin throws: a step that throws an int, a std::exception
// or a roachrun::Error meant for validation fails just that step (exit 1) with a message naming
// the step and the plugin; the JUnit and JSON reports are written and show it; the local server
// is stopped and its directory removed. A parameter check that throws an int makes the scenario
// invalid (exit 2) instead of ending the process.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "support/command.hpp"
#include "support/junit.hpp"
#include "support/local_server_gone.hpp"
#include "support/temp_dir.hpp"
#include "unit/fixture_plugins.hpp"

namespace roachrun::test {
namespace {

std::string throwing_plugin_dir() { return fixture_plugin("throwing_steps").parent_path().string(); }

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return nlohmann::json::parse(s.str());
}

struct Throw {
  const char* step;                  // throwing.<step>
  const char* type;                  // the error type the reports show
  std::vector<std::string> message;  // what the message must say
};

class ThrowingStep : public ::testing::TestWithParam<Throw> {};

TEST_P(ThrowingStep, FailsThatStepWritesBothReportsAndRemovesTheLocalServer) {
  const Throw& t = GetParam();
  TempDir dir;
  const std::string type = std::string("throwing.") + t.step;
  auto file = dir.write("s.yaml",
                        "scenario: throwing\n"
                        "steps:\n"
                        "  - name: Say one\n"
                        "    sql.query: SELECT 'one'\n"
                        "  - name: Break the contract\n"
                        "    " + type + ": {}\n"
                        "  - name: Never runs\n"
                        "    sql.query: SELECT 'two'\n");
  const auto xml = dir.path() / "reports/junit.xml";
  const auto json = dir.path() / "reports/report.json";
  // No --target: the local throwaway server.
  auto r = roachrun({"--plugin-dir", throwing_plugin_dir(), "run", file, "--report", "junit=" + xml.string(),
                     "--report", "json=" + json.string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("[2/3] Break the contract (" + type + "): FAILED"), std::string::npos) << r.err;
  for (const auto& part : t.message) EXPECT_NE(r.err.find(part), std::string::npos) << part << "\n" << r.err;
  EXPECT_NE(r.err.find("[3/3] Never runs (sql.query): skipped (an earlier step failed)"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("['two']"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.rfind("['one']\n", 0), 0u) << r.out;

  const JUnitReport junit = read_junit(xml.string());
  ASSERT_EQ(junit.suites.size(), 1u);
  ASSERT_EQ(junit.suites[0].cases.size(), 3u);
  EXPECT_EQ(junit.failures, 1);
  const JUnitCase& failed = junit.suites[0].cases[1];
  EXPECT_EQ(failed.name, "2. Break the contract");
  EXPECT_EQ(failed.status, "failure");
  EXPECT_EQ(failed.type, t.type);
  for (const auto& part : t.message)
    EXPECT_NE(failed.text.find(part), std::string::npos) << part << "\n" << failed.text;
  EXPECT_EQ(junit.suites[0].cases[2].status, "skipped");

  const auto j = read_json(json);
  EXPECT_EQ(j["exit_code"], 1);
  const auto& steps = j["scenarios"][0]["steps"];
  EXPECT_EQ(j["scenarios"][0]["status"], "failed");
  EXPECT_EQ(steps[0]["status"], "passed");
  EXPECT_EQ(steps[1]["status"], "failed");
  EXPECT_EQ(steps[1]["type"], type);
  EXPECT_EQ(steps[1]["error"]["type"], t.type);
  EXPECT_EQ(steps[1]["error"]["class"], t.type);
  EXPECT_TRUE(steps[1]["error"]["sqlstate"].is_null());
  for (const auto& part : t.message)
    EXPECT_NE(steps[1]["error"]["message"].get<std::string>().find(part), std::string::npos) << part;
  EXPECT_EQ(steps[2]["skip_reason"], "an earlier step failed");

  expect_local_server_gone(r.err);
}

INSTANTIATE_TEST_SUITE_P(
    StepBoundary, ThrowingStep,
    ::testing::Values(
        Throw{"int", "int",
              {"unexpected exception from plugin 'throwing' in step 2 'Break the contract' (throwing.int): int, "
               "not derived from std::exception"}},
        Throw{"out_of_range", "std::out_of_range",
              {"unexpected exception from plugin 'throwing' in step 2 'Break the contract' (throwing.out_of_range): "
               "std::out_of_range: fixture index 7 is out of range"}},
        // A roachrun::Error that means "nothing ran" (exit 2) must not claim it after step 1 ran.
        Throw{"param_error", "ParamError", {"fixture ParamError thrown while running"}}),
    [](const ::testing::TestParamInfo<Throw>& param) { return std::string(param.param.step); });

TEST(StepBoundary, PrintedOutputBeforeTheThrowIsKept) {
  TempDir dir;
  auto file = dir.write("s.yaml", "scenario: s\nsteps:\n  - throwing.int: {}\n");
  auto r = roachrun({"--plugin-dir", throwing_plugin_dir(), "run", file});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "before the throw\n");
}

TEST(StepBoundary, ParameterCheckThrowingAnIntMakesTheScenarioInvalid) {
  TempDir dir;
  auto file = dir.write("s.yaml", "scenario: s\nsteps:\n  - sql.exec: SELECT 1\n  - throwing.bad_check: {}\n");
  auto r = roachrun({"--plugin-dir", throwing_plugin_dir(), "validate", file});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("s.yaml:4:5: step 2 (throwing.bad_check): unexpected exception from plugin 'throwing' in its "
                       "parameter check: int, not derived from std::exception"),
            std::string::npos)
      << r.err;

  const auto json = dir.path() / "report.json";
  auto run = roachrun({"--plugin-dir", throwing_plugin_dir(), "run", file, "--report", "json=" + json.string()});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_EQ(read_json(json)["scenarios"][0]["status"], "invalid");
  EXPECT_EQ(run.err.find("ready on"), std::string::npos) << "nothing runs, no server starts\n" << run.err;
}

}  // namespace
}  // namespace roachrun::test
