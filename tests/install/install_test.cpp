// The installed roachrun, as someone who never cloned it uses it: `cmake --install` into a
// temporary prefix, examples/plugin-hello built against that prefix with find_package(roachrun),
// its scenario run by the installed executable from another directory (its plugins examined by
// the installed scanner), also after stripping the plugin as distributions do, the prefix moved
// and still working, find_package(roachrun X.Y) accepting exactly the compatible SDK versions,
// and a plugin of another SDK major refused with both versions and its path.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "roachrun/sdk_version.hpp"  // ROACHRUN_VERSION
#include "roachrun/version.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

namespace roachrun::test {
namespace {

namespace fs = std::filesystem;

// The environment of every installed run: no plugin path inherited from whoever runs the tests.
const std::map<std::string, std::string> kEnv = {{"ROACHRUN_PLUGIN_PATH", ""}};

CommandResult cmake(const std::vector<std::string>& args) { return run_program(ROACHRUN_CMAKE_COMMAND, args); }

std::string sdk_version(int major, int minor) { return std::to_string(major) + "." + std::to_string(minor); }

// CMake wraps its messages at about 80 columns: compare them with single spaces.
std::string one_line(const std::string& text) { return std::regex_replace(text, std::regex("\\s+"), " "); }

class Install : public ::testing::Test {
 protected:
  // One install and one build of the example for all tests: they take most of this binary's time.
  static void SetUpTestSuite() {
    tmp_ = new TempDir;
    prefix_ = tmp_->path() / "prefix";
    auto install = cmake({"--install", ROACHRUN_BINARY_DIR, "--prefix", prefix_.string()});
    ASSERT_EQ(install.exit_code, 0) << install.out << install.err;

    hello_build_ = tmp_->path() / "hello-build";
    auto configure = cmake({"-S", std::string(ROACHRUN_SOURCE_DIR) + "/examples/plugin-hello", "-B",
                            hello_build_.string(), "-G", ROACHRUN_CMAKE_GENERATOR,
                            "-DCMAKE_CXX_COMPILER=" ROACHRUN_CXX_COMPILER, "-DCMAKE_PREFIX_PATH=" + prefix_.string(),
                            "-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF"});
    ASSERT_EQ(configure.exit_code, 0) << configure.out << configure.err;
    auto build = cmake({"--build", hello_build_.string()});
    ASSERT_EQ(build.exit_code, 0) << build.out << build.err;
  }
  static void TearDownTestSuite() {
    delete tmp_;
    tmp_ = nullptr;
  }

  static TempDir* tmp_;
  static fs::path prefix_;
  static fs::path hello_build_;
};

TempDir* Install::tmp_ = nullptr;
fs::path Install::prefix_;
fs::path Install::hello_build_;

TEST_F(Install, LayoutOfThePrefix) {
  for (const char* file : {"bin/roachrun", "libexec/roachrun/roachrun-plugin-scanner", "lib/libroachrun_sdk.so", "lib/roachrun/plugins/libroachrun_sql.so",
                           "lib/roachrun/plugins/libroachrun_admin.so", "lib/roachrun/plugins/libroachrun_bank.so",
                           "lib/roachrun/plugins/libroachrun_certs.so", "lib/roachrun/plugins/libroachrun_nodes.so",
                           "lib/roachrun/plugins/libroachrun_exec.so", "lib/roachrun/plugins/libroachrun_time.so",
                           "include/roachrun/roachrun.hpp", "include/roachrun/plugin.hpp",
                           "include/roachrun/faults.hpp", "include/roachrun/local_nodes.hpp",
                           "include/roachrun/sdk_version.hpp",
                           "share/roachrun/scenarios/bank-insecure.yaml", "lib/cmake/roachrun/roachrun-config.cmake",
                           "lib/cmake/roachrun/roachrun-config-version.cmake",
                           "lib/cmake/roachrun/roachrun-targets.cmake", "lib/cmake/roachrun/RoachrunPlugin.cmake"})
    EXPECT_TRUE(fs::exists(prefix_ / file)) << file;
  EXPECT_TRUE(fs::exists(prefix_ / ("lib/libroachrun_sdk.so." + std::to_string(kSdkVersionMajor))));
}

TEST_F(Install, HelloPluginBuiltAgainstTheInstalledSdkRuns) {
  const fs::path plugin = hello_build_ / "libroachrun_hello.so";
  ASSERT_TRUE(fs::exists(plugin));
  // From a directory that is neither the build tree nor the prefix; the bundled plugins need no flag.
  const auto elsewhere = tmp_->path() / "elsewhere";
  fs::create_directories(elsewhere);
  auto r = run_program((prefix_ / "bin/roachrun").string(),
                       {"--plugin-dir", hello_build_.string(), "run",
                        std::string(ROACHRUN_SOURCE_DIR) + "/examples/plugin-hello/hello.yaml", "--target",
                        TestServer::get().url(), "--set", "who=maxroach"},
                       kEnv, elsewhere.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Hello, maxroach!\n");

  auto plugins = run_program((prefix_ / "bin/roachrun").string(), {"--plugin-dir", hello_build_.string(), "plugins"},
                             kEnv, elsewhere.string());
  ASSERT_EQ(plugins.exit_code, 0) << plugins.out << plugins.err;
  EXPECT_NE(plugins.out.find("hello.greet - Prints a greeting the database composed"), std::string::npos)
      << plugins.out;
  EXPECT_NE(plugins.out.find("who (string, default \"world\"): whom to greet"), std::string::npos) << plugins.out;
  EXPECT_NE(plugins.out.find("(" + (prefix_ / "lib/roachrun/plugins/libroachrun_sql.so").string() + ")"),
            std::string::npos)
      << "the installed roachrun loads the installed plugins, not the build tree's\n"
      << plugins.out;
}

// The installed roachrun examines plugins with the installed scanner, beside it, not the build
// tree's: with a cache of its own, the first run examines them, the second runs no scanner.
TEST_F(Install, InstalledRoachrunExaminesPluginsWithItsOwnScanner) {
  TempDir cache;
  auto env = kEnv;
  env["XDG_CACHE_HOME"] = cache.path().string();
  const std::string scanner = (prefix_ / "libexec/roachrun/roachrun-plugin-scanner").string();
  auto first = run_program((prefix_ / "bin/roachrun").string(), {"--log-level", "debug", "plugins"}, env, "/");
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_NE(first.err.find("examining 7 plugin libraries out of process with " + scanner + ":"), std::string::npos)
      << first.err;
  auto second = run_program((prefix_ / "bin/roachrun").string(), {"--log-level", "debug", "plugins"}, env, "/");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.err.find("examining"), std::string::npos) << second.err;
  EXPECT_EQ(second.out, first.out);
}

// Distributions strip what they package (dh_strip: --strip-unneeded); `strip` alone strips all.
TEST_F(Install, HelloPluginStrippedAsDistributionsStripStillRuns) {
  for (const std::string how : {"--strip-unneeded", "--strip-all"}) {
    const fs::path dir = tmp_->path() / ("stripped" + how);
    fs::create_directories(dir);
    const fs::path plugin = dir / "libroachrun_hello.so";
    fs::copy_file(hello_build_ / "libroachrun_hello.so", plugin, fs::copy_options::overwrite_existing);
    auto strip = run_program(ROACHRUN_STRIP_COMMAND, {how, plugin.string()});
    ASSERT_EQ(strip.exit_code, 0) << strip.err;
    ASSERT_EQ(read_file(plugin).find(std::string("\0.symtab\0", 9)), std::string::npos)
        << how << " left the full symbol table: this test would prove nothing";

    auto r = run_program((prefix_ / "bin/roachrun").string(),
                         {"--plugin-dir", dir.string(), "run",
                          std::string(ROACHRUN_SOURCE_DIR) + "/examples/plugin-hello/hello.yaml", "--target",
                          TestServer::get().url(), "--set", "who=stripped"},
                         kEnv, "/");
    ASSERT_EQ(r.exit_code, 0) << how << "\n" << r.err;
    EXPECT_EQ(r.out, "Hello, stripped!\n") << how;
  }
}

// What a plugin's CMakeLists.txt asks for: find_package(roachrun <requested> CONFIG REQUIRED).
CommandResult find_roachrun(const fs::path& prefix, const fs::path& work, const std::string& requested) {
  const fs::path source = work / ("probe-" + requested);
  fs::create_directories(source);
  std::ofstream(source / "CMakeLists.txt") << "cmake_minimum_required(VERSION 3.25)\n"
                                              "project(probe LANGUAGES CXX)\n"
                                              "find_package(roachrun " << requested << " CONFIG REQUIRED)\n"
                                              "message(STATUS \"roachrun ${roachrun_VERSION} SDK ${roachrun_SDK_VERSION}\")\n";
  return cmake({"-S", source.string(), "-B", (source / "build").string(), "-G", ROACHRUN_CMAKE_GENERATOR,
                "-DCMAKE_CXX_COMPILER=" ROACHRUN_CXX_COMPILER, "-DCMAKE_PREFIX_PATH=" + prefix.string(),
                "-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF"});
}

TEST_F(Install, FindPackageAcceptsTheSdkVersionAndAnOlderMinorOfItsMajor) {
  const std::string found = "roachrun " ROACHRUN_VERSION " SDK " + sdk_version(kSdkVersionMajor, kSdkVersionMinor);
  for (const std::string& requested : {sdk_version(kSdkVersionMajor, kSdkVersionMinor), std::to_string(kSdkVersionMajor),
                                      sdk_version(kSdkVersionMajor, 0)}) {
    auto r = find_roachrun(prefix_, tmp_->path(), requested);
    ASSERT_EQ(r.exit_code, 0) << requested << "\n" << r.out << r.err;
    EXPECT_NE(r.out.find(found), std::string::npos) << requested << "\n" << r.out;
  }
  EXPECT_EQ(std::string(ROACHRUN_VERSION).rfind(sdk_version(kSdkVersionMajor, kSdkVersionMinor) + ".", 0), 0u)
      << "roachrun's version is the SDK's MAJOR.MINOR and a patch level: " << ROACHRUN_VERSION;
}

TEST_F(Install, FindPackageRefusesAnotherMajorAndANewerMinorByTheirVersion) {
  const std::string config = (prefix_ / "lib/cmake/roachrun/roachrun-config.cmake").string();
  for (const std::string& requested :
       {sdk_version(kSdkVersionMajor + 1, 0), sdk_version(kSdkVersionMajor - 1, 0),
        sdk_version(kSdkVersionMajor, kSdkVersionMinor + 1)}) {
    auto r = find_roachrun(prefix_, tmp_->path(), requested);
    EXPECT_NE(r.exit_code, 0) << requested << "\n" << r.out;
    // The package was found and refused by its version, not missing.
    const std::string err = one_line(r.err);
    EXPECT_NE(err.find("Could not find a configuration file for package \"roachrun\" that is compatible with "
                       "requested version \"" + requested + "\""),
              std::string::npos)
        << requested << "\n" << r.err;
    EXPECT_NE(err.find(config + ", version: " ROACHRUN_VERSION), std::string::npos) << requested << "\n" << r.err;
  }
}

TEST_F(Install, RelocatedPrefixStillFindsItsPluginsAndRunsTheTutorial) {
  const fs::path moved = tmp_->path() / "moved" / "somewhere";
  fs::create_directories(moved.parent_path());
  fs::copy(prefix_, moved, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  // Hide the original prefix while the copy runs, so nothing can be found there by accident.
  const fs::path hidden = tmp_->path() / "hidden";
  fs::rename(prefix_, hidden);
  auto r = run_program((moved / "bin/roachrun").string(), {"plugins"}, kEnv, "/");
  auto tutorial = run_program((moved / "bin/roachrun").string(),
                              {"run", (moved / "share/roachrun/scenarios/bank-insecure.yaml").string(), "--target",
                               TestServer::get().url()},
                              kEnv, "/");
  fs::rename(hidden, prefix_);

  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* step : {"sql.exec", "admin.create_user", "bank.transfer", "certs.create_ca", "nodes.kill", "exec.run",
                          "time.sleep"})
    EXPECT_NE(r.out.find(step), std::string::npos) << step << "\n" << r.out;
  EXPECT_NE(r.out.find("(" + (moved / "lib/roachrun/plugins/libroachrun_bank.so").string() + ")"), std::string::npos)
      << r.out;
  ASSERT_EQ(tutorial.exit_code, 0) << tutorial.err;
  EXPECT_NE(tutorial.out.find("['1', '900']\n['2', '350']\n"), std::string::npos) << tutorial.out;
}

TEST_F(Install, PluginOfAnotherSdkMajorIsRefusedWithBothVersionsAndItsPath) {
  const fs::path dir = tmp_->path() / "wrong";
  fs::create_directories(dir);
  const fs::path wrong = dir / "libwrong_abi.so";
  fs::copy_file(fs::path(ROACHRUN_FIXTURE_PLUGIN_DIR) / "wrong_abi" / "libwrong_abi.so", wrong,
                fs::copy_options::overwrite_existing);
  const std::string reason = wrong.string() + ": built against roachrun SDK " + std::to_string(kSdkVersionMajor + 1) +
                             "." + std::to_string(kSdkVersionMinor) + ", but this roachrun provides SDK " +
                             std::to_string(kSdkVersionMajor) + "." + std::to_string(kSdkVersionMinor);

  auto listing = run_program((prefix_ / "bin/roachrun").string(), {"--plugin-dir", dir.string(), "plugins"}, kEnv, "/");
  EXPECT_EQ(listing.exit_code, 2);
  EXPECT_NE(listing.out.find("not loaded: " + reason), std::string::npos) << listing.out;
  EXPECT_NE(listing.out.find("sql.exec"), std::string::npos) << "the others still load\n" << listing.out;

  auto validate = run_program((prefix_ / "bin/roachrun").string(),
                              {"--plugin-dir", dir.string(), "validate",
                               (prefix_ / "share/roachrun/scenarios/bank-insecure.yaml").string()},
                              kEnv, "/");
  EXPECT_EQ(validate.exit_code, 0) << validate.err;
  EXPECT_NE(validate.err.find("plugin " + reason), std::string::npos) << validate.err;
}

}  // namespace
}  // namespace roachrun::test
