// bank.workload riding through real faults (issue 12), in every protocol (and the pipeline with 8
// transfers in flight per connection, issue 17: "batched"; and again on the event engine,
// "_events"): the server restarted
// mid-run, every session of the workload's database killed every 0.7 s, and COMMIT replies lost
// on the way back. Each run must end with exit 0 and the audit's "ok", count every committed
// transfer exactly once (the summary's count == the ledger's rows, read with the test's own SQL),
// keep the money, and show that the fault happened: a fault that did not fire proves nothing,
// so each test counts its faults and the summary's reconnects.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/local_server.hpp"
#include "support/command.hpp"
#include "support/tcp_proxy.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"
#include "support/workload.hpp"

namespace roachrun::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kAccounts = 100;
constexpr int kInitialBalance = 1000;  // the step's default

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::string url(int port, const std::string& database = "defaultdb") {
  return "postgresql://root@127.0.0.1:" + std::to_string(port) + "/" + database + "?sslmode=disable";
}

Connection connect_to(int port, const std::string& database) {
  return Connection::open({{"host", "127.0.0.1"}, {"port", std::to_string(port)}, {"user", "root"},
                           {"dbname", database}, {"sslmode", "disable"}},
                          "fault test");
}

// What a run through a fault showed; printed so that repeated runs can be compared.
struct Figures {
  std::int64_t committed = -1, ledger_rows = -1, reconnects = -1, faults = 0;
};

// Each test runs in every protocol on the thread engine (`engine: threads`), and the
// statement-by-statement and the batched paths again on the event engine, the default ("_events":
// 4 clients as fibers on 2 threads, so that a fault meets fibers sharing a thread).
class FaultRun : public ::testing::TestWithParam<const char*> {
 protected:
  static constexpr std::string_view kOnEvents = "_events";
  bool events() const { return std::string_view(GetParam()).ends_with(kOnEvents); }
  std::string variant() const {  // the parameter without its engine
    const std::string_view p = GetParam();
    return std::string(events() ? p.substr(0, p.size() - kOnEvents.size()) : p);
  }
  bool batched() const { return variant() == "batched"; }
  std::string protocol() const { return batched() ? "pipeline" : variant(); }

  // One bank.workload step with a ledger: 4 clients on 100 accounts at 300 transfers/s for
  // `duration`; retries quick, the reconnect budget the default (15 s). Batched: no rate limit,
  // which would let a batch hold only the transfers that are due (mostly one), so that every
  // flight carries 8 transfers and a fault meets several in flight.
  std::string scenario(const std::string& database, const std::string& duration) {
    ParamList params = {{"accounts", std::to_string(kAccounts)}, {"clients", "4"}, {"duration", duration},
                        {"protocol", protocol()}, {"ledger", "true"}};
    params.push_back(batched() ? std::pair<std::string, std::string>{"in_flight", "8"}
                               : std::pair<std::string, std::string>{"rate", "300"});
    params.push_back({"engine", events() ? "events" : "threads"});
    if (events()) params.push_back({"threads", "2"});
    return dir_.write("fault.yaml", "scenario: fault\n"
                                    "connections:\n"
                                    "  app: {user: root, database: " + database + "}\n"
                                    "retry: {max_retries: 20, base_backoff: 1ms, max_backoff: 20ms}\n"
                                    "steps:\n" +
                                        step("bank.workload", params));
  }

  // With a JSON report, where the step's result says which engine ran it.
  std::unique_ptr<RunningCommand> start(const std::string& file, const std::string& target) {
    return std::make_unique<RunningCommand>(
        std::vector<std::string>{"run", file, "--target", target, "--report", "json=" + report_path()});
  }
  std::string report_path() const { return (dir_.path() / "report.json").string(); }

  // What every fault test asserts of its run, on `direct` (a connection of the test's own).
  Figures expect_survived(const CommandResult& r, Connection& direct) {
    Figures f;
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "\naudit: ok (100 accounts, total 100000 = 100 x 1000, none negative, ledger "
                                "consistent)\n"))
        << r.out << r.err;
    f.committed = number(r.out, std::regex("\ntransfers: ([0-9]+) committed"));
    f.reconnects = number(r.out, std::regex("\nretries: [0-9]+ \\(backoff [0-9.]+ s\\), reconnects: ([0-9]+)"));
    f.ledger_rows = direct.exec_simple("SELECT count(*) FROM accounts_ledger").integer(0, 0);
    EXPECT_GT(f.committed, 0) << r.out;
    EXPECT_EQ(f.ledger_rows, f.committed) << "every committed transfer counted once, and only those\n" << r.out;
    EXPECT_EQ(direct.exec_simple("SELECT count(DISTINCT id) FROM accounts_ledger").integer(0, 0), f.ledger_rows);
    expect_money_conserved(direct, kAccounts, kInitialBalance);
    EXPECT_GT(f.reconnects, 0) << "the fault was not seen by the clients: the summary says no reconnects\n" << r.out;
    const std::string report = read_file(report_path());
    const auto json = nlohmann::json::parse(report.empty() ? "{}" : report, nullptr, /*allow_exceptions=*/false);
    const auto engine = json.is_object() ? json.value("/scenarios/0/steps/0/result/engine"_json_pointer, std::string())
                                         : std::string();
    EXPECT_EQ(engine, events() ? "events" : "threads") << report;
    return f;
  }

  void print(const char* fault, const Figures& f) const {
    std::printf("[  figures ] %s, protocol %s: committed %lld, ledger rows %lld, reconnects %lld, faults %lld\n", fault,
                GetParam(), static_cast<long long>(f.committed), static_cast<long long>(f.ledger_rows),
                static_cast<long long>(f.reconnects), static_cast<long long>(f.faults));
  }

  TempDir dir_;
};

std::string protocol_name(const ::testing::TestParamInfo<const char*>& info) { return info.param; }

const auto kVariants = ::testing::Values("tutorial", "single", "pipeline", "batched", "tutorial_events", "batched_events");

// --- a. the server restarted mid-run ---------------------------------------------------------

// A server of this suite's own: restarting the shared test server would fail the other tests.
class ServerRestart : public FaultRun {
 protected:
  static void SetUpTestSuite() {
    LocalServerOptions options;
    options.settings = {{"fsync", "off"}, {"full_page_writes", "off"}};
    server_ = LocalServer::start(options, TestServer::get().log());
  }
  static void TearDownTestSuite() { server_.reset(); }

  static inline std::unique_ptr<LocalServer> server_;
  static inline int databases_ = 0;
};

TEST_P(ServerRestart, MidRunIsRiddenThroughCountingEachTransferOnce) {
  ASSERT_TRUE(server_);
  const std::string database = "restart_" + std::to_string(++databases_);
  connect_to(server_->port(), "defaultdb").exec_simple(("CREATE DATABASE " + database).c_str());
  auto cmd = start(scenario(database, "4s"), url(server_->port()));
  {
    Connection direct = connect_to(server_->port(), database);
    ASSERT_TRUE(wait_for_rows(direct, "accounts_ledger", 1)) << cmd->err_so_far();
  }
  std::this_thread::sleep_for(1s);
  const auto restart_at = Clock::now();
  ASSERT_NO_THROW(server_->restart());
  const double restart_s = std::chrono::duration<double>(Clock::now() - restart_at).count();
  auto r = finish(*cmd);

  Connection direct = connect_to(server_->port(), database);
  Figures f = expect_survived(r, direct);
  f.faults = 1;
  const std::string endpoint = "127\\.0\\.0\\.1:" + std::to_string(server_->port());
  EXPECT_TRUE(std::regex_search(r.err, std::regex("lost the target " + endpoint + ": "))) << r.err;
  EXPECT_TRUE(std::regex_search(r.err, std::regex("the target " + endpoint + " is back after [0-9]+\\.[0-9] s")))
      << r.err;
  print("server restart", f);
  std::printf("[  figures ] the restart took %.2f s\n", restart_s);
}

INSTANTIATE_TEST_SUITE_P(Fault, ServerRestart, kVariants, protocol_name);

// --- b. sessions killed every 0.7 s ----------------------------------------------------------

class KilledSessions : public FaultRun {
 protected:
  // Runs the workload for `duration` while every session of its database is terminated every
  // `interval`, from its first transfer until roachrun exits (the audit after the run is killed
  // too, if it is there at the time). Returns the figures, the sessions killed as the faults.
  Figures run_killing_every(std::chrono::milliseconds interval, const std::string& duration) {
    const std::string database = TestServer::get().create_database("killed");
    const int port = TestServer::get().port();
    auto cmd = start(scenario(database, duration), url(port));
    Connection direct = connect_to(port, database);
    EXPECT_TRUE(wait_for_rows(direct, "accounts_ledger", 1)) << cmd->err_so_far();
    std::int64_t killed = 0;
    while (cmd->running()) {
      const auto next = Clock::now() + interval;
      while (cmd->running() && Clock::now() < next) std::this_thread::sleep_for(std::min(interval, 10ms));
      if (!cmd->running()) break;
      killed += direct
                    .query("SELECT count(*) FROM (SELECT pg_terminate_backend(pid) AS gone FROM pg_stat_activity "
                           "WHERE datname = $1 AND pid <> pg_backend_pid()) AS k WHERE gone",
                           database)
                    .integer(0, 0);
    }
    auto r = finish(*cmd);
    Figures f = expect_survived(r, direct);
    f.faults = killed;
    return f;
  }
};

TEST_P(KilledSessions, EveryFewHundredMillisecondsAreRiddenThrough) {
  const Figures f = run_killing_every(700ms, "3s");
  EXPECT_GE(f.faults, 4) << "four rounds at least, each of some of the 5 sessions (4 clients, the step's own)";
  print("sessions killed every 0.7 s", f);
}

// Every 30 ms: many kills land while a client is reconnecting, between its new session's
// connect and its prepared statements, or while it reads the ledger after a lost COMMIT.
TEST_P(KilledSessions, AsSoonAsTheyReconnectAreRiddenThroughToo) {
  const Figures f = run_killing_every(30ms, "2s");
  EXPECT_GE(f.faults, 50) << "about 60 rounds in 2 s";
  print("sessions killed every 30 ms", f);
}

INSTANTIATE_TEST_SUITE_P(Fault, KilledSessions, kVariants, protocol_name);

// --- c. COMMIT replies lost --------------------------------------------------------------------

class LostCommitReplies : public FaultRun {
 protected:
  // What the proxy watches for: the message that commits a transfer in each protocol -- the
  // tutorial's COMMIT statement, or the Bind of the prepared statement that commits (the
  // workload's names for them). Batched: a transfer's single statement, its own transaction;
  // the connection's other transfers in flight lose their replies with it.
  std::string commit_marker() const {
    if (protocol() == "single" || batched()) return "bank_single";
    if (protocol() == "pipeline") return "bank_commit";
    return "COMMIT";
  }
};

TEST_P(LostCommitReplies, AreResolvedFromTheLedgerExactlyOnce) {
  const std::string database = TestServer::get().create_database("lost_reply");
  TcpProxy proxy(TestServer::get().port());
  auto cmd = start(scenario(database, "3s"), url(proxy.port()));
  Connection direct = connect_to(TestServer::get().port(), database);
  ASSERT_TRUE(wait_for_rows(direct, "accounts_ledger", 1)) << cmd->err_so_far();

  // Each arm drops one reply; re-armed for 2 s of the 3 s run, then disarmed before the audit.
  std::int64_t fired = 0;
  for (const auto until = Clock::now() + 2s; Clock::now() < until && cmd->running();) {
    proxy.arm(TcpProxy::CommitFault::drop_reply, commit_marker());
    while (!proxy.fired() && Clock::now() < until && cmd->running()) std::this_thread::sleep_for(2ms);
    if (proxy.fired()) ++fired;
    std::this_thread::sleep_for(100ms);
  }
  proxy.arm(TcpProxy::CommitFault::none);
  auto r = finish(*cmd);

  Figures f = expect_survived(r, direct);
  f.faults = fired;
  EXPECT_GE(fired, 5) << "several commits must have lost their replies";
  // Each lost reply cost its client its session: resolved on a new one, from the ledger.
  EXPECT_GE(f.reconnects, fired) << r.out;
  print("COMMIT replies lost", f);
}

INSTANTIATE_TEST_SUITE_P(Fault, LostCommitReplies, kVariants, protocol_name);

}  // namespace
}  // namespace roachrun::test
