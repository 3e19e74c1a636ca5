// exec.run through the roachrun binary and real scenario files: what a command prints, how a
// failing, killed, hanging or missing command fails the run (exit code, the message on stderr),
// env/cwd/shell, and Ctrl-C while a command runs (exit 130 at once, nothing of the command left).
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/eventually.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"
#include "support/time_bound.hpp"

namespace roachrun::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

// Processes of process group `group` that are alive (an orphan zombie waiting for a parent that
// never collects it is not).
std::vector<int> living_members(int group) {
  std::vector<int> out;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string line;
    std::getline(in, line);
    const std::size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state = 0;
    int ppid = 0, pgrp = 0;
    rest >> state >> ppid >> pgrp;
    if (pgrp == group && state != 'Z') out.push_back(std::stoi(name));
  }
  return out;
}

class ExecStep : public ::testing::Test {
 protected:
  // Runs `steps` (the YAML under `steps:`) as a scenario; the JSON report goes to report_.
  CommandResult run(const std::string& steps, std::vector<std::string> extra = {}) {
    const std::string file = scenario(steps);
    std::vector<std::string> args = {"run", file, "--target", TestServer::get().url(), "--report", "json=" + report_.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return roachrun(args);
  }
  std::string scenario(const std::string& steps) { return dir_.write("s.yaml", "scenario: exec\nsteps:\n" + steps); }
  nlohmann::json step_report(std::size_t index) {
    std::ifstream in(report_);
    return nlohmann::json::parse(in)["scenarios"][0]["steps"][index];
  }

  TempDir dir_;
  fs::path report_ = dir_.path() / "report.json";
};

TEST_F(ExecStep, StdoutIsPrintedAndKeptInTheResult) {
  const auto r = run("  - exec.run: {argv: [echo, hello, world]}\n"
                     "  - exec.run: {argv: [printf, 'kept only'], print: false}\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello world\n") << "print: false prints nothing";
  const auto first = step_report(0)["result"];
  EXPECT_EQ(first["exit_status"], 0);
  EXPECT_TRUE(first["signal"].is_null());
  EXPECT_EQ(first["stdout"], "hello world\n");
  EXPECT_EQ(first["stderr"], "");
  EXPECT_TRUE(first["duration_ms"].is_number_integer());
  EXPECT_EQ(step_report(1)["result"]["stdout"], "kept only");
}

TEST_F(ExecStep, StderrGoesToTheLog) {
  const auto r = run("  - exec.run: {shell: 'echo to-stderr >&2'}\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("sh: to-stderr"), std::string::npos) << r.err;
}

TEST_F(ExecStep, UnexpectedStatusFailsNamingCommandAndStatus) {
  const auto r = run("  - exec.run: {argv: [sh, -c, 'echo broken >&2; exit 4'], expect_status: 3}\n"
                     "  - exec.run: {argv: [echo, never]}\n");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "") << "the step after the failed one is skipped";
  EXPECT_NE(r.err.find("command sh -c 'echo broken >&2; exit 4' exited with status 4, expected 3; its stderr ended "
                       "with: broken"),
            std::string::npos)
      << r.err;
  const auto failed = step_report(0);
  EXPECT_EQ(failed["status"], "failed");
  EXPECT_EQ(failed["error"]["type"], "StepError");
  EXPECT_EQ(failed["result"]["exit_status"], 4) << "the result is reported for a failed step too";
  EXPECT_EQ(step_report(1)["status"], "skipped");
}

TEST_F(ExecStep, ExpectedNonzeroStatusPasses) {
  const auto r = run("  - exec.run: {argv: ['false'], expect_status: 1}\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(ExecStep, KilledBySignalFailsNamingTheSignal) {
  const auto r = run("  - exec.run: {shell: 'kill -TERM $$$$'}\n");  // $$ is roachrun's escape of a literal $
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("command /bin/sh -c 'kill -TERM $$' was killed by signal 15 (SIGTERM)"), std::string::npos) << r.err;
  EXPECT_EQ(step_report(0)["result"]["signal"], "SIGTERM");
  EXPECT_TRUE(step_report(0)["result"]["exit_status"].is_null());
}

TEST_F(ExecStep, TimeoutStopsTheCommandAndFails) {
  const auto start = Clock::now();
  const auto r = run("  - exec.run: {argv: [sleep, '60'], timeout: 1s}\n");
  const auto took = Clock::now() - start;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("command sleep 60 timed out after 1s"), std::string::npos) << r.err;
  EXPECT_LT(took, time_bound(5s));
}

TEST_F(ExecStep, EnvAndCwd) {
  const fs::path work = dir_.path() / "work dir";
  fs::create_directories(work);
  const std::string file = dir_.write("env.yaml", "scenario: exec\n"
                                                 "vars: {greeting: hello}\n"
                                                 "steps:\n"
                                                 "  - exec.run:\n"
                                                 "      shell: 'echo \"$GREETING\" \"$${HOME-no home}\"; pwd'\n"
                                                 "      env: {GREETING: '${greeting}', HOME: null}\n"
                                                 "      cwd: '" + work.string() + "'\n");
  const auto r = roachrun({"run", file, "--target", TestServer::get().url(), "--set", "greeting=hello maxroach"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello maxroach no home\n" + fs::canonical(work).string() + "\n");
}

TEST_F(ExecStep, ShellRunsACommandLine) {
  const auto r = run("  - exec.run: {shell: \"echo b a c | tr ' ' '\\\\n' | sort\"}\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "a\nb\nc\n");
}

TEST_F(ExecStep, ProgramNotFoundIsRefusedAtValidationAndNothingRuns) {
  const fs::path marker = dir_.path() / "ran";
  const auto r = run("  - exec.run: {argv: [touch, '" + marker.string() + "']}\n"
                     "  - exec.run: {argv: [cockroachh, node, drain, '1']}\n");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("s.yaml:4:"), std::string::npos) << "file:line:col of the argv\n" << r.err;
  EXPECT_NE(r.err.find("program 'cockroachh' not found on PATH ("), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(marker)) << "nothing may run when the scenario is invalid";
  // validate says the same, without running anything either.
  const auto v = roachrun({"validate", scenario("  - exec.run: cockroachh\n")});
  EXPECT_EQ(v.exit_code, 2) << v.err;
  EXPECT_NE(v.err.find("program 'cockroachh' not found on PATH"), std::string::npos) << v.err;
}

TEST_F(ExecStep, ArgvAndShellTogetherAreRefused) {
  const auto v = roachrun({"validate", scenario("  - exec.run: {argv: ['true'], shell: 'true'}\n")});
  EXPECT_EQ(v.exit_code, 2) << v.err;
  EXPECT_NE(v.err.find("give exactly one of 'argv'"), std::string::npos) << v.err;
}

TEST_F(ExecStep, CtrlCStopsTheCommandAndExits130) {
  const fs::path pid_file = dir_.path() / "pid";
  // The shell writes its pid (its process group's number), then waits on a child of its own.
  RunningCommand cmd({"run", scenario("  - exec.run: {shell: 'echo $$$$ > \"" + pid_file.string() + "\"; sleep 60; echo done'}\n"),
                      "--target", TestServer::get().url()});
  int group = 0;
  ASSERT_TRUE(eventually(
      [&] {
        std::ifstream in(pid_file);
        return (in >> group) && group > 0;
      },
      time_bound(30s)))
      << cmd.err_so_far();
  const auto start = Clock::now();
  cmd.signal(SIGINT);
  bool killed = false;
  const CommandResult r = cmd.wait_for(time_bound(20s), &killed);
  const auto took = Clock::now() - start;
  EXPECT_FALSE(killed) << r.err;
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_LT(took, time_bound(5s)) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("interrupted"), std::string::npos) << r.err;
  EXPECT_TRUE(eventually([&] { return living_members(group).empty(); }, 2s))
      << "the command's process group " << group << " is still there: " << living_members(group).size() << " processes";
}

}  // namespace
}  // namespace roachrun::test
