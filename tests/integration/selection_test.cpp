// --only, --from and --dry-run: which steps run, what is said about the others, and a dry run
// that touches no database and starts no server.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "support/command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

namespace roachrun::test {
namespace {

const char* kThreeSteps =
    "scenario: three\n"
    "vars: {word: two}\n"
    "steps:\n"
    "  - name: first\n"
    "    sql.query: SELECT 'one'\n"
    "  - name: second\n"
    "    sql.query: {sql: \"SELECT $1::text\", params: [\"${word}\"]}\n"
    "  - name: third\n"
    "    sql.query: SELECT 'three'\n";

CommandResult run(const std::string& file, std::vector<std::string> extra) {
  std::vector<std::string> args = {"run", file, "--target", TestServer::get().url()};
  args.insert(args.end(), extra.begin(), extra.end());
  return roachrun(args);
}

TEST(Selection, OnlyByNameAndByIndex) {
  TempDir dir;
  auto file = dir.write("three.yaml", kThreeSteps);
  auto r = run(file, {"--only", "second"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "['two']\n");
  EXPECT_NE(r.err.find("[1/3] first (sql.query): skipped (not selected by --only)"), std::string::npos) << r.err;

  r = run(file, {"--only", "1", "--only", "third"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "['one']\n['three']\n");
}

TEST(Selection, SkipLeavesOutByNameIndexTypeOrPluginAndSaysSo) {
  TempDir dir;
  auto file = dir.write("three.yaml", kThreeSteps);
  auto r = run(file, {"--skip", "second"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "['one']\n['three']\n");
  EXPECT_NE(r.err.find("[2/3] second (sql.query): skipped (skipped by --skip second)"), std::string::npos) << r.err;

  r = run(file, {"--skip", "1", "--skip", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "['two']\n");

  // The plugin's name: every sql.* step. With --only, a step --only selects can still be left out.
  r = run(file, {"--skip", "sql"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  r = run(file, {"--only", "first", "--only", "second", "--skip", "first"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "['two']\n");

  r = run(file, {"--skip", "fourth"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--skip fourth: " + file + " has no step named 'fourth'; its steps are:"), std::string::npos)
      << r.err;
}

TEST(Selection, FromSkipsEarlierStepsAndSaysSo) {
  TempDir dir;
  auto file = dir.write("three.yaml", kThreeSteps);
  auto r = run(file, {"--from", "second"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "['two']\n['three']\n");
  EXPECT_NE(r.err.find("step 1 (first) skipped: before --from second"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[1/3] first (sql.query): skipped (before --from second)"), std::string::npos) << r.err;

  r = run(file, {"--from", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "['three']\n");
}

TEST(Selection, SkippedStepsAreInTheReport) {
  TempDir dir;
  auto file = dir.write("three.yaml", kThreeSteps);
  const auto json = dir.path() / "r.json";
  auto r = run(file, {"--from", "2", "--report", "json=" + json.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(json);
  const auto j = nlohmann::json::parse(in);
  const auto& steps = j["scenarios"][0]["steps"];
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0]["status"], "skipped");
  EXPECT_EQ(steps[0]["skip_reason"], "before --from 2");
  EXPECT_EQ(steps[1]["status"], "passed");
  EXPECT_EQ(j["scenarios"][0]["status"], "passed");
}

TEST(Selection, UnknownStepExitsTwoListingTheSteps) {
  TempDir dir;
  auto file = dir.write("three.yaml", kThreeSteps);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--only", "fourth"}, {"--from", "9"}, {"--only", "0"}}) {
    auto r = run(file, args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << " " << args[1];
    EXPECT_NE(r.err.find(args[0] + " " + args[1] + ": " + file + " has no step"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("1. first (sql.query)\n  2. second (sql.query)\n  3. third (sql.query)"), std::string::npos)
        << r.err;
    EXPECT_EQ(r.out, "");
  }
}

TEST(Selection, DryRunPrintsResolvedStepsAndTouchesNothing) {
  TempDir dir;
  auto file = dir.write("three.yaml", kThreeSteps);
  // Nothing listens on port 1; a dry run must not notice.
  const auto start = std::chrono::steady_clock::now();
  auto r = roachrun({"run", file, "--target", "postgresql://root@127.0.0.1:1/defaultdb?sslmode=disable", "--dry-run",
                     "--set", "word=deux", "--from", "second"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "scenario three (" + file + ") on postgresql://root@127.0.0.1:1/defaultdb?sslmode=disable\n"
            "  1. first: skipped (before --from second)\n"
            "  2. second: sql.query {\"sql\":\"SELECT $1::text\",\"params\":[\"deux\"],\"expect\":null,\"print\":true}"
            " on connection default\n"
            "  3. third: sql.query {\"sql\":\"SELECT 'three'\",\"params\":null,\"expect\":null,\"print\":true}"
            " on connection default\n");
  EXPECT_EQ(r.err.find("connecting"), std::string::npos) << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));

  // The local target: no server is started (no initdb, no "server ready").
  auto local = roachrun({"--log-level", "debug", "run", file, "--dry-run"});
  ASSERT_EQ(local.exit_code, 0) << local.err;
  EXPECT_NE(local.out.find("scenario three (" + file + ") on local\n"), std::string::npos) << local.out;
  EXPECT_EQ(local.err.find("initdb"), std::string::npos) << local.err;
  EXPECT_EQ(local.err.find("PostgreSQL"), std::string::npos) << local.err;
}

TEST(Selection, DryRunOfAnInvalidScenarioExitsTwo) {
  TempDir dir;
  auto file = dir.write("bad.yaml", "scenario: bad\nsteps:\n  - sql.query: \"${nope}\"\n");
  auto r = roachrun({"run", file, "--dry-run"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("undefined variable 'nope'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace roachrun::test
