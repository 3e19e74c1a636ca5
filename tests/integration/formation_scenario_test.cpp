// scenarios/fault-tolerance-3-nodes.yaml as a user runs it (issue 18, item 4): three nodes of a
// local pg_auto_failover formation, a ledger-backed workload, the primary killed three seconds
// into it, the failover ridden through, and the ledger and the audit showing every acknowledged
// transfer there, none twice. Then the formation is gone.
#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "engine/local_formation.hpp"
#include "support/command.hpp"
#include "support/local_server_gone.hpp"
#include "support/workload.hpp"

namespace roachrun::test {
namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(FormationScenario, FaultToleranceOnThreeNodesRunsAsTheStorySays) {
  if (const std::string missing = missing_auto_failover(); !missing.empty()) GTEST_SKIP() << missing;
  auto cmd = RunningCommand({"run", std::string(ROACHRUN_SOURCE_DIR) + "/scenarios/fault-tolerance-3-nodes.yaml"});
  const CommandResult r = finish(cmd, std::chrono::seconds(240));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;

  // The workload's summary: its audit ok, the failover in its faults and per-host lines.
  const std::int64_t committed = number(r.out, std::regex("\ntransfers: ([0-9]+) committed"));
  EXPECT_GT(committed, 0) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\nfaults: 1 outage, [0-9.]+ s without a connection \\(longest "
                                                  "[0-9.]+ s for one client\\), [0-9]+ sessions? moved to another host")))
      << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\nhost [0-9.:]+: [0-9]+ committed, 0 reconnects, 0 outages, [1-9][0-9]* "
                                                  "sessions? moved in")))
      << "the promoted node took the sessions\n" << r.out;
  // The ledger as the scenario prints it: every acknowledged transfer there, once.
  const std::string counted = "\n['" + std::to_string(committed) + "', '" + std::to_string(committed) + "']\n";
  EXPECT_TRUE(contains(r.out, counted)) << "ledger rows and distinct ids == committed (" << committed << ")\n" << r.out;
  // Twice "audit: ok": the workload's own and bank.audit's after the formation is healthy again.
  const std::string ok = "audit: ok (1000 accounts, total 1000000 = 1000 x 1000, none negative, ledger consistent)\n";
  const std::size_t first = r.out.find(ok);
  ASSERT_NE(first, std::string::npos) << r.out;
  EXPECT_NE(r.out.find(ok, first + ok.size()), std::string::npos) << r.out;
  EXPECT_TRUE(std::regex_search(r.err, std::regex("lost the target 127\\.0\\.0\\.1:[0-9]+: "))) << r.err;
  EXPECT_TRUE(std::regex_search(r.err, std::regex("the sessions of 127\\.0\\.0\\.1:[0-9]+ moved to 127\\.0\\.0\\.1:[0-9]+ "
                                                  "after [0-9]+\\.[0-9] s")))
      << r.err;

  // The formation is gone: "... nodes on 127.0.0.1:P1,P2,P3 (primary node N), monitor on 127.0.0.1:M, data in DIR".
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.err, m, std::regex(R"(nodes on 127\.0\.0\.1:([0-9,]+) \(primary node [0-9]+\), monitor on 127\.0\.0\.1:([0-9]+), data in ([^\s]+))")))
      << r.err;
  std::vector<int> ports;
  std::stringstream list(m[1].str());
  for (std::string port; std::getline(list, port, ',');) ports.push_back(std::stoi(port));
  ports.push_back(std::stoi(m[2].str()));
  EXPECT_EQ(ports.size(), 4u);
  expect_servers_gone(m[3].str(), ports);
}

}  // namespace
}  // namespace roachrun::test
