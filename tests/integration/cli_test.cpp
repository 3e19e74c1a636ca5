// The roachrun executable as a user runs it: exit codes, what goes to stdout and stderr, usage.
#include <gtest/gtest.h>

#include "roachrun/sdk_version.hpp"  // ROACHRUN_VERSION
#include "roachrun/version.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"

namespace roachrun::test {
namespace {

TEST(Cli, VersionAndHelpExitZero) {
  auto version = roachrun({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("roachrun " ROACHRUN_VERSION " (plugin SDK " + std::to_string(kSdkVersionMajor) + "." +
                             std::to_string(kSdkVersionMinor) + ")"),
            std::string::npos)
      << version.out;

  auto help = roachrun({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* word : {"run", "validate", "plugins", "--plugin-dir", "--log-level"})
    EXPECT_NE(help.out.find(word), std::string::npos) << word;
}

TEST(Cli, BadUsageExitsTwo) {
  EXPECT_EQ(roachrun({}).exit_code, 2);
  EXPECT_EQ(roachrun({"frobnicate"}).exit_code, 2);
  auto missing = roachrun({"run", "/nonexistent/scenario.yaml"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("/nonexistent/scenario.yaml"), std::string::npos) << missing.err;
  EXPECT_EQ(roachrun({"--log-level", "loud", "plugins"}).exit_code, 2);
}

TEST(Cli, BadSetExitsTwo) {
  TempDir dir;
  auto file = dir.write("s.yaml", "scenario: s\nsteps:\n  - sql.exec: SELECT 1\n");
  auto r = roachrun({"validate", file, "--set", "novalue"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--set expects NAME=VALUE"), std::string::npos) << r.err;
}

TEST(Cli, PluginsListsStepTypesAndParameters) {
  auto r = roachrun({"plugins"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* word : {"bank.transfer", "bank.print_balances", "admin.create_user", "admin.grant", "sql.exec",
                           "sql.query", "amount (integer, required, min 1)", "max_retries", "nodes.kill", "nodes.wait",
                           "node (string, required)", "after (duration, default \"0s\")", "exec.run",
                           "timeout (duration, default \"60s\")", "expect_status (integer, default 0, min 0, max 255)",
                           "time.sleep", "duration (duration, required)"})
    EXPECT_NE(r.out.find(word), std::string::npos) << word << "\n" << r.out;
}

TEST(Cli, ValidateReportsEveryProblemWithLocationAndExitsTwo) {
  TempDir dir;
  auto file = dir.write("bad.yaml",
                        "scenario: bad\n"
                        "steps:\n"
                        "  - bank.transfr: {from: 1, to: 2, amount: 100}\n"
                        "  - bank.transfer: {from: 1, to: 2, amount: lots}\n"
                        "  - sql.query: {sql: \"SELECT ${nope}\"}\n");
  auto r = roachrun({"validate", file});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(file + ":3:5: step 1: unknown step type 'bank.transfr' (did you mean 'bank.transfer'?)"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(file + ":4:45: step 2 (bank.transfer): parameter 'amount' must be a whole number, got 'lots'"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(file + ":5:30: step 3 (sql.query): undefined variable 'nope'"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(Cli, ValidAccepted) {
  auto r = roachrun({"validate", std::string(ROACHRUN_SOURCE_DIR) + "/scenarios/bank-insecure.yaml"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("valid (8 steps)"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(Cli, BrokenLibraryInPluginDirIsReportedAndDoesNotStopTheOthers) {
  TempDir dir;
  dir.write("plugins/libbroken.so", "this is not an ELF file");
  auto file = dir.write("s.yaml", "scenario: s\nsteps:\n  - sql.exec: SELECT 1\n");
  auto r = roachrun({"--plugin-dir", (dir.path() / "plugins").string(), "validate", file});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find((dir.path() / "plugins/libbroken.so").string() + ": not a loadable shared library"),
            std::string::npos)
      << r.err;

  auto listing = roachrun({"--plugin-dir", (dir.path() / "plugins").string(), "plugins"});
  EXPECT_EQ(listing.exit_code, 2) << "a plugin that does not load is an invalid plugin";
  EXPECT_NE(listing.out.find("not loaded: " + (dir.path() / "plugins/libbroken.so").string()), std::string::npos)
      << listing.out;
  EXPECT_NE(listing.out.find("bank.transfer"), std::string::npos) << "the good plugins still load";
}

TEST(Cli, PluginPathFromEnvironment) {
  TempDir dir;
  dir.write("env-plugins/libbroken.so", "junk");
  auto r = roachrun({"plugins"}, {{"ROACHRUN_PLUGIN_PATH", (dir.path() / "env-plugins").string()}});
  EXPECT_NE(r.out.find("not loaded: " + (dir.path() / "env-plugins/libbroken.so").string()), std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace roachrun::test
