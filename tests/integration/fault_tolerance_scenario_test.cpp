// scenarios/fault-tolerance.yaml as a user runs it (issue 15, item 8): on the README's default
// set-up (the single local server), a ledger-backed workload in one branch of a parallel block
// while the other stops the server and starts it again; afterwards every committed transfer is in
// the ledger once (the scenario's own check, with the workload's `committed` captured) and the
// audit holds. The outage (3 s from the start, 3 s down) ends well before the 12 s workload. Then the server and its directory are gone.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "support/command.hpp"
#include "support/local_server_gone.hpp"
#include "support/temp_dir.hpp"
#include "support/workload.hpp"

namespace roachrun::test {
namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

class FaultToleranceScenario : public ::testing::TestWithParam<std::string> {};

TEST_P(FaultToleranceScenario, TheWorkloadRidesThroughTheOutageAndNothingIsLost) {
  TempDir tmp;
  const std::string report = (tmp.path() / "r.json").string();
  auto cmd = RunningCommand({"run", std::string(ROACHRUN_SOURCE_DIR) + "/scenarios/fault-tolerance.yaml", "--set",
                             "mode=" + GetParam(), "--set", "duration=12s", "--report",
                             "json=" + report});
  const CommandResult r = finish(cmd, std::chrono::seconds(120));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;

  const std::int64_t committed = number(r.out, std::regex("\ntransfers: ([0-9]+) committed"));
  EXPECT_GT(committed, 0) << r.out;
  // The outage in the summary: at least one, the clients without a connection for a while.
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\nfaults: [1-9][0-9]* outages?, [0-9.]+ s without a connection")))
      << r.out;
  // The scenario's own check passed: the ledger has every committed transfer, none twice.
  EXPECT_TRUE(contains(r.out, "\n['t', 't']\n")) << r.out;
  const std::string ok = "audit: ok (1000 accounts, total 1000000 = 1000 x 1000, none negative, ledger consistent)\n";
  const std::size_t first = r.out.find(ok);
  ASSERT_NE(first, std::string::npos) << r.out;
  EXPECT_NE(r.out.find(ok, first + ok.size()), std::string::npos) << "bank.audit after the block\n" << r.out;
  EXPECT_TRUE(contains(r.err, "outage: Stop the server (nodes.stop): ok")) << r.err;
  EXPECT_TRUE(contains(r.err, "outage: Start the server again (nodes.start): ok")) << r.err;
  expect_local_server_gone(r.err);
}

INSTANTIATE_TEST_SUITE_P(Modes, FaultToleranceScenario, ::testing::Values("fast", "immediate"));

}  // namespace
}  // namespace roachrun::test
