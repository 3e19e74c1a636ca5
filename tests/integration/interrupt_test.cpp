// Ctrl-C during a workload whose clients reconnected (issue 11): the statement every client is
// running is cancelled, whichever way its connection was made (a step's own Connection::open, a
// reconnect inside the retry engine), so roachrun exits 130 at once even while every client
// waits on a lock, and no client's transfer commits after the interrupt. Through the roachrun
// binary and a scenario file, on the real test server.
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "roachrun/error.hpp"
#include "support/eventually.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

namespace roachrun::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kClients = 4;
constexpr int kReconnectRounds = 3;
constexpr const char* kApp = "interrupt_workload";  // the scenario's application_name: the run's sessions

std::string describe(const std::set<int>& pids) {
  std::string s;
  for (int pid : pids) s += (s.empty() ? "" : ",") + std::to_string(pid);
  return "{" + s + "}";
}

class WorkloadInterrupt : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    database_ = TestServer::get().create_database("interrupt");
    watcher_ = TestServer::get().connect("root", database_);
  }

  std::string scenario() const {
    // Rate-limited, so the 2-core machine has room for the server; a long duration: only Ctrl-C
    // ends it. Retries are generous: each terminated session costs a client a retry.
    return dir_.write("s.yaml", "scenario: interrupt\n"
                                "connections:\n"
                                "  app: {user: root, database: " + database_ + ", application_name: " + kApp + "}\n"
                                "retry: {max_retries: 100, base_backoff: 1ms, max_backoff: 10ms}\n"
                                "steps:\n"
                                "  - bank.workload: {accounts: 100, clients: " + std::to_string(kClients) +
                                    ", duration: 600s, rate: 400, ledger: true, protocol: " + GetParam() + "}\n");
  }

  // The run's sessions on the server, oldest first.
  std::vector<int> sessions(const std::string& condition = "true") {
    Result r = watcher_.query("SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2 AND (" +
                                  condition + ") ORDER BY backend_start, pid",
                              database_, kApp);
    std::vector<int> pids;
    for (int i = 0; i < r.rows(); ++i) pids.push_back(static_cast<int>(r.integer(i, 0)));
    return pids;
  }
  // The workload's clients: all of the run's sessions but the oldest, the step's own connection
  // (it made the tables before any client connected, and idles while they run).
  std::set<int> client_sessions() {
    std::vector<int> all = sessions();
    if (all.empty()) return {};
    return {all.begin() + 1, all.end()};
  }
  // Terminates each session of `pids` while it is idle between two transfers: its client finds
  // the connection lost at its next statement, before any COMMIT, the plain case of a
  // reconnect. (A session killed mid-transfer can make the workload itself give up, which is
  // not what this test is about.)
  bool terminate_when_idle(const std::set<int>& pids) {
    std::set<int> left = pids;
    return eventually(
        [&] {
          for (auto it = left.begin(); it != left.end();)
            it = watcher_.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = $1 AND state = 'idle'",
                                *it).rows() == 1
                     ? left.erase(it)
                     : std::next(it);
          return left.empty();
        },
        30s);
  }
  // Transfers committed so far (-1 before the ledger exists).
  std::int64_t ledger_rows() {
    try {
      return watcher_.exec_simple("SELECT count(*) FROM accounts_ledger").integer(0, 0);
    } catch (const DbError&) {
      return -1;
    }
  }

  TempDir dir_;
  std::string database_;
  Connection watcher_ = TestServer::get().connect();  // then on database_: its application_name is not the run's
};

TEST_P(WorkloadInterrupt, CtrlCCancelsEveryClientsStatementAfterReconnects) {
  RunningCommand cmd({"run", scenario(), "--target", TestServer::get().url()});

  // 1. Every client connected and transferring.
  std::set<int> clients;
  ASSERT_TRUE(eventually(
      [&] {
        clients = client_sessions();
        return !cmd.running() || (clients.size() == kClients && ledger_rows() > 0);
      },
      60s))
      << "client sessions " << describe(clients) << ", ledger rows " << ledger_rows() << "\n" << cmd.err_so_far();
  ASSERT_TRUE(cmd.running()) << cmd.wait().err;

  // 2. Their sessions terminated under them, a few times: each time every client reconnects
  // (new backends, none of the old ones) and goes on transferring.
  std::set<int> terminated;
  for (int round = 1; round <= kReconnectRounds; ++round) {
    ASSERT_TRUE(terminate_when_idle(clients)) << "round " << round << ": clients " << describe(clients)
                                              << " never idle\n" << cmd.err_so_far();
    terminated.insert(clients.begin(), clients.end());
    const std::int64_t before = ledger_rows();
    const bool reconnected = eventually(
        [&] {
          clients = client_sessions();
          const bool all_new = std::none_of(clients.begin(), clients.end(), [&](int p) { return terminated.count(p); });
          return !cmd.running() || (clients.size() == kClients && all_new && ledger_rows() >= before + 10);
        },
        30s);
    ASSERT_TRUE(cmd.running()) << "round " << round << ": the workload stopped\n" << cmd.wait().err;
    ASSERT_TRUE(reconnected) << "round " << round << ": the clients did not reconnect and go on; sessions now "
                             << describe(clients) << ", terminated " << describe(terminated) << "\n"
                             << cmd.err_so_far();
  }

  // 3. Every client blocked in a statement: another session holds the accounts table.
  Connection locker = TestServer::get().connect("root", database_);
  locker.exec_simple("BEGIN");
  locker.exec_simple("LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE");
  // No transaction that wrote accounts is still open now (LOCK waited for them): what the ledger
  // and the balances say is final unless a client commits after the interrupt.
  const std::int64_t committed = locker.exec_simple("SELECT count(*) FROM accounts_ledger").integer(0, 0);
  const std::string balances_at_lock = balances(locker);
  std::set<int> waiting;
  const bool all_waiting = eventually(
      [&] {
        const std::vector<int> w = sessions("state = 'active' AND wait_event_type = 'Lock'");
        waiting = {w.begin(), w.end()};
        return waiting == clients;
      },
      30s);
  ASSERT_TRUE(all_waiting) << "waiting on the lock: " << describe(waiting) << ", clients " << describe(clients) << "\n"
                           << cmd.err_so_far();

  // 4. Ctrl-C: every statement cancelled, roachrun out at once, the lock still held.
  const auto start = Clock::now();
  cmd.signal(SIGINT);
  bool killed = false;
  const CommandResult r = cmd.wait_for(30s, &killed);
  const auto took = Clock::now() - start;
  EXPECT_FALSE(killed) << "roachrun did not exit after Ctrl-C: a client's statement was not cancelled\n" << r.err;
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_LT(took, 5s) << "Ctrl-C must cancel the statements the clients wait in\n" << r.err;
  EXPECT_NE(r.err.find("interrupted"), std::string::npos) << r.err;
  // The summary still says what the run did; the audit waits for bank.audit.
  EXPECT_NE(r.out.find("\ntransfers: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\naudit: could not run: interrupted (bank.audit checks the accounts later)\n"),
            std::string::npos)
      << r.out;
  const std::vector<int> still_running = sessions("state = 'active'");
  EXPECT_EQ(describe({still_running.begin(), still_running.end()}), "{}")
      << "no client statement may still run on the server after roachrun exits";

  // 5. The lock released: the run's sessions go, and none of them committed anything more.
  locker.exec_simple("ROLLBACK");
  EXPECT_TRUE(eventually([&] { return sessions().empty(); }, 10s)) << describe(client_sessions());
  EXPECT_EQ(ledger_rows(), committed) << "a transfer committed after the interrupt";
  EXPECT_EQ(balances(watcher_), balances_at_lock);
}

INSTANTIATE_TEST_SUITE_P(Protocols, WorkloadInterrupt, ::testing::Values("tutorial", "single", "pipeline"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace roachrun::test
