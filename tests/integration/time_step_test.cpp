// time.sleep through the roachrun binary: the shorthand `time.sleep: 300ms` waits that long and
// says so in the report; Ctrl-C ends a long sleep at once (exit 130).
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"
#include "support/time_bound.hpp"

namespace roachrun::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

TEST(TimeSleep, WaitsTheDurationGivenByTheShorthand) {
  TempDir dir;
  const fs::path report = dir.path() / "report.json";
  const std::string file = dir.write("s.yaml", "scenario: sleep\nsteps:\n  - time.sleep: 300ms\n");
  const auto start = Clock::now();
  const auto r = roachrun({"run", file, "--target", TestServer::get().url(), "--report", "json=" + report.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GE(Clock::now() - start, 300ms);
  EXPECT_EQ(r.out, "");
  std::ifstream in(report);
  const auto result = nlohmann::json::parse(in)["scenarios"][0]["steps"][0]["result"];
  EXPECT_GE(result["slept_ms"].get<int>(), 300) << result.dump();
  EXPECT_LT(result["slept_ms"].get<int>(), 1000) << result.dump();
}

TEST(TimeSleep, ADurationThatIsNotOneIsRefused) {
  TempDir dir;
  const auto r = roachrun({"validate", dir.write("s.yaml", "scenario: sleep\nsteps:\n  - time.sleep: soon\n")});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("s.yaml:3:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("parameter 'duration' must be a duration"), std::string::npos) << r.err;
}

TEST(TimeSleep, CtrlCEndsItAtOnce) {
  TempDir dir;
  const fs::path marker = dir.path() / "sleeping";
  // The step before the sleep leaves a mark: then the sleep has started (or is about to).
  const std::string file = dir.write("s.yaml", "scenario: sleep\nsteps:\n"
                                               "  - exec.run: {argv: [touch, '" + marker.string() + "']}\n"
                                               "  - time.sleep: 60s\n"
                                               "  - exec.run: {argv: [echo, never]}\n");
  RunningCommand cmd({"run", file, "--target", TestServer::get().url()});
  const auto deadline = Clock::now() + time_bound(30s);
  while (!fs::exists(marker) && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(fs::exists(marker)) << cmd.err_so_far();
  std::this_thread::sleep_for(200ms);
  const auto start = Clock::now();
  cmd.signal(SIGINT);
  bool killed = false;
  const CommandResult r = cmd.wait_for(time_bound(20s), &killed);
  const auto took = Clock::now() - start;
  EXPECT_FALSE(killed) << r.err;
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_LT(took, time_bound(1s)) << r.err;
  EXPECT_EQ(r.out, "") << "the step after the sleep does not run";
}

}  // namespace
}  // namespace roachrun::test
