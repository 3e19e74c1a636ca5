// engine/plugin_examiner.hpp: the scanner processes, their limits, Ctrl-C, a scanner that cannot run.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "engine/plugin_examiner.hpp"
#include "fixture_plugins.hpp"
#include "roachrun/error.hpp"
#include "support/scoped_env.hpp"
#include "support/temp_dir.hpp"

namespace roachrun {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::ScopedEnv;

ExaminerOptions options(std::chrono::milliseconds timeout, const std::atomic<bool>* interrupted = nullptr) {
  return ExaminerOptions{plugin_scanner_path(), timeout, interrupted};
}

TEST(PluginExaminer, TheScannerIsBesideTheProgramOrWhereTheEnvironmentSays) {
  {
    ScopedEnv env("ROACHRUN_PLUGIN_SCANNER", std::nullopt);
    const fs::path scanner = plugin_scanner_path();
    EXPECT_EQ(scanner.filename(), "roachrun-plugin-scanner");
    EXPECT_EQ(fs::weakly_canonical(scanner.parent_path()), fs::weakly_canonical(ROACHRUN_BINARY_DIR "/libexec/roachrun"));
    EXPECT_TRUE(fs::exists(scanner));
  }
  ScopedEnv env("ROACHRUN_PLUGIN_SCANNER", std::string("/opt/scanner"));
  EXPECT_EQ(plugin_scanner_path(), fs::path("/opt/scanner"));
}

TEST(PluginExaminer, TheTimeLimitComesFromTheEnvironment) {
  {
    ScopedEnv env("ROACHRUN_PLUGIN_SCAN_TIMEOUT", std::nullopt);
    EXPECT_EQ(plugin_scan_timeout(), kDefaultPluginScanTimeout);
  }
  for (const auto& [text, ms] : std::vector<std::pair<std::string, long>>{{"250ms", 250}, {"1.5s", 1500}, {"10", 10000}}) {
    ScopedEnv env("ROACHRUN_PLUGIN_SCAN_TIMEOUT", text);
    EXPECT_EQ(plugin_scan_timeout().count(), ms) << text;
  }
  for (const char* bad : {"soon", "0s", "-1s"}) {
    ScopedEnv env("ROACHRUN_PLUGIN_SCAN_TIMEOUT", std::string(bad));
    try {
      plugin_scan_timeout();
      ADD_FAILURE() << bad << " was accepted";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("ROACHRUN_PLUGIN_SCAN_TIMEOUT: '") + bad + "'"), std::string::npos)
          << e.what();
    }
  }
}

TEST(PluginExaminer, ReportsAGoodPluginsDescription) {
  auto found = examine_out_of_process({test::fixture_plugin("fixture_steps")}, options(5s));
  ASSERT_EQ(found.size(), 1u);
  ASSERT_TRUE(found[0].ok()) << found[0].problem;
  EXPECT_EQ(found[0].name, "fixture");
  EXPECT_EQ(found[0].doc, "Step types for the unit tests");
  EXPECT_EQ(found[0].step_types,
            (std::vector<std::string>{"echo", "types", "transfer", "nothing", "defaults", "bad_default"}));
  EXPECT_FALSE(found[0].certificate_authority);
}

// What the file is decides a refusal, and it is remembered; a library the dynamic loader cannot
// load may load once its dependency is installed, so that is not.
TEST(PluginExaminer, AnIntrinsicProblemIsDefinitiveAndALoadErrorIsNot) {
  test::TempDir tmp;
  std::string bytes = test::read_file(test::fixture_plugin("fixture_steps"));
  const std::string needed = std::string("libgcc_s.so.1") + '\0', missing = std::string("libgcx_s.so.1") + '\0';
  size_t replaced = 0;
  for (size_t at = bytes.find(needed); at != std::string::npos; at = bytes.find(needed, at + 1), ++replaced)
    bytes.replace(at, missing.size(), missing);
  ASSERT_GT(replaced, 0u) << "the fixture does not link libgcc_s";
  const std::string unloadable = tmp.write("libunloadable.so", bytes);

  auto found = examine_out_of_process(
      {test::fixture_plugin("wrong_abi"), tmp.write("junk.so", "this is not an ELF file"), unloadable}, options(5s));
  ASSERT_EQ(found.size(), 3u);
  EXPECT_TRUE(found[0].definitive);
  EXPECT_EQ(found[0].problem.rfind("built against roachrun SDK ", 0), 0u) << found[0].problem;
  EXPECT_TRUE(found[1].definitive);
  EXPECT_EQ(found[1].problem, "not a loadable shared library: not an ELF file");
  EXPECT_FALSE(found[2].definitive);
  EXPECT_EQ(found[2].problem.rfind("failed to load: ", 0), 0u) << found[2].problem;
  EXPECT_NE(found[2].problem.find("libgcx_s.so.1"), std::string::npos) << found[2].problem;
}

// Four hanging libraries take one time limit, not four: they are examined side by side.
TEST(PluginExaminer, LibrariesAreExaminedSideBySideEachWithinItsLimit) {
  test::TempDir tmp;
  std::vector<fs::path> libs;
  for (int i = 0; i < 4; ++i) {
    libs.push_back(tmp.path() / ("libhang" + std::to_string(i) + ".so"));
    fs::copy_file(test::fixture_plugin("init_hang"), libs.back());
  }
  const auto start = std::chrono::steady_clock::now();
  auto found = examine_out_of_process(libs, options(400ms));
  const auto took = test::since(start);
  EXPECT_GE(took, 400ms);
  EXPECT_LT(took, 1000ms);
  for (const auto& e : found) {
    EXPECT_EQ(e.problem, "did not finish loading within 0.4 s while being examined (ROACHRUN_PLUGIN_SCAN_TIMEOUT sets the limit)");
    EXPECT_FALSE(e.definitive);
  }
}

// Ctrl-C (the interrupted flag) ends the wait at once and leaves no scanner behind.
TEST(PluginExaminer, AnInterruptionEndsTheWaitAndKillsTheScanners) {
  test::TempDir tmp;
  const fs::path marker = tmp.path() / "marker";
  ScopedEnv env("ROACHRUN_FIXTURE_MARKER", marker.string());
  std::atomic<bool> interrupted{false};
  std::thread ctrl_c([&] {
    for (int i = 0; i < 500 && test::marker_pid(marker) <= 0; ++i) std::this_thread::sleep_for(10ms);
    interrupted = true;
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(examine_out_of_process({test::fixture_plugin("init_hang")}, options(30s, &interrupted)), Interrupted);
  ctrl_c.join();
  EXPECT_LT(test::since(start), 2s);
  const pid_t pid = test::marker_pid(marker);
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(test::process_gone(pid)) << "the scanner is still there";
}

TEST(PluginExaminer, AScannerThatCannotRunExaminesNothing) {
  test::TempDir tmp;
  const std::string not_executable = tmp.write("scanner", "#!/bin/sh\n");
  for (const std::string& scanner : {std::string("/nonexistent/scanner"), not_executable}) {
    auto found = examine_out_of_process({test::fixture_plugin("fixture_steps")},
                                        ExaminerOptions{scanner, 5s, nullptr});
    ASSERT_EQ(found.size(), 1u);
    EXPECT_FALSE(found[0].definitive);
    EXPECT_EQ(found[0].problem.rfind("not examined: the plugin scanner " + scanner + " cannot be run (", 0), 0u)
        << found[0].problem;
  }
  // One that runs but is not a scanner: no phase, so it never got to the library.
  auto found = examine_out_of_process({test::fixture_plugin("fixture_steps")}, ExaminerOptions{"/bin/false", 5s, nullptr});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_FALSE(found[0].definitive);
  EXPECT_EQ(found[0].problem, "not examined: the plugin scanner /bin/false called exit(1) before loading it");
}

}  // namespace
}  // namespace roachrun
