// The local target with several nodes (issue 18) through the roachrun binary: the secure
// tutorial on a secure formation, and nothing left behind however the run ends -- Ctrl-C while
// the formation is being made or while a step runs, a second Ctrl-C, and roachrun killed outright
// (kill -9), after which its janitor process removes the formation.
//
// Each run gets its own TMPDIR, so whatever it made is found by that path (processes_under()).
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

namespace roachrun::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

// A formation of two nodes and a step that takes long enough to be interrupted in.
constexpr const char* kScenario = R"(
scenario: formation-interrupt
target: {url: local, nodes: 2}
steps:
  - sql.exec: SELECT pg_sleep(60)
)";

class FormationLifecycle : public ::testing::Test {
 protected:
  void SetUp() override {
    // A shell starts a background job with SIGINT ignored; the run would inherit that.
    std::signal(SIGINT, SIG_DFL);
    tmpdir_ = dir_.path() / "tmp";
    fs::create_directory(tmpdir_);
    // The servers run as `postgres` when the tests run as root: they must reach their directory.
    for (const fs::path& p : {dir_.path(), tmpdir_})
      fs::permissions(p, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    scenario_ = dir_.write("formation.yaml", kScenario);
  }

  // Starts the run and waits for `line` on its stderr (bounded: a formation is up in about 15 s).
  std::unique_ptr<RunningCommand> start_until(const std::string& line) {
    auto cmd = std::make_unique<RunningCommand>(std::vector<std::string>{"run", scenario_, "--log-level", "debug"},
                                                std::map<std::string, std::string>{{"TMPDIR", tmpdir_.string()}});
    const auto deadline = Clock::now() + 120s;
    while (cmd->running() && Clock::now() < deadline && cmd->err_so_far().find(line) == std::string::npos)
      std::this_thread::sleep_for(5ms);
    EXPECT_NE(cmd->err_so_far().find(line), std::string::npos) << "no '" << line << "' in\n" << cmd->err_so_far();
    return cmd;
  }

  // Waits up to `limit` for nothing to be left under TMPDIR, and says what is left then.
  std::vector<std::string> left_after(milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    std::vector<std::string> left = leftovers(tmpdir_).found;
    while (!left.empty() && Clock::now() < deadline) {
      std::this_thread::sleep_for(50ms);
      left = leftovers(tmpdir_).found;
    }
    return left;
  }

  TempDir dir_;
  fs::path tmpdir_;
  std::string scenario_;
};

TEST_F(FormationLifecycle, CtrlCWhileTheNodesAreMadeStopsAndRemovesEverything) {
  // Node 1 is registered with the monitor; the standby is being cloned from it.
  auto cmd = start_until("starting the pg_auto_failover monitor");
  std::this_thread::sleep_for(4s);
  cmd->signal(SIGINT);
  const auto signalled = Clock::now();
  bool killed = false;
  const CommandResult r = cmd->wait_for(20s, &killed);
  EXPECT_FALSE(killed) << "roachrun did not end within 20 s of Ctrl-C:\n" << r.err;
  EXPECT_EQ(r.exit_code, 130) << r.err;
  std::cout << "ended " << duration_cast<milliseconds>(Clock::now() - signalled).count() << " ms after Ctrl-C\n";
  EXPECT_EQ(left_after(0ms), std::vector<std::string>{}) << r.err;
}

TEST_F(FormationLifecycle, CtrlCDuringAStepStopsAndRemovesEverything) {
  auto cmd = start_until("formation ready");
  std::this_thread::sleep_for(500ms);
  cmd->signal(SIGINT);
  const auto signalled = Clock::now();
  bool killed = false;
  const CommandResult r = cmd->wait_for(20s, &killed);
  EXPECT_FALSE(killed) << r.err;
  EXPECT_EQ(r.exit_code, 130) << r.err;
  std::cout << "ended " << duration_cast<milliseconds>(Clock::now() - signalled).count() << " ms after Ctrl-C\n";
  EXPECT_EQ(left_after(0ms), std::vector<std::string>{}) << r.err;
}

TEST_F(FormationLifecycle, ASecondCtrlCExitsAtOnceAndLeavesNothing) {
  auto cmd = start_until("formation ready");
  cmd->signal(SIGINT);
  std::this_thread::sleep_for(50ms);
  cmd->signal(SIGINT);
  const auto signalled = Clock::now();
  bool killed = false;
  const CommandResult r = cmd->wait_for(5s, &killed);
  EXPECT_FALSE(killed) << r.err;
  EXPECT_EQ(r.exit_code, 130) << r.err;
  std::cout << "ended " << duration_cast<milliseconds>(Clock::now() - signalled).count()
            << " ms after the second Ctrl-C\n";
  EXPECT_EQ(left_after(0ms), std::vector<std::string>{}) << r.err;
}

TEST_F(FormationLifecycle, AKilledRoachrunLeavesNothingOnceItsJanitorRan) {
  auto cmd = start_until("formation ready");
  cmd->signal(SIGKILL);
  const auto killed_at = Clock::now();
  const CommandResult r = cmd->wait();
  EXPECT_EQ(r.exit_code, 128 + SIGKILL);
  // The janitor: an immediate shutdown, a second's grace, then SIGKILL and the directory removed.
  const std::vector<std::string> left = left_after(30s);
  EXPECT_EQ(left, std::vector<std::string>{}) << r.err;
  std::cout << "nothing left " << duration_cast<milliseconds>(Clock::now() - killed_at).count()
            << " ms after kill -9\n";
}

// The secure tutorial with `--target local:2`: the file's secure target made a two-node
// formation, TLS on every node with the tutorial's node certificate, every user by its client
// certificate. Its output is the single server's.
TEST_F(FormationLifecycle, TheSecureTutorialRunsOnASecureFormation) {
  const std::string scenario = std::string(ROACHRUN_SOURCE_DIR) + "/scenarios/bank-secure.yaml";
  const std::string certs = (dir_.path() / "certs").string();
  const std::string ca_key = (dir_.path() / "my-safe-directory/ca.key").string();
  const CommandResult r = roachrun({"run", scenario, "--target", "local:2", "--set", "certs_dir=" + certs, "--set",
                                    "ca_key=" + ca_key},
                                   {{"TMPDIR", tmpdir_.string()}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string when = "[A-Z][a-z]{2} [A-Z][a-z]{2} [ 123][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}";
  EXPECT_TRUE(std::regex_match(r.out, std::regex("Balances at " + when + "\n\\['1', '1000'\\]\n\\['2', '250'\\]\n"
                                                 "Balances at " + when + "\n\\['1', '900'\\]\n\\['2', '350'\\]\n")))
      << r.out;
  EXPECT_NE(r.err.find("formation ready"), std::string::npos) << r.err;
  EXPECT_EQ(left_after(0ms), std::vector<std::string>{}) << r.err;
}

}  // namespace
}  // namespace roachrun::test
