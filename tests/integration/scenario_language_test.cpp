// The scenario language on a real server: parallel blocks (their branches at the same time, a
// failing branch stopping the others, Ctrl-C, output, reports, --dry-run) and captures (a query's
// value read by a later step).
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/eventually.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

namespace roachrun::test {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

class ScenarioLanguage : public ::testing::Test {
 protected:
  void SetUp() override { database_ = TestServer::get().create_database("lang"); }
  void TearDown() override {
    watcher_.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                   database_);
  }

  // A scenario on this test's database; `steps` are its steps: lines, indented as under `steps:`.
  std::string scenario(const std::string& steps) {
    return dir_.write("s.yaml", "scenario: lang\n"
                                "connections:\n"
                                "  app: {user: root, database: " + database_ + ", application_name: lang}\n"
                                "steps:\n" + steps);
  }

  CommandResult run(const std::string& file, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run", file, "--target", TestServer::get().url(), "--report",
                                     "json=" + (dir_.path() / "r.json").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return roachrun(args);
  }

  nlohmann::json report_steps() {
    std::ifstream in(dir_.path() / "r.json");
    return nlohmann::json::parse(in)["scenarios"][0]["steps"];
  }

  std::int64_t sleeping() {
    return watcher_
        .query("SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND wait_event = 'PgSleep'",
               database_)
        .integer(0, 0);
  }

  TempDir dir_;
  std::string database_;
  Connection watcher_ = TestServer::get().connect();
};

TEST_F(ScenarioLanguage, BranchesRunAtTheSameTimeAndAreJoinedBeforeTheNextStep) {
  const auto file = scenario(
      "  - name: Two sleeps\n"
      "    parallel:\n"
      "      left:\n"
      "        - sql.exec: SELECT pg_sleep(1.5)\n"
      "      right:\n"
      "        - sql.exec: SELECT pg_sleep(0.2)\n"
      "        - sql.exec: SELECT pg_sleep(1.0)\n"
      "  - sql.query: SELECT 'after'\n");
  const CommandResult r = run(file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "['after']\n");
  EXPECT_TRUE(contains(r.err, "parallel block 'Two sleeps': 2 branches at the same time (left, right)")) << r.err;
  EXPECT_TRUE(contains(r.err, "[2/4] right: sql.exec: ok")) << r.err;
  const nlohmann::json steps = report_steps();
  ASSERT_EQ(steps.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(steps[i]["status"], "passed");
    EXPECT_EQ(steps[i]["block"], "Two sleeps");
  }
  EXPECT_EQ(steps[0]["branch"], "left");
  EXPECT_EQ(steps[2]["branch"], "right");
  EXPECT_TRUE(steps[3]["block"].is_null());
  // Side by side: right's second sleep starts while left's runs; the step after the block
  // starts after both ended.
  const auto start = [&](int i) { return steps[i]["started_ms"].get<std::int64_t>(); };
  const auto end = [&](int i) { return start(i) + steps[i]["duration_ms"].get<std::int64_t>(); };
  EXPECT_LT(start(2), end(0));
  EXPECT_LT(start(0), end(2));
  EXPECT_GE(start(3), std::max(end(0), end(2)));
}

TEST_F(ScenarioLanguage, AFailingBranchStopsTheOthersAtOnceAndFailsTheScenario) {
  const auto file = scenario(
      "  - parallel:\n"
      "      slow:\n"
      "        - sql.exec: SELECT pg_sleep(60)\n"
      "        - sql.query: SELECT 'never'\n"
      "      broken:\n"
      "        - sql.exec: SELECT pg_sleep(0.5)\n"
      "        - sql.exec: SELECT 1/0\n"
      "  - sql.query: SELECT 'not after a failure'\n");
  const auto began = Clock::now();
  const CommandResult r = run(file);
  const auto took = Clock::now() - began;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_LT(took, 20s) << "the sleeping branch was not stopped\n" << r.err;
  EXPECT_TRUE(contains(r.err, "[4/5] broken: sql.exec: FAILED")) << r.err;
  EXPECT_TRUE(contains(r.err, "branch 'broken' failed")) << r.err;
  const nlohmann::json steps = report_steps();
  EXPECT_EQ(steps[0]["status"], "skipped");
  EXPECT_TRUE(contains(steps[0]["skip_reason"].get<std::string>(), "stopped after ")) << steps[0];
  EXPECT_EQ(steps[1]["skip_reason"], "stopped: branch 'broken' failed");
  EXPECT_EQ(steps[3]["status"], "failed");
  EXPECT_EQ(steps[3]["error"]["sqlstate"], "22012");
  EXPECT_EQ(steps[4]["skip_reason"], "an earlier step failed");
  EXPECT_EQ(sleeping(), 0) << "the stopped branch's statement still runs on the server";
}

TEST_F(ScenarioLanguage, CtrlCStopsEveryBranch) {
  const auto file = scenario(
      "  - parallel:\n"
      "      a: [{sql.exec: SELECT pg_sleep(60)}]\n"
      "      b: [{sql.exec: SELECT pg_sleep(60)}]\n");
  RunningCommand cmd({"run", file, "--target", TestServer::get().url()});
  ASSERT_TRUE(eventually([&] { return !cmd.running() || sleeping() == 2; }, 30s)) << cmd.err_so_far();
  const auto start = Clock::now();
  cmd.signal(SIGINT);
  bool killed = false;
  const CommandResult r = cmd.wait_for(20s, &killed);
  EXPECT_FALSE(killed) << r.err;
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_LT(Clock::now() - start, 5s);
  EXPECT_EQ(sleeping(), 0);
}

TEST_F(ScenarioLanguage, LinesOfBranchesPrintingAtOnceNeverMix) {
  const auto file = scenario(
      "  - parallel:\n"
      "      a: [{sql.query: \"SELECT repeat('a', 300) FROM generate_series(1, 300)\"}]\n"
      "      b: [{sql.query: \"SELECT repeat('b', 300) FROM generate_series(1, 300)\"}]\n");
  const CommandResult r = run(file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  int a = 0, b = 0;
  const std::string la = "['" + std::string(300, 'a') + "']", lb = "['" + std::string(300, 'b') + "']";
  while (std::getline(lines, line)) {
    ASSERT_TRUE(line == la || line == lb) << "a mixed line: " << line.substr(0, 80);
    (line == la ? a : b)++;
  }
  EXPECT_EQ(a, 300);
  EXPECT_EQ(b, 300);
}

TEST_F(ScenarioLanguage, DryRunShowsTheBlockItsBranchesAndCaptures) {
  const auto file = scenario(
      "  - sql.query: SELECT 41\n"
      "    capture: {n: value}\n"
      "  - name: Both\n"
      "    parallel:\n"
      "      a: [{sql.query: {sql: \"SELECT $1::int + 1\", params: [\"${n}\"]}}]\n"
      "      b: [{sql.query: SELECT 2}]\n");
  const CommandResult r = roachrun({"run", file, "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "  1. sql.query: sql.query {") && contains(r.out, ", captures n = value\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "  parallel 'Both' (2 branches at the same time, joined before the next step):\n"
                              "    branch a:\n      2. sql.query: sql.query {"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "\"params\":[\"${n}\"]")) << r.out;
  EXPECT_TRUE(contains(r.out, "    branch b:\n      3. sql.query: sql.query")) << r.out;
}

TEST_F(ScenarioLanguage, AQueryValueCapturedIsReadByALaterStep) {
  const auto file = scenario(
      "  - sql.exec: CREATE TABLE t (v int)\n"
      "  - sql.exec: INSERT INTO t SELECT generate_series(1, 41)\n"
      "  - name: Count the rows\n"
      "    sql.query: SELECT count(*) FROM t\n"
      "    capture: {rows: value, whole: rows}\n"
      "  - sql.query: {sql: \"SELECT $1::int + 1, $2::text\", params: [\"${rows}\", \"${whole}\"]}\n");
  const CommandResult r = run(file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "['41']\n['42', '[[\"41\"]]']\n");
}

TEST_F(ScenarioLanguage, ACaptureOfAPartTheResultLacksFailsThatStep) {
  const auto file = scenario(
      "  - sql.query: SELECT 1, 2\n"
      "    capture: {x: rows.5.0}\n"
      "  - sql.query: {sql: \"SELECT $1::text\", params: [\"${x}\"]}\n");
  const CommandResult r = run(file);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "capture 'x' (")) << r.err;
  EXPECT_TRUE(contains(r.err, "result has no 'rows.5.0': 'rows' has a list of 1")) << r.err;
  const nlohmann::json steps = report_steps();
  EXPECT_EQ(steps[1]["skip_reason"], "an earlier step failed");
}

TEST_F(ScenarioLanguage, ACapturedValueOfTheWrongTypeFailsTheStepThatReadsIt) {
  const auto file = scenario(
      "  - sql.query: SELECT 'many'\n"
      "    capture: {n: value}\n"
      "  - sql.exec: {sql: SELECT 1, transaction: \"${n}\"}\n");
  const CommandResult r = run(file);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "s.yaml:7:44: step 2 (sql.exec): ")) << r.err;
  EXPECT_TRUE(contains(r.err, "must be true or false, got 'many'")) << r.err;
}

// Each mistake of the language is found before anything runs: exit 2, and the table the first
// step would create is not there.
TEST_F(ScenarioLanguage, BadUsesAreRefusedBeforeAnythingRuns) {
  dir_.write("loop.yaml", "steps:\n  - include: s.yaml\n");
  dir_.write("part.yaml", "vars: {amount: 1}\nsteps:\n  - sql.exec: SELECT 1\n");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"  - parallel:\n"
       "      a: [{sql.query: SELECT 1, capture: one}]\n"
       "      b: [{sql.query: {sql: \"SELECT $1::int\", params: [\"${one}\"]}}]\n",
       "capture 'one' is made in branch 'a' of 'parallel block 1', which runs at the same time"},
      {"  - sql.query: {sql: \"SELECT $1::text\", params: [\"${later}\"]}\n  - sql.query: SELECT 1\n    capture: later\n",
       "capture 'later' is made by step 3"},
      {"  - sql.query: {sql: \"SELECT $1::text\", params: [\"${nowhere}\"]}\n", "undefined variable 'nowhere'"},
      {"  - include: loop.yaml\n", "include cycle: "},
      {"  - include: missing.yaml\n", "include 'missing.yaml': "},
      {"  - include: part.yaml\n    vars: {amout: 2}\n", "(did you mean 'amount'?)"},
  };
  for (const auto& [steps, message] : cases) {
    SCOPED_TRACE(steps);
    const auto file = scenario("  - sql.exec: CREATE TABLE made (x int)\n" + steps);
    const CommandResult r = run(file);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(contains(r.err, message)) << r.err;
    EXPECT_EQ(TestServer::get().connect("root", database_).query("SELECT to_regclass('made') IS NULL").text(0, 0), "t")
        << "a step ran";
  }
}

}  // namespace
}  // namespace roachrun::test
