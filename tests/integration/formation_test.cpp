// bank.workload on a real highly available PostgreSQL (issue 18): a pg_auto_failover formation
// of its own per test (LocalFormation, a primary and a synchronous standby), reached through the
// libpq HA URI postgresql://root@127.0.0.1:p1,127.0.0.1:p2/defaultdb?target_session_attrs=read-write.
//
// Every protocol must run with all its clients on the primary (each client's rotated host list
// lets libpq pick the writable node); the primary killed mid-run must be ridden through by every
// protocol -- exit 0, the audit ok, every acknowledged transfer in the new primary's ledger once
// (committed == ledger rows: synchronous replication lost none) and the money all there -- with
// the outage and where the sessions went in the summary; a standby killed and started again
// while the workload runs must leave the formation healthy. After every test the formation's
// processes and directory are gone. `ctest -R formation` runs these alone (about 3 minutes).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "engine/local_formation.hpp"
#include "roachrun/error.hpp"
#include "support/command.hpp"
#include "support/local_server_gone.hpp"
#include "support/temp_dir.hpp"
#include "support/workload.hpp"

namespace roachrun::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kAccounts = 100;
constexpr int kInitialBalance = 1000;  // the step's default
// The run a node is lost in: long enough for the formation to promote the standby (5-9 s on a
// busy 2-core machine) and for the clients to commit on it afterwards.
constexpr auto kKillAfter = 2s;
const char* const kFaultDuration = "14s";

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

spdlog::logger& test_log() {
  static const std::shared_ptr<spdlog::logger> log = [] {
    auto l = std::make_shared<spdlog::logger>("formation", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    l->set_level(spdlog::level::warn);
    return l;
  }();
  return *log;
}

std::string regex_escape(const std::string& s) { return std::regex_replace(s, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)"); }

// The fixture: a formation of `nodes` started for the test, and checked gone after it.
class FormationRun : public ::testing::Test {
 protected:
  void start_formation(int nodes) {
    if (const std::string missing = missing_auto_failover(); !missing.empty()) GTEST_SKIP() << missing;
    LocalFormationOptions options;
    options.nodes = nodes;
    const auto started = Clock::now();
    formation_ = LocalFormation::start(options, test_log());
    start_s_ = seconds_since(started);
    dir_ = formation_->directory().string();
    ports_ = formation_->ports();
    ports_.push_back(formation_->monitor_port());
    nodes_without_database_ = wait_until_every_node_has_defaultdb();
  }

  // The nodes on which `root` could not open `defaultdb` at once after start(), waiting (up to
  // 30 s) until each can. A standby that has not yet replayed the primary's CREATE ROLE/DATABASE
  // refuses with FATAL, and libpq does not go on to the next host after a FATAL: a client whose
  // list starts at that standby would fail its first connect (exit 3). start() should return
  // only once they have; FormationOnePrimary checks that it did.
  std::vector<int> wait_until_every_node_has_defaultdb() const {
    std::vector<int> late;
    for (int node = 1; node <= static_cast<int>(formation_->ports().size()); ++node) {
      const std::string port = std::to_string(formation_->ports()[static_cast<std::size_t>(node - 1)]);
      for (const auto deadline = Clock::now() + 30s;;) {
        try {
          Connection::open({{"host", "127.0.0.1"}, {"port", port}, {"user", "root"}, {"dbname", "defaultdb"},
                            {"sslmode", "disable"}, {"connect_timeout", "5"}},
                           "formation test");
          break;
        } catch (const ConnectError& e) {
          if (late.empty() || late.back() != node) late.push_back(node);
          if (Clock::now() >= deadline) {
            ADD_FAILURE() << "node " << node << " still refuses root on defaultdb: " << e.what();
            break;
          }
          std::this_thread::sleep_for(20ms);
        }
      }
    }
    return late;
  }

  // (d) the formation removed: no process, no directory, nothing listening.
  void TearDown() override {
    if (!formation_) return;
    formation_.reset();
    expect_servers_gone(dir_, ports_);
  }

  std::string endpoint(int node) const {
    return "127.0.0.1:" + std::to_string(formation_->ports()[static_cast<std::size_t>(node - 1)]);
  }

  // The formation's HA URI: every node, libpq picks the writable one.
  std::string target() const {
    std::string hosts;
    for (int port : formation_->ports()) hosts += (hosts.empty() ? "" : ",") + std::string("127.0.0.1:") + std::to_string(port);
    return "postgresql://root@" + hosts + "/defaultdb?sslmode=disable&target_session_attrs=read-write";
  }

  // A connection of the test's own to whichever node takes writes now.
  Connection connect_primary() const {
    std::string ports;
    std::string hosts;
    for (int port : formation_->ports()) {
      ports += (ports.empty() ? "" : ",") + std::to_string(port);
      hosts += (hosts.empty() ? "" : ",") + std::string("127.0.0.1");
    }
    return Connection::open({{"host", hosts}, {"port", ports}, {"user", "root"}, {"dbname", "defaultdb"},
                             {"sslmode", "disable"}, {"target_session_attrs", "read-write"}, {"connect_timeout", "5"}},
                            "formation test");
  }

  // One ledger-backed bank.workload step: 4 clients on 100 accounts at 300 transfers/s; retries
  // quick, the reconnect budget twice the default (15 s), so a slow failover on a loaded machine
  // is waited out rather than failing the run.
  std::string scenario(const std::string& protocol, const std::string& duration) const {
    return dir_files_.write("formation-" + protocol + ".yaml",
                            "scenario: formation\n"
                            "connections:\n"
                            "  app: {user: root, database: defaultdb}\n"
                            "retry: {max_retries: 20, base_backoff: 1ms, max_backoff: 20ms, reconnect_budget: 30s}\n"
                            "steps:\n" +
                                step("bank.workload", {{"accounts", std::to_string(kAccounts)},
                                                       {"clients", "4"},
                                                       {"duration", duration},
                                                       {"rate", "300"},
                                                       {"protocol", protocol},
                                                       {"ledger", "true"}}));
  }

  std::unique_ptr<RunningCommand> start_workload(const std::string& protocol, const std::string& duration) const {
    return std::make_unique<RunningCommand>(
        std::vector<std::string>{"run", scenario(protocol, duration), "--target", target()});
  }

  // Waits until the run has committed its first transfer (its tables exist then).
  void wait_for_first_transfer(RunningCommand& cmd) const {
    Connection direct = connect_primary();
    ASSERT_TRUE(wait_for_rows(direct, "accounts_ledger", 1, 60s)) << cmd.err_so_far();
  }

  // What every run must show, read back on the primary of now: exit 0, the audit ok, each
  // committed transfer in the ledger once, the money conserved. Returns the committed count.
  std::int64_t expect_every_transfer_kept(const CommandResult& r) const {
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "\naudit: ok (100 accounts, total 100000 = 100 x 1000, none negative, ledger "
                                "consistent)\n"))
        << r.out << r.err;
    const std::int64_t committed = number(r.out, std::regex("\ntransfers: ([0-9]+) committed"));
    EXPECT_GT(committed, 0) << r.out;
    Connection direct = connect_primary();
    const std::int64_t rows = direct.exec_simple("SELECT count(*) FROM accounts_ledger").integer(0, 0);
    EXPECT_EQ(rows, committed) << "every acknowledged transfer is on the primary of now, once\n" << r.out;
    EXPECT_EQ(direct.exec_simple("SELECT count(DISTINCT id) FROM accounts_ledger").integer(0, 0), rows);
    expect_money_conserved(direct, kAccounts, kInitialBalance);
    return committed;
  }

  // The summary's line of `endpoint`'s host: its committed count (-1 if there is no such line).
  static std::int64_t committed_on(const std::string& out, const std::string& endpoint) {
    return number(out, std::regex("\nhost " + regex_escape(endpoint) + ": ([0-9]+) committed"));
  }
  static std::string host_line(const std::string& out, const std::string& endpoint) {
    std::smatch m;
    return std::regex_search(out, m, std::regex("\nhost " + regex_escape(endpoint) + ": [^\n]*")) ? m[0].str().substr(1)
                                                                                                   : std::string();
  }

  std::unique_ptr<LocalFormation> formation_;
  std::vector<int> nodes_without_database_;  // right after start(): should be none
  double start_s_ = 0;
  std::string dir_;
  std::vector<int> ports_;  // the nodes' and the monitor's
  TempDir dir_files_;
};

const char* const kProtocols[] = {"tutorial", "single", "pipeline"};

// --- a. every protocol on the primary ------------------------------------------------------------

class FormationOnePrimary : public FormationRun {};

TEST_F(FormationOnePrimary, EveryProtocolRunsWithAllClientsOnThePrimary) {
  start_formation(2);
  if (IsSkipped()) return;
  const int primary = formation_->primary(10s);
  const int standby = primary == 1 ? 2 : 1;
  std::printf("[  figures ] formation of 2 nodes started in %.1f s; primary node %d\n", start_s_, primary);
  EXPECT_TRUE(nodes_without_database_.empty())
      << "LocalFormation::start() returned before every node let root open defaultdb (node "
      << nodes_without_database_.front() << " refused it at first): a client whose host list starts there fails";
  for (const char* protocol : kProtocols) {
    SCOPED_TRACE(protocol);
    // Each run starts from nothing: the step drops and creates its tables.
    auto cmd = start_workload(protocol, "2s");
    const CommandResult r = finish(*cmd);
    const std::int64_t committed = expect_every_transfer_kept(r);
    // Half the clients' lists start at the standby: libpq passed over it, as it refuses writes.
    EXPECT_EQ(committed_on(r.out, endpoint(primary)), committed) << r.out;
    EXPECT_EQ(committed_on(r.out, endpoint(standby)), 0) << r.out;
    EXPECT_FALSE(contains(r.out, "\nfaults:")) << "a standby that refuses writes is no fault\n" << r.out;
    EXPECT_FALSE(contains(r.err, "lost the target")) << r.err;
    EXPECT_TRUE(contains(r.out, "workload: protocol " + std::string(protocol) + ", 4 clients over 2 hosts")) << r.out;
  }
}

// --- b. the primary killed mid-run ----------------------------------------------------------------

class FormationPrimaryKilled : public FormationRun, public ::testing::WithParamInterface<const char*> {};

TEST_P(FormationPrimaryKilled, MidRunIsRiddenThroughLosingNoAcknowledgedTransfer) {
  const auto test_start = Clock::now();
  start_formation(2);
  if (IsSkipped()) return;
  const int primary = formation_->primary(10s);
  auto cmd = start_workload(GetParam(), kFaultDuration);
  wait_for_first_transfer(*cmd);
  std::this_thread::sleep_for(kKillAfter);
  const auto killed_at = Clock::now();
  formation_->kill(primary);
  // The failover as the monitor sees it: until another node is primary and takes writes.
  const int promoted = formation_->primary(30s);
  const double failover_s = seconds_since(killed_at);
  EXPECT_NE(promoted, primary);
  const CommandResult r = finish(*cmd);

  const std::int64_t committed = expect_every_transfer_kept(r);
  const std::string lost = endpoint(primary), got = endpoint(promoted);
  // The workload rode through: transfers committed on both sides of the failover, and the
  // sessions moved to the promoted node.
  EXPECT_GT(committed_on(r.out, lost), 0) << r.out;
  EXPECT_GT(committed_on(r.out, got), 0) << "no transfer committed after the failover\n" << r.out;
  EXPECT_EQ(committed_on(r.out, lost) + committed_on(r.out, got), committed) << r.out;
  EXPECT_GT(number(r.out, std::regex("\nretries: [0-9]+ \\(backoff [0-9.]+ s\\), reconnects: ([0-9]+)")), 0) << r.out;
  // The summary says the outage, how long the clients went without a connection and where
  // their sessions went; the log says it once, and when the sessions got to the new primary.
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex("\nfaults: 1 outage, [0-9]+\\.[0-9]{3} s without a connection \\(longest [0-9]+\\.[0-9]{3} s "
                        "for one client\\), [0-9]+ sessions? moved to another host")))
      << r.out;
  EXPECT_TRUE(std::regex_search(host_line(r.out, lost), std::regex("[1-9][0-9]* reconnects?, 1 outage, ")))
      << r.out;
  EXPECT_TRUE(std::regex_search(host_line(r.out, lost), std::regex(", [1-9][0-9]* sessions? moved away"))) << r.out;
  EXPECT_TRUE(std::regex_search(host_line(r.out, got), std::regex("0 outages, [1-9][0-9]* sessions? moved in")))
      << r.out;
  const std::regex lost_re("lost the target " + regex_escape(lost) + ": ");
  EXPECT_EQ(std::distance(std::sregex_iterator(r.err.begin(), r.err.end(), lost_re), std::sregex_iterator()), 1)
      << r.err;
  std::smatch moved;
  EXPECT_TRUE(std::regex_search(r.err, moved,
                                std::regex("the sessions of " + regex_escape(lost) + " moved to " + regex_escape(got) +
                                           " after ([0-9]+\\.[0-9]) s")))
      << r.err;

  const double longest = std::stod(
      std::regex_search(r.out, moved, std::regex("\\(longest ([0-9.]+) s for one client\\)")) ? moved[1].str() : "0");
  std::printf("[  figures ] primary killed, protocol %s: formation up in %.1f s, failover (monitor) %.1f s, "
              "longest a client was without a connection %.3f s, committed %lld == ledger rows; test %.1f s\n",
              GetParam(), start_s_, failover_s, longest, static_cast<long long>(committed), seconds_since(test_start));
  std::printf("[  summary ] %s\n",
              std::regex_replace(r.out.substr(r.out.find("workload:")), std::regex("\n(?!$)"), "\n[  summary ] ").c_str());
}

std::string protocol_name(const ::testing::TestParamInfo<const char*>& info) { return info.param; }

INSTANTIATE_TEST_SUITE_P(Formation, FormationPrimaryKilled, ::testing::ValuesIn(kProtocols), protocol_name);

// --- c. a standby killed and started again ------------------------------------------------------

class FormationStandbyLost : public FormationRun {};

TEST_F(FormationStandbyLost, KilledAndStartedAgainDuringTheRunLeavesTheFormationHealthy) {
  const auto test_start = Clock::now();
  start_formation(2);
  if (IsSkipped()) return;
  const int primary = formation_->primary(10s);
  const int standby = primary == 1 ? 2 : 1;
  auto cmd = start_workload("tutorial", kFaultDuration);
  wait_for_first_transfer(*cmd);
  std::this_thread::sleep_for(kKillAfter);
  formation_->kill(standby);
  std::this_thread::sleep_for(2s);
  formation_->start(standby);
  const CommandResult r = finish(*cmd);

  const std::int64_t committed = expect_every_transfer_kept(r);
  // The primary served throughout; commits waited (synchronous replication) but no session was lost.
  EXPECT_EQ(committed_on(r.out, endpoint(primary)), committed) << r.out;
  EXPECT_FALSE(contains(r.err, "lost the target")) << r.err;

  const auto healthy_from = Clock::now();
  ASSERT_NO_THROW(formation_->wait_healthy(60s));
  const double healthy_s = seconds_since(healthy_from);
  const auto nodes = formation_->nodes();
  ASSERT_EQ(nodes.size(), 2u);
  int primaries = 0;
  for (const FormationNode& node : nodes) {
    EXPECT_TRUE(node.running) << "node " << node.number;
    EXPECT_TRUE(node.reported_state == "primary" || node.reported_state == "secondary")
        << "node " << node.number << ": " << node.reported_state;
    primaries += node.reported_state == "primary" ? 1 : 0;
  }
  EXPECT_EQ(primaries, 1);
  EXPECT_EQ(formation_->primary(1s), primary) << "the primary stayed the primary";
  std::printf("[  figures ] standby killed and started again: committed %lld == ledger rows, healthy %.1f s after "
              "the run; test %.1f s\n",
              static_cast<long long>(committed), healthy_s, seconds_since(test_start));
  std::printf("[  summary ] %s\n",
              std::regex_replace(r.out.substr(r.out.find("workload:")), std::regex("\n(?!$)"), "\n[  summary ] ").c_str());
}

}  // namespace
}  // namespace roachrun::test
