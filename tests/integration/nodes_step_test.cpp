// The nodes plugin and the `nodes:` of the local target as a user meets them: refused with the
// target named on a URL target, its parameters checked without a database, the plans naming the
// nodes; and one run on a real formation (pg_auto_failover). The single local server's node
// control: local_server_nodes_test.cpp.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "engine/local_formation.hpp"
#include "support/command.hpp"
#include "support/local_server_gone.hpp"  // processes_under
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

namespace roachrun::test {
namespace {

const std::string kRefused = "needs roachrun's local target (target: local); this scenario's target is ";

// Refused before anything runs (SDK step details: needs_local_target): the step before it, which
// would create a table, does not run either.
TEST(NodesStep, RefusedOnAUrlTargetBeforeAnythingRunsNamingTheUrl) {
  TempDir dir;
  const std::string database = TestServer::get().create_database("nodesurl");
  const std::string url = TestServer::get().url("root", database);
  for (const std::string step : {"nodes.show:", "nodes.kill: primary", "nodes.stop: {node: 1, mode: immediate}",
                                 "nodes.restart: {node: 1, after: 1s}", "nodes.wait:"}) {
    SCOPED_TRACE(step);
    auto file = dir.write("s.yaml", "scenario: s\nsteps:\n  - sql.exec: CREATE TABLE made (x int)\n  - " + step + "\n");
    auto r = roachrun({"run", file, "--target", url});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(file + ":4:5: step 2 (" + step.substr(0, step.find(':')) + "): " + kRefused + url),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("--skip nodes"), std::string::npos) << r.err;
    EXPECT_EQ(TestServer::get().connect("root", database).query("SELECT to_regclass('made') IS NULL").text(0, 0), "t");
    // Left out, the scenario runs.
    r = roachrun({"run", file, "--target", url, "--skip", "nodes"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    TestServer::get().connect("root", database).exec_simple("DROP TABLE made");
  }
}

TEST(NodesStep, ABadModeIsInvalidBeforeAnythingRuns) {
  TempDir dir;
  auto file = dir.write("s.yaml",
                        "scenario: s\n"
                        "steps:\n"
                        "  - nodes.stop: {node: 1, mode: smart}\n"
                        "  - nodes.kill: {node: 1, mode: fast}\n");
  auto r = roachrun({"validate", file});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(file + ":3:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("parameter 'mode' must be fast or immediate, got 'smart'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(file + ":4:"), std::string::npos) << "a kill has no mode\n" << r.err;
}

TEST(NodesStep, ABadNodeNameIsInvalidBeforeAnythingRuns) {
  TempDir dir;
  auto file = dir.write("s.yaml",
                        "scenario: s\n"
                        "target: {url: local, nodes: 3}\n"
                        "steps:\n"
                        "  - nodes.kill: {node: leader}\n"
                        "  - nodes.stop: {node: 0}\n"
                        "  - nodes.start: {node: 2, after: soon}\n");
  auto r = roachrun({"validate", file});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(file + ":4:24: step 1 (nodes.kill): parameter 'node' must be a node number (1, 2, ...), "
                              "primary or standby, got 'leader'"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(file + ":5:24: step 2 (nodes.stop): parameter 'node' must be a node number"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(file + ":6:35: step 3 (nodes.start): parameter 'after'"), std::string::npos) << r.err;
}

TEST(NodesStep, ValidateAndDryRunNameTheNodes) {
  TempDir dir;
  auto three = dir.write("three.yaml",
                         "scenario: three\ntarget: {url: local, nodes: 3}\nsteps:\n  - nodes.kill: {node: primary, "
                         "after: 2s}\n  - nodes.wait: {timeout: 30s}\n");
  auto plain = dir.write("plain.yaml", "scenario: plain\nsteps:\n  - nodes.show:\n");

  auto validate = roachrun({"validate", three, plain});
  EXPECT_EQ(validate.exit_code, 0) << validate.err;
  EXPECT_NE(validate.err.find(three + ": valid (2 steps), target local, 3 nodes"), std::string::npos) << validate.err;
  EXPECT_NE(validate.err.find(plain + ": valid (1 steps), target local\n"), std::string::npos) << validate.err;

  auto dry = roachrun({"run", three, "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("scenario three (" + three + ") on local, 3 nodes\n"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("1. nodes.kill: nodes.kill {\"node\":\"primary\",\"after\":2000} on connection default"),
            std::string::npos)
      << dry.out;
  EXPECT_EQ(dry.err.find("pg_auto_failover formation"), std::string::npos) << "a dry run starts nothing\n" << dry.err;

  auto option = roachrun({"run", plain, "--target", "local:2", "--dry-run"});
  EXPECT_EQ(option.exit_code, 0) << option.err;
  EXPECT_NE(option.out.find("scenario plain (" + plain + ") on local, 2 nodes\n"), std::string::npos) << option.out;

  auto single = roachrun({"run", three, "--target", "local:1", "--dry-run"});
  EXPECT_NE(single.out.find(") on local\n"), std::string::npos) << "local:1 is the single server\n" << single.out;
  auto kept = roachrun({"run", three, "--target", "local", "--dry-run"});
  EXPECT_NE(kept.out.find(") on local, 3 nodes\n"), std::string::npos) << "local keeps the scenario's nodes\n" << kept.out;
}

TEST(NodesStep, BadNodesAreBadUsageOrAnInvalidFile) {
  TempDir dir;
  auto plain = dir.write("plain.yaml", "scenario: plain\nsteps:\n  - sql.exec: SELECT 1\n");
  auto option = roachrun({"run", plain, "--target", "local:12"});
  EXPECT_EQ(option.exit_code, 2) << option.err;
  EXPECT_NE(option.err.find("--target local:12: the number after 'local:' must be a whole number from 1 to 9"),
            std::string::npos)
      << option.err;
  EXPECT_EQ(option.err.find("ready on"), std::string::npos) << option.err;

  auto url = dir.write("url.yaml",
                       "scenario: url\ntarget:\n  url: postgresql://root@localhost:26257/defaultdb\n  nodes: 3\n"
                       "steps:\n  - sql.exec: SELECT 1\n");
  auto r = roachrun({"validate", url});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(url + ":4:10: target.nodes: only 'url: local' has nodes"), std::string::npos) << r.err;

  auto many = dir.write("many.yaml", "scenario: many\ntarget: {url: local, nodes: 12}\nsteps:\n  - sql.exec: SELECT 1\n");
  auto m = roachrun({"validate", many});
  EXPECT_EQ(m.exit_code, 2) << m.err;
  EXPECT_NE(m.err.find(many + ":2:29: target.nodes must be a whole number from 1 to 9"), std::string::npos) << m.err;
}

// --- on a real formation ------------------------------------------------------------------------

struct ShownNode {
  int number;
  std::string port;
  std::string role;
};

// What nodes.show printed ("node 1  127.0.0.1:PORT  role"), every line of every call in order.
std::vector<ShownNode> shown_nodes(const std::string& out) {
  std::vector<ShownNode> nodes;
  const std::regex line(R"(node (\d)  127\.0\.0\.1:(\d+)  (\S+)\n)");
  for (auto it = std::sregex_iterator(out.begin(), out.end(), line); it != std::sregex_iterator(); ++it)
    nodes.push_back({std::stoi((*it)[1].str()), (*it)[2].str(), (*it)[3].str()});
  return nodes;
}

// A formation loses its primary: nodes.wait waits out the failover and reports its time, the next
// query finds the row on the new primary, the old one started again rejoins as a standby, and
// nothing of the formation is left after the run. Three nodes: with two, the survivor stays in
// pg_auto_failover's wait_primary (no standby left), which LocalFormation::wait_healthy does not
// count as healthy.
TEST(FormationNodeSteps, KillThePrimaryWaitForTheFailoverAndStartItAgain) {
  if (const std::string missing = missing_auto_failover(); !missing.empty())
    GTEST_SKIP() << "pg_auto_failover is not installed: " << missing;
  TempDir dir;
  auto file = dir.write("smoke.yaml",
                        "scenario: smoke\n"
                        "target: {url: local, nodes: 3}\n"
                        "steps:\n"
                        "  - sql.exec: {sql: [CREATE TABLE notes (id INT PRIMARY KEY), INSERT INTO notes VALUES (1)]}\n"
                        "  - sql.query: SELECT count(*) FROM notes\n"
                        "  - nodes.show:\n"
                        "  - nodes.kill: primary\n"
                        "  - nodes.wait: {timeout: 90s}\n"
                        "  - sql.query: {sql: 'SELECT count(*), pg_is_in_recovery() FROM notes', expect: [[1, f]]}\n"
                        "  - nodes.start: 1\n"
                        "  - nodes.wait: {timeout: 90s}\n"
                        "  - nodes.show:\n");
  const auto report = dir.path() / "report.json";
  auto r = roachrun({"run", file, "--report", "json=" + report.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  std::smatch failover;
  ASSERT_TRUE(std::regex_search(
      r.err, failover, std::regex(R"(node ([23]) \(127\.0\.0\.1:\d+\) took over as primary \d+\.\d s after node 1 was killed)")))
      << r.err;
  const std::size_t promoted = std::stoul(failover[1].str());
  const std::vector<ShownNode> shown = shown_nodes(r.out);
  ASSERT_EQ(shown.size(), 6u) << r.out;
  for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(shown[i].number, static_cast<int>(i % 3 + 1)) << r.out;
  EXPECT_EQ(shown[0].role, "primary") << "node 1 starts as the primary\n" << r.out;
  EXPECT_EQ(shown[1].role, "standby") << r.out;
  EXPECT_EQ(shown[2].role, "standby") << r.out;
  for (std::size_t n = 1; n <= 3; ++n)
    EXPECT_EQ(shown[3 + n - 1].role, n == promoted ? "primary" : "standby") << "node " << n << "\n" << r.out;
  EXPECT_EQ(r.out.find("['1']\n"), 0u) << r.out;
  EXPECT_NE(r.out.find("['1', 'f']\n"), std::string::npos) << "the committed row is on the new primary\n" << r.out;

  const auto j = nlohmann::json::parse(read_file(report));
  const auto& steps = j["scenarios"][0]["steps"];
  EXPECT_EQ(steps[4]["type"], "nodes.wait");
  ASSERT_EQ(steps[4]["result"]["failover_seconds"].size(), 1u) << steps[4].dump();
  EXPECT_GT(steps[4]["result"]["failover_seconds"][0].get<double>(), 0.0);
  EXPECT_LT(steps[4]["result"]["failover_seconds"][0].get<double>(), 90.0);
  EXPECT_EQ(steps[7]["result"]["failover_seconds"].size(), 0u) << "a standby started: no failover\n" << steps[7].dump();

  // Removed with the run: nothing answers on the nodes' ports, no directory, no process.
  for (const auto& node : shown) {
    const std::string ping = "host=127.0.0.1 port=" + node.port + " dbname=postgres connect_timeout=2";
    EXPECT_EQ(PQping(ping.c_str()), PQPING_NO_RESPONSE) << "port " << node.port;
  }
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.err, m, std::regex(R"(formation ready in .*data in (\S+))"))) << r.err;
  EXPECT_FALSE(std::filesystem::exists(m[1].str())) << m[1].str();
  for (const auto& process : processes_under(m[1].str())) ADD_FAILURE() << process.description << " is left behind";
}

// An immediate stop of a standby (pg_ctl stop -m immediate of its postgres, then pg_autoctl's
// immediate stop): it is down, the primary keeps taking writes, and started again it recovers and
// rejoins as a standby.
TEST(FormationNodeSteps, AnImmediateStopOfAStandbyAndItsStart) {
  if (const std::string missing = missing_auto_failover(); !missing.empty())
    GTEST_SKIP() << "pg_auto_failover is not installed: " << missing;
  TempDir dir;
  auto file = dir.write("immediate.yaml",
                        "scenario: immediate\n"
                        "target: {url: local, nodes: 2}\n"
                        "steps:\n"
                        "  - sql.exec: {sql: [CREATE TABLE notes (id INT PRIMARY KEY), INSERT INTO notes VALUES (1)]}\n"
                        "  - nodes.stop: {node: standby, mode: immediate}\n"
                        "  - nodes.show:\n"
                        "  - sql.exec: INSERT INTO notes VALUES (2)\n"
                        "  - nodes.start: 2\n"
                        "  - nodes.wait: {timeout: 90s}\n"
                        "  - sql.query: SELECT count(*) FROM notes\n"
                        "  - nodes.show:\n");
  auto r = roachrun({"run", file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_search(r.err, std::regex(R"(stopped node 2 \(127\.0\.0\.1:\d+\): an immediate shutdown of its postgres)")))
      << r.err;
  const std::vector<ShownNode> shown = shown_nodes(r.out);
  ASSERT_EQ(shown.size(), 4u) << r.out;
  EXPECT_EQ(shown[0].role, "primary") << r.out;
  EXPECT_EQ(shown[1].role, "down") << r.out;
  EXPECT_EQ(shown[2].role, "primary") << r.out;
  EXPECT_EQ(shown[3].role, "standby") << "it rejoined\n" << r.out;
  EXPECT_NE(r.out.find("['2']\n"), std::string::npos) << r.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.err, m, std::regex(R"(formation ready in .*data in (\S+))"))) << r.err;
  EXPECT_FALSE(std::filesystem::exists(m[1].str())) << m[1].str();
  for (const auto& process : processes_under(m[1].str())) ADD_FAILURE() << process.description << " is left behind";
}

}  // namespace
}  // namespace roachrun::test
