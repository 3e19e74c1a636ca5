// Plugins that take down the process loading them, as a user meets them: a plugin directory
// holding one library whose initializer (or factory) exits, aborts, crashes or hangs, next to a
// good one. `roachrun plugins` lists the problem with the library's path and what happened (exit
// 2), `validate` and `run` warn about it and the good plugin's steps still validate and run, each
// in under 2 s; the misbehaving code ran in a scanner process that is gone afterwards. Then the
// cache as the command line uses it: a second run runs no scanner, Ctrl-C ends the wait for a
// hanging one.
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "support/command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"
#include "unit/fixture_plugins.hpp"

namespace roachrun::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Every case finishes in under 2 s with the default time limit; a run that raises the limit
// (ROACHRUN_PLUGIN_SCAN_TIMEOUT, sanitizer builds) waits that much longer for the hanging one.
std::chrono::milliseconds within() {
  return std::max<std::chrono::milliseconds>(2s, plugin_scan_timeout() + 1s);
}

// A plugin directory with one misbehaving library and the good `idle` plugin, a scenario using
// the good one, and a cache directory of its own for every command (each one examines cold).
class Beside {
 public:
  explicit Beside(const std::string& fixture) {
    fs::create_directories(plugins());
    fs::copy_file(fixture_plugin(fixture), bad());
    fs::copy_file(fixture_plugin("idle_steps"), plugins() / "libidle_steps.so");
    scenario_ = tmp_.write("beside.yaml",
                           "scenario: beside\n"
                           "steps:\n"
                           "  - idle.wait: {for: 1ms}\n"
                           "  - sql.query: SELECT 'ran'\n");
  }
  fs::path plugins() const { return tmp_.path() / "plugins"; }
  fs::path bad() const { return plugins() / "libbad.so"; }
  fs::path marker() const { return tmp_.path() / "marker"; }
  const std::string& scenario() const { return scenario_; }
  std::map<std::string, std::string> env(const std::string& cache) const {
    return {{"XDG_CACHE_HOME", (tmp_.path() / cache).string()}, {"ROACHRUN_FIXTURE_MARKER", marker().string()}};
  }
  // The misbehaving code ran (in another process), and that process is gone.
  void expect_its_process_gone() const {
    const pid_t pid = marker_pid(marker());
    ASSERT_GT(pid, 0) << "its code never ran: the test would prove nothing";
    EXPECT_TRUE(process_gone(pid)) << "its scanner (pid " << pid << ") is still there";
    fs::remove(marker());
  }

 private:
  TempDir tmp_;
  std::string scenario_;
};

class MisbehavingPluginCli : public ::testing::TestWithParam<MisbehavingFixture> {};

TEST_P(MisbehavingPluginCli, PluginsListsItAndExitsTwo) {
  const MisbehavingFixture& c = GetParam();
  Beside dir(c.name);
  const auto start = std::chrono::steady_clock::now();
  auto r = roachrun({"--plugin-dir", dir.plugins().string(), "plugins"}, dir.env("cache"));
  EXPECT_LT(since(start), within());
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.out.find("not loaded: " + dir.bad().string() + ": " + c.problem + "\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("idle.wait - Waits"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bank.transfer - "), std::string::npos) << "the bundled plugins load too\n" << r.out;
  dir.expect_its_process_gone();
}

TEST_P(MisbehavingPluginCli, ValidateWarnsAndTheGoodPluginsStepsAreValid) {
  const MisbehavingFixture& c = GetParam();
  Beside dir(c.name);
  const auto start = std::chrono::steady_clock::now();
  auto r = roachrun({"--plugin-dir", dir.plugins().string(), "validate", dir.scenario()}, dir.env("cache"));
  EXPECT_LT(since(start), within());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("plugin " + dir.bad().string() + ": " + c.problem + "\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("valid (2 steps)"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  dir.expect_its_process_gone();
}

TEST_P(MisbehavingPluginCli, RunWarnsAndAScenarioOfTheGoodPluginRuns) {
  const MisbehavingFixture& c = GetParam();
  Beside dir(c.name);
  const std::string url = TestServer::get().url();  // started before the clock
  const auto start = std::chrono::steady_clock::now();
  auto r = roachrun({"--plugin-dir", dir.plugins().string(), "run", dir.scenario(), "--target", url}, dir.env("cache"));
  EXPECT_LT(since(start), within());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("plugin " + dir.bad().string() + ": " + c.problem + "\n"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "['ran']\n") << "stdout carries only what the steps print";
  dir.expect_its_process_gone();
}

INSTANTIATE_TEST_SUITE_P(Examination, MisbehavingPluginCli, ::testing::ValuesIn(misbehaving_fixtures()),
                         [](const auto& p) { return p.param.name; });

TEST(PluginCacheCli, ASecondRunRunsNoScannerAndSaysTheSame) {
  Beside dir("init_abort");
  const std::vector<std::string> args = {"--log-level", "debug", "--plugin-dir", dir.plugins().string(), "plugins"};
  auto first = roachrun(args, dir.env("cache"));
  EXPECT_EQ(first.exit_code, 2);
  EXPECT_NE(first.err.find("examining 2 plugin libraries out of process"), std::string::npos) << first.err;
  dir.expect_its_process_gone();

  auto second = roachrun(args, dir.env("cache"));
  EXPECT_EQ(second.exit_code, 2);
  EXPECT_EQ(second.err.find("examining"), std::string::npos) << second.err;
  EXPECT_EQ(second.out, first.out);
  EXPECT_FALSE(fs::exists(dir.marker())) << "the aborting library's code ran again";

  // Without a scanner at all it is still the same: nothing needed examining.
  auto env = dir.env("cache");
  env["ROACHRUN_PLUGIN_SCANNER"] = "/nonexistent/roachrun-plugin-scanner";
  auto third = roachrun(args, env);
  EXPECT_EQ(third.exit_code, 2);
  EXPECT_EQ(third.out, first.out);
  // Control: with an empty cache, that scanner is needed and missing.
  auto cold = roachrun(args, [&] {
    auto e = dir.env("other-cache");
    e["ROACHRUN_PLUGIN_SCANNER"] = "/nonexistent/roachrun-plugin-scanner";
    return e;
  }());
  EXPECT_NE(cold.out.find("not loaded: " + dir.bad().string() +
                          ": not examined: the plugin scanner /nonexistent/roachrun-plugin-scanner cannot be run"),
            std::string::npos)
      << cold.out;
}

// Ctrl-C while a hanging library is examined: `run` ends the wait at once (exit 130), and the
// scanner goes with it. `validate` and `plugins` install no handler: Ctrl-C ends them as it ends
// any program, and their scanners are sent SIGKILL as they go.
TEST(PluginCacheCli, CtrlCEndsTheWaitForAHangingPlugin) {
  Beside dir("init_hang");
  auto env = dir.env("cache");
  env["ROACHRUN_PLUGIN_SCAN_TIMEOUT"] = "60s";
  RunningCommand run({"--plugin-dir", dir.plugins().string(), "run", dir.scenario(), "--target", TestServer::get().url()},
                     env);
  for (int i = 0; i < 500 && marker_pid(dir.marker()) <= 0; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_GT(marker_pid(dir.marker()), 0) << run.err_so_far();
  const auto start = std::chrono::steady_clock::now();
  run.signal(SIGINT);
  bool killed = false;
  auto r = run.wait_for(5s, &killed);
  EXPECT_FALSE(killed) << r.err;
  EXPECT_LT(since(start), 1s);
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_EQ(r.out, "");
  dir.expect_its_process_gone();

  for (const std::vector<std::string>& command : {std::vector<std::string>{"validate", dir.scenario()},
                                                   std::vector<std::string>{"plugins"}}) {
    std::vector<std::string> args = {"--plugin-dir", dir.plugins().string()};
    args.insert(args.end(), command.begin(), command.end());
    RunningCommand other(args, env);
    for (int i = 0; i < 500 && marker_pid(dir.marker()) <= 0; ++i) std::this_thread::sleep_for(10ms);
    const pid_t scanner = marker_pid(dir.marker());
    ASSERT_GT(scanner, 0) << command[0] << ": " << other.err_so_far();
    other.signal(SIGINT);
    auto ended = other.wait_for(2s, &killed);
    EXPECT_FALSE(killed) << command[0];
    EXPECT_EQ(ended.exit_code, 128 + SIGINT) << command[0] << ": " << ended.err;
    EXPECT_TRUE(process_ends(scanner, 1s)) << command[0] << ": its scanner (pid " << scanner << ") is still running";
    fs::remove(dir.marker());
  }
}

}  // namespace
}  // namespace roachrun::test
