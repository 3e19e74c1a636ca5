// The insecure tutorial end to end, as the README tells a user to run it.
#include <gtest/gtest.h>

#include <regex>

#include "support/command.hpp"
#include "support/test_server.hpp"

namespace roachrun::test {
namespace {

const std::string kScenario = std::string(ROACHRUN_SOURCE_DIR) + "/scenarios/bank-insecure.yaml";

// The tutorial's six lines, the timestamps as Python's time.asctime() prints them.
void expect_tutorial_output(const std::string& out) {
  static const std::regex expected(
      "Balances at [A-Z][a-z]{2} [A-Z][a-z]{2} [ 123][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}\n"
      "\\['1', '1000'\\]\n"
      "\\['2', '250'\\]\n"
      "Balances at [A-Z][a-z]{2} [A-Z][a-z]{2} [ 123][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}\n"
      "\\['1', '900'\\]\n"
      "\\['2', '350'\\]\n");
  EXPECT_TRUE(std::regex_match(out, expected)) << "stdout was:\n" << out;
}

TEST(Tutorial, InsecureScenarioOnLocalTargetPrintsTheTutorialOutput) {
  auto r = roachrun({"run", kScenario});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_tutorial_output(r.out);
  // Progress goes to stderr, never stdout.
  EXPECT_NE(r.err.find("[8/8] Delete the accounts"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("8 of 8 steps passed"), std::string::npos) << r.err;
}

TEST(Tutorial, QuietRunPrintsOnlyTheTutorialOutput) {
  auto r = roachrun({"-q", "run", kScenario});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_tutorial_output(r.out);
  EXPECT_EQ(r.err, "");
}

TEST(Tutorial, QuietRunKeepsServerNoticesOffStderr) {
  // The second run meets an existing table: the server's NOTICE ("already exists, skipping")
  // is a diagnostic for the log, not output, and -q silences it.
  const std::string url = TestServer::get().url();
  for (int run = 1; run <= 2; ++run) {
    auto r = roachrun({"-q", "run", kScenario, "--target", url});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_tutorial_output(r.out);
    EXPECT_EQ(r.err, "") << "run " << run;
  }
}

TEST(Tutorial, RunsTwiceInARowAgainstTheSameServer) {
  // Against a running server (as against a CockroachDB cluster), the scenario must be
  // idempotent: the user, database and grants exist the second time, the rows were deleted.
  const std::string url = TestServer::get().url();
  for (int run = 1; run <= 2; ++run) {
    auto r = roachrun({"run", kScenario, "--target", url});
    ASSERT_EQ(r.exit_code, 0) << "run " << run << ":\n" << r.err;
    expect_tutorial_output(r.out);
  }
  // The tutorial's last step deletes the rows so the program can run again.
  Connection bank = TestServer::get().connect("maxroach", "bank");
  EXPECT_EQ(bank.exec_simple("SELECT count(*) FROM accounts").integer(0, 0), 0);
}

TEST(Tutorial, SetOverridesTheAmount) {
  auto r = roachrun({"run", kScenario, "--target", TestServer::get().url(), "--set", "amount=250"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("['1', '750']\n['2', '500']\n"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace roachrun::test
