// The nodes plugin on the single local server (target: local, issue 15): node 1 is the server;
// it is stopped (fast or immediate), killed, started again and restarted by steps, coming back on
// the same port and data directory (the committed row is still there, the next SQL step
// reconnects), and however the run ends -- the server running or stopped, a failed step, Ctrl-C
// once or twice, kill -9 of roachrun after the server was started again on another thread -- no
// server and no directory is left behind. And the fault-tolerance story on one server: a
// ledger-backed workload rides through a delayed immediate restart.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "support/command.hpp"
#include "support/local_server_gone.hpp"
#include "support/temp_dir.hpp"
#include "support/workload.hpp"  // number(), finish()

namespace roachrun::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// What nodes.show printed ("node 1  127.0.0.1:PORT  role"), every line in order.
std::vector<std::pair<std::string, std::string>> shown(const std::string& out) {
  std::vector<std::pair<std::string, std::string>> nodes;
  const std::regex line(R"(node 1  127\.0\.0\.1:(\d+)  (\S+)\n)");
  for (auto it = std::sregex_iterator(out.begin(), out.end(), line); it != std::sregex_iterator(); ++it)
    nodes.emplace_back((*it)[1].str(), (*it)[2].str());
  return nodes;
}

// The port the local server was ready on, from the run's log.
std::string ready_port(const std::string& err) {
  std::smatch m;
  return std::regex_search(err, m, std::regex(R"(ready on 127\.0\.0\.1:(\d+) )")) ? m[1].str() : "";
}

// A TMPDIR of its own for one run, which the server's user can enter (PostgreSQL runs as
// `postgres` when the tests run as root).
fs::path run_tmpdir(const TempDir& parent, const std::string& name) {
  const fs::path dir = parent.path() / name;
  fs::create_directory(dir);
  for (const fs::path& p : {parent.path(), dir})
    fs::permissions(p, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  return dir;
}

struct Outage {
  const char* name;
  const char* steps;    // what takes the server down and brings it back
  const char* logged;   // what roachrun's log says of the way down
};

class LocalServerOutage : public ::testing::TestWithParam<Outage> {};

std::string outage_name(const ::testing::TestParamInfo<Outage>& param) { return param.param.name; }

// Down and up again: the row committed before is there after, on the same port; nodes.show
// follows it (primary, down, primary); the next SQL step reconnects on its own.
TEST_P(LocalServerOutage, TheServerComesBackOnItsPortWithItsData) {
  TempDir dir;
  auto file = dir.write("s.yaml", std::string("scenario: s\n"
                                              "steps:\n"
                                              "  - sql.exec: {sql: [CREATE TABLE notes (id INT PRIMARY KEY), "
                                              "INSERT INTO notes VALUES (1)]}\n"
                                              "  - nodes.show:\n") +
                                      GetParam().steps +
                                      "  - nodes.wait:\n"
                                      "  - sql.query: SELECT count(*) FROM notes\n"
                                      "  - nodes.show:\n");
  const auto started = Clock::now();
  auto r = roachrun({"run", file});
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto nodes = shown(r.out);
  const std::string port = ready_port(r.err);
  ASSERT_FALSE(port.empty()) << r.err;
  ASSERT_GE(nodes.size(), 2u) << r.out;
  EXPECT_EQ(nodes.front(), std::make_pair(port, std::string("primary"))) << r.out;
  EXPECT_EQ(nodes.back(), std::make_pair(port, std::string("primary"))) << "the same port after\n" << r.out;
  for (std::size_t i = 1; i + 1 < nodes.size(); ++i)
    EXPECT_EQ(nodes[i], std::make_pair(port, std::string("down"))) << "shown while it was down\n" << r.out;
  EXPECT_TRUE(contains(r.out, "['1']\n")) << "the committed row is there after\n" << r.out;
  EXPECT_TRUE(contains(r.err, GetParam().logged)) << r.err;
  EXPECT_TRUE(contains(r.err, "local PostgreSQL server on 127.0.0.1:" + port + " started again")) << r.err;
  expect_local_server_gone(r.err);
  std::printf("[  figures ] %s: the run took %.1f s\n", GetParam().name, seconds);
}

INSTANTIATE_TEST_SUITE_P(
    LocalServerNodes, LocalServerOutage,
    ::testing::Values(
        Outage{"stop_fast", "  - nodes.stop: {node: 1, mode: fast}\n  - nodes.show:\n  - nodes.start: 1\n",
               "stopped (fast shutdown)"},
        Outage{"stop_immediate",
               "  - nodes.stop: {node: primary, mode: immediate}\n  - nodes.show:\n  - nodes.start: primary\n",
               "stopped (immediate shutdown)"},
        Outage{"kill", "  - nodes.kill: 1\n  - nodes.show:\n  - nodes.start: 1\n",
               "killed the local PostgreSQL server on 127.0.0.1:"},
        Outage{"restart_default_fast", "  - nodes.restart: 1\n", "stopped (fast shutdown)"},
        Outage{"restart_immediate", "  - nodes.restart: {node: 1, mode: immediate}\n",
               "stopped (immediate shutdown)"},
        Outage{"delayed_stop_and_start",
               "  - nodes.stop: {node: 1, after: 300ms}\n  - nodes.start: {node: 1, after: 1s}\n",
               "stopped (fast shutdown)"}),
    outage_name);

// However the run ends with the server down, it is removed: the end of the run, a failed step.
TEST(LocalServerNodes, AServerLeftStoppedOrKilledIsStillRemoved) {
  TempDir dir;
  for (const std::string down : {"nodes.stop: {node: 1, mode: immediate}", "nodes.kill: primary"}) {
    SCOPED_TRACE(down);
    auto file = dir.write("s.yaml", "scenario: s\nsteps:\n  - sql.query: SELECT 1\n  - " + down + "\n");
    auto r = roachrun({"run", file});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    expect_local_server_gone(r.err);

    // A step that needs it fails (its reconnect budget spent), and the run still cleans up.
    auto failing = dir.write("f.yaml", "scenario: f\nretry: {reconnect_budget: 500ms}\nsteps:\n"
                                       "  - sql.query: SELECT 1\n  - " + down + "\n  - sql.query: SELECT 2\n");
    auto f = roachrun({"run", failing});
    EXPECT_NE(f.exit_code, 0) << f.err;
    EXPECT_EQ(f.out, "['1']\n") << f.err;
    expect_local_server_gone(f.err);
  }
}

// What the single server cannot do, said at run time with what it is.
TEST(LocalServerNodes, ActionsItCannotTakeFailNamingTheServer) {
  TempDir dir;
  const std::pair<std::string, std::string> cases[] = {
      {"nodes.stop: standby", "no standby: the single local server (target: local) is the only node"},
      {"nodes.kill: 2", "no node '2' on the single local server (target: local): it is node 1 (or primary)"},
      {"nodes.start: 1", "cannot start node 1 (127.0.0.1:"},
  };
  for (const auto& [step, message] : cases) {
    SCOPED_TRACE(step);
    auto file = dir.write("s.yaml", "scenario: s\nsteps:\n  - " + step + "\n");
    auto r = roachrun({"run", file});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_TRUE(contains(r.err, message)) << r.err;
    expect_local_server_gone(r.err);
  }
  auto stopped = dir.write("w.yaml", "scenario: w\nsteps:\n  - nodes.stop: 1\n  - nodes.wait:\n");
  auto w = roachrun({"run", stopped});
  EXPECT_EQ(w.exit_code, 1) << w.err;
  EXPECT_TRUE(contains(w.err, "is stopped and nothing will start it: start it first (nodes.start: 1)")) << w.err;
  auto twice = dir.write("t.yaml", "scenario: t\nsteps:\n  - nodes.stop: 1\n  - nodes.restart: 1\n");
  auto t = roachrun({"run", twice});
  EXPECT_EQ(t.exit_code, 1) << t.err;
  EXPECT_TRUE(contains(t.err, "cannot restart node 1 (127.0.0.1:")) << t.err;
  EXPECT_TRUE(contains(t.err, "it is not running (start it instead)")) << t.err;
  expect_local_server_gone(t.err);
}

// Ctrl-C while the server is down (a delayed start pending, nodes.wait waiting for it): exit 130
// within the bound, the pending start cancelled, no directory and no process left; the same with
// a second Ctrl-C at once.
TEST(LocalServerNodes, CtrlCWhileTheServerIsStoppedCleansUp) {
  TempDir parent, dir;
  std::signal(SIGINT, SIG_DFL);  // see interrupt_local_test.cpp
  auto file = dir.write("s.yaml", "scenario: s\nsteps:\n  - sql.query: SELECT 1\n  - nodes.stop: {node: 1}\n"
                                  "  - nodes.start: {node: 1, after: 60s}\n  - nodes.wait: {timeout: 90s}\n");
  for (const bool twice : {false, true}) {
    SCOPED_TRACE(twice ? "twice" : "once");
    const fs::path tmpdir = run_tmpdir(parent, twice ? "twice" : "once");
    RunningCommand cmd({"run", file}, {{"TMPDIR", tmpdir.string()}});
    while (cmd.running() && !contains(cmd.err_so_far(), "node action scheduled: start 1 in 60.0 s"))
      std::this_thread::sleep_for(5ms);
    std::this_thread::sleep_for(200ms);
    const auto signalled = Clock::now();
    cmd.signal(SIGINT);
    if (twice) {
      std::this_thread::sleep_for(50ms);
      cmd.signal(SIGINT);
    }
    bool killed = false;
    const CommandResult r = cmd.wait_for(20s, &killed);
    const double seconds = std::chrono::duration<double>(Clock::now() - signalled).count();
    EXPECT_FALSE(killed) << r.err;
    EXPECT_EQ(r.exit_code, 130) << r.err;
    EXPECT_EQ(r.out, "['1']\n");
    if (!twice) {
      EXPECT_TRUE(contains(r.err, "node action start 1 (after 60.0 s) not done: interrupted")) << r.err;
    }
    EXPECT_EQ(leftovers(tmpdir).found, std::vector<std::string>{}) << r.err;
    std::printf("[  figures ] Ctrl-C %s while stopped: exit %d after %.2f s\n", twice ? "twice" : "once", r.exit_code,
                seconds);
  }
}

// The server that a delayed restart started again was forked on node control's thread, which
// ends with the scenario: it must not die with that thread (a parent-death signal is sent when
// the forking thread ends) -- the next scenario of the run uses it.
TEST(LocalServerNodes, AServerStartedAgainOnAnotherThreadOutlivesThatThread) {
  TempDir dir;
  auto first = dir.write("first.yaml", "scenario: first\nsteps:\n  - sql.query: SELECT 1\n"
                                       "  - nodes.restart: {node: 1, mode: immediate, after: 300ms}\n"
                                       "  - nodes.wait:\n");
  auto second = dir.write("second.yaml", "scenario: second\nretry: {reconnect_budget: 1s}\nsteps:\n"
                                         "  - sql.query: SELECT 'slept' FROM pg_sleep(1.5)\n"
                                         "  - sql.query: SELECT 2\n");
  auto r = roachrun({"run", first, second});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "['1']\n['slept']\n['2']\n") << r.err;
  EXPECT_TRUE(contains(r.err, "started again")) << r.err;
  EXPECT_FALSE(contains(r.err, "lost the target")) << "the server stayed up in the second scenario\n" << r.err;
  expect_local_server_gone(r.err);
}

// kill -9 of roachrun after a delayed restart: the server started again follows it (its
// parent-death signal), as the first one does. (The directory stays: nothing of roachrun runs to
// remove it.)
TEST(LocalServerNodes, AServerStartedAgainDiesWithAKilledRoachrun) {
  TempDir parent, dir;
  const fs::path tmpdir = run_tmpdir(parent, "run");
  auto file = dir.write("s.yaml", "scenario: s\nsteps:\n  - sql.query: SELECT 1\n"
                                  "  - nodes.restart: {node: 1, after: 200ms}\n  - nodes.wait:\n"
                                  "  - sql.query: SELECT pg_sleep(60)\n");
  RunningCommand cmd({"run", file}, {{"TMPDIR", tmpdir.string()}});
  const auto deadline = Clock::now() + 60s;
  while (cmd.running() && Clock::now() < deadline && !contains(cmd.err_so_far(), "started again"))
    std::this_thread::sleep_for(5ms);
  ASSERT_TRUE(contains(cmd.err_so_far(), "started again")) << cmd.err_so_far();
  std::this_thread::sleep_for(500ms);  // into the last step's pg_sleep
  ASSERT_FALSE(processes_under(tmpdir.string()).empty()) << "the server runs before the kill";
  cmd.signal(SIGKILL);
  const CommandResult r = cmd.wait_for(10s);
  EXPECT_EQ(r.exit_code, 128 + SIGKILL);
  const auto killed = Clock::now();
  std::vector<LeftProcess> left = processes_under(tmpdir.string());
  while (!left.empty() && Clock::now() < killed + 10s) {
    std::this_thread::sleep_for(50ms);
    left = processes_under(tmpdir.string());
  }
  for (const auto& process : left) {
    ADD_FAILURE() << process.description << " outlived roachrun";
    kill(process.pid, SIGKILL);
  }
  std::printf("[  figures ] the restarted server was gone %.2f s after kill -9 of roachrun\n",
              std::chrono::duration<double>(Clock::now() - killed).count());
}

// The fault-tolerance story on one server: a ledger-backed workload runs while the server is
// restarted (immediate shutdown, 3 s in: after the workload's table setup). The workload runs
// 14 s: the outage must be over well before it stops -- the start after an immediate shutdown
// recovers from the WAL and checkpoints with fsync on, which takes 5 s with builds running beside
// it, and a transfer whose COMMIT was cut off and that still waits to reconnect when the workload
// stops is "unfinished", though the ledger may have it. Exit 0, the audit ok, the outage in the summary, and
// every committed transfer in the ledger once.
TEST(LocalServerNodes, AWorkloadRidesThroughADelayedImmediateRestart) {
  TempDir dir;
  auto file = dir.write("ride.yaml",
                        "scenario: ride\n"
                        "retry: {max_retries: 20, base_backoff: 1ms, max_backoff: 20ms, reconnect_budget: 30s}\n"
                        "steps:\n"
                        "  - nodes.restart: {node: 1, mode: immediate, after: 3s}\n"
                        "  - bank.workload: {accounts: 100, clients: 4, duration: 14s, rate: 300, ledger: true}\n"
                        "  - nodes.wait:\n"
                        "  - sql.query: SELECT count(*), count(DISTINCT id) FROM accounts_ledger\n");
  RunningCommand cmd({"run", file});
  const CommandResult r = finish(cmd);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "\naudit: ok (100 accounts, total 100000 = 100 x 1000, none negative, ledger "
                              "consistent)\n"))
      << r.out;
  EXPECT_TRUE(contains(r.err, "node action scheduled: restart 1 (immediate) in 3.0 s")) << r.err;
  EXPECT_TRUE(contains(r.err, "stopped (immediate shutdown)")) << r.err;
  const std::int64_t committed = number(r.out, std::regex("\ntransfers: ([0-9]+) committed"));
  const std::int64_t reconnects = number(r.out, std::regex("reconnects: ([0-9]+)"));
  const std::int64_t outages = number(r.out, std::regex("\nfaults: ([0-9]+) outages?"));
  std::smatch ledger;
  ASSERT_TRUE(std::regex_search(r.out, ledger, std::regex(R"(\['(\d+)', '(\d+)'\]\n$)"))) << r.out;
  EXPECT_GT(committed, 0) << r.out;
  EXPECT_EQ(std::stoll(ledger[1].str()), committed) << "every committed transfer in the ledger\n" << r.out;
  EXPECT_EQ(ledger[2].str(), ledger[1].str()) << "none twice\n" << r.out;
  EXPECT_GT(reconnects, 0) << "the clients saw the restart\n" << r.out;
  EXPECT_GE(outages, 1) << "the summary shows the outage\n" << r.out;
  expect_local_server_gone(r.err);
  std::smatch back;
  const bool came_back = std::regex_search(r.err, back, std::regex(R"(is back after ([0-9.]+ s))"));
  std::printf("[  figures ] workload through an immediate restart: committed %lld, ledger rows %s, reconnects %lld, "
              "outages %lld, the target back after %s\n",
              static_cast<long long>(committed), ledger[1].str().c_str(), static_cast<long long>(reconnects),
              static_cast<long long>(outages), came_back ? back[1].str().c_str() : "?");
  if (::testing::Test::HasFailure()) std::printf("%s\n", r.err.c_str());
}

}  // namespace
}  // namespace roachrun::test
