// Every step that talks to the database rides through a lost connection (issue 12, item 1): the
// tutorial's steps, bank.expect_balances, bank.audit and the admin steps, run through a TcpProxy
// that plays a server going away (every connection cut, new ones refused for a while). A fault is
// placed between two steps with the fixture step idle.wait (it touches no database), or during
// a step at its COMMIT (the proxy drops the COMMIT or its reply), or in the middle of a big
// bank.create_accounts. Each run must print exactly what an unfaulted run prints, exit 0 and
// leave the tables as expected; past retry.reconnect_budget the step fails naming host:port and
// the budget; Ctrl-C ends the wait at once; a target that never answered is exit 3 at once. And
// the SDK's reconnect for work outside a transaction (run_reconnecting, ensure_session,
// open_through_outage) on its own.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "roachrun/retry.hpp"
#include "support/command.hpp"
#include "support/tcp_proxy.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"
#include "unit/fixture_plugins.hpp"

namespace roachrun::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Two runs' stdout differ only in the clock of "Balances at <time>".
std::string without_times(const std::string& out) {
  return std::regex_replace(out, std::regex("Balances at [^\n]*"), "Balances at <time>");
}

// The tutorial's steps (as root, in the test's own database), with bank.expect_balances and
// bank.audit (with the transfer's ledger) after the transfer. The first two use `root`, the rest
// `app`: the first connection of `app` is opened at create_accounts.
const std::vector<std::string> kSteps = {
    "  - admin.create_user: {user: steps_user}\n    connection: root\n",
    "  - admin.create_database: {database: @DB@}\n    connection: root\n",
    "  - bank.create_accounts: {rows: [[1, 1000], [2, 1000]]}\n",
    "  - bank.print_balances: {}\n",
    "  - bank.transfer: {from: 1, to: 2, amount: 100, id: t1, ledger: accounts_ledger}\n",
    "  - bank.print_balances: {}\n",
    "  - bank.expect_balances: {balances: {1: 900, 2: 1100}}\n",
    "  - bank.audit: {accounts: 2, initial_balance: 1000, ledger: true}\n",
    "  - bank.delete_accounts: {}\n",
};

std::string idle_plugin_dir() { return fixture_plugin("idle_steps").parent_path().string(); }

// A scenario on `database` with `steps`; the retry policy backs off briefly, plus `retry`.
std::string scenario_text(const std::string& database, const std::string& steps, const std::string& retry) {
  return "scenario: steps\n"
         "connections:\n"
         "  root: {user: root, database: defaultdb}\n"
         "  app: {user: root, database: " + database + "}\n"
         "default_connection: app\n"
         "retry: {max_retries: 5, base_backoff: 10ms, max_backoff: 100ms" + (retry.empty() ? "" : ", " + retry) + "}\n" +
         "steps:\n" + steps;
}

// kSteps on `database`, with idle.wait for `idle` before step `before` (0-based; -1: none).
std::string tutorial_steps(const std::string& database, int before, const std::string& idle) {
  std::string steps;
  for (int i = 0; i < static_cast<int>(kSteps.size()); ++i) {
    if (i == before) steps += "  - idle.wait: {for: " + idle + "}\n";
    steps += std::regex_replace(kSteps[static_cast<std::size_t>(i)], std::regex("@DB@"), database);
  }
  return steps;
}

std::unique_ptr<RunningCommand> start(const std::string& file, int port) {
  return std::make_unique<RunningCommand>(std::vector<std::string>{
      "--plugin-dir", idle_plugin_dir(), "run", file, "--target",
      "postgresql://root@127.0.0.1:" + std::to_string(port) + "/defaultdb?sslmode=disable"});
}

// stdout of the scenario without faults (in a database of its own, no proxy), once per process.
const std::string& unfaulted_out() {
  static const std::string out = [] {
    TempDir dir;
    const std::string database = TestServer::get().create_database("steps");
    auto cmd = start(dir.write("s.yaml", scenario_text(database, tutorial_steps(database, -1, ""), "")),
                     TestServer::get().port());
    const CommandResult r = cmd->wait_for(120s);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return without_times(r.out);
  }();
  return out;
}

// Waits (at most 30 s) until the run's stderr says `text`.
bool wait_for_err(const RunningCommand& cmd, const std::string& text) {
  const auto deadline = Clock::now() + 30s;
  while (Clock::now() < deadline && cmd.running()) {
    if (contains(cmd.err_so_far(), text)) return true;
    std::this_thread::sleep_for(2ms);
  }
  return contains(cmd.err_so_far(), text);
}

class StepReconnect : public ::testing::Test {
 protected:
  void SetUp() override { database_ = TestServer::get().create_database("steps"); }

  std::string scenario(int before = -1, const std::string& idle = "1s", const std::string& retry = "") {
    return write(tutorial_steps(database_, before, idle), retry);
  }
  std::string write(const std::string& steps, const std::string& retry = "") {
    return dir_.write("s.yaml", scenario_text(database_, steps, retry));
  }
  std::int64_t scalar(const std::string& sql) {
    return TestServer::get().connect("root", database_).exec_params(sql).integer(0, 0);
  }
  // What the scenario leaves: the accounts deleted, the transfer recorded once.
  void expect_tables_after_the_scenario() {
    EXPECT_EQ(scalar("SELECT count(*) FROM accounts"), 0);
    EXPECT_EQ(scalar("SELECT count(*) FROM accounts_ledger WHERE id = 't1' AND amount = 100"), 1);
    EXPECT_EQ(scalar("SELECT count(*) FROM accounts_ledger"), 1);
  }

  TempDir dir_;
  std::string database_;
};

// --- between two steps ------------------------------------------------------------------------

enum class Gap {
  dead_session,  // the target is back before the next step: it finds its kept session dead
  refused,       // the next step starts while the target still refuses: it waits for it
};

struct Between {
  int before;  // the step (index in kSteps) that meets the fault
  Gap gap;
};

class StepReconnectBetween : public StepReconnect, public ::testing::WithParamInterface<Between> {};

TEST_P(StepReconnectBetween, TheNextStepRidesThroughAndPrintsTheSame) {
  const Between b = GetParam();
  const std::string& expected = unfaulted_out();
  TcpProxy proxy(TestServer::get().port());
  // The cut comes when idle.wait starts; the target refuses for 600 ms; idle.wait lasts longer
  // (dead session) or shorter (refused) than that.
  auto cmd = start(scenario(b.before, b.gap == Gap::dead_session ? "1200ms" : "300ms"), proxy.port());
  ASSERT_TRUE(wait_for_err(*cmd, "idle.wait: waiting")) << cmd->err_so_far();
  const int connections_before = proxy.connections();
  proxy.set_accepting(false);
  proxy.cut();
  std::this_thread::sleep_for(600ms);
  proxy.set_accepting(true);
  const CommandResult r = cmd->wait_for(120s);

  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(without_times(r.out), expected) << r.err;
  expect_tables_after_the_scenario();
  // The fault did reach the step: it connected again, and said why.
  EXPECT_GT(proxy.connections(), connections_before);
  const std::string endpoint = "127.0.0.1:" + std::to_string(proxy.port());
  const std::string connection = b.before < 2 ? "root" : "app";
  if (b.gap == Gap::refused) {
    EXPECT_TRUE(contains(r.err, "lost the target " + endpoint)) << r.err;
    EXPECT_TRUE(std::regex_search(r.err, std::regex("the target " + endpoint + " is back after [0-9]+\\.[0-9] s")))
        << r.err;
  }
  // The kept session sat dead for a while: the step finds it so before it sends anything. (When
  // refused, the cut may land as the step starts: its statement meets it, run again.)
  if (b.gap == Gap::dead_session) {
    EXPECT_TRUE(contains(r.err, "connection '" + connection + "' was lost since it was last used; reconnected"))
        << r.err;
  }
}

std::vector<Between> between_every_step() {
  std::vector<Between> all;
  for (int i = 1; i < static_cast<int>(kSteps.size()); ++i) {
    if (i != 2) all.push_back({i, Gap::dead_session});  // `app` is not open yet before step 2
    all.push_back({i, Gap::refused});
  }
  return all;
}

std::string between_name(const ::testing::TestParamInfo<Between>& info) {
  static const char* names[] = {"create_user",    "create_database", "create_accounts",
                                "print_balances", "transfer",        "print_balances_after",
                                "expect_balances", "audit",          "delete_accounts"};
  return std::string(names[info.param.before]) + (info.param.gap == Gap::dead_session ? "_dead_session" : "_refused");
}

INSTANTIATE_TEST_SUITE_P(Steps, StepReconnectBetween, ::testing::ValuesIn(between_every_step()), between_name);

// --- at a step's COMMIT --------------------------------------------------------------------------

struct AtCommit {
  int step;  // index in kSteps of a step that commits
  TcpProxy::CommitFault fault;
};

class StepReconnectAtCommit : public StepReconnect, public ::testing::WithParamInterface<AtCommit> {};

// drop_reply: it committed and the reply is lost (ambiguous: the step finds out); drop_commit:
// the connection is lost before COMMIT reached the server (rolled back: run again).
TEST_P(StepReconnectAtCommit, TheStepResolvesItAndAppliesItOnce) {
  const AtCommit a = GetParam();
  const std::string& expected = unfaulted_out();
  TcpProxy proxy(TestServer::get().port());
  auto cmd = start(scenario(a.step, "10ms"), proxy.port());
  ASSERT_TRUE(wait_for_err(*cmd, "idle.wait: waiting")) << cmd->err_so_far();
  proxy.arm(a.fault);  // the next COMMIT is the step's after idle.wait
  const CommandResult r = cmd->wait_for(120s);

  EXPECT_TRUE(proxy.fired()) << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(without_times(r.out), expected) << r.err;
  expect_tables_after_the_scenario();
  if (a.fault == TcpProxy::CommitFault::drop_reply) {
    EXPECT_TRUE(contains(r.err, "checking whether it committed")) << r.err;
  }
}

std::string at_commit_name(const ::testing::TestParamInfo<AtCommit>& info) {
  static const char* names[] = {"", "", "create_accounts", "", "transfer", "", "", "audit", "delete_accounts"};
  return std::string(names[info.param.step]) +
         (info.param.fault == TcpProxy::CommitFault::drop_reply ? "_reply_lost" : "_commit_lost");
}

INSTANTIATE_TEST_SUITE_P(Steps, StepReconnectAtCommit,
                         ::testing::Values(AtCommit{2, TcpProxy::CommitFault::drop_reply},
                                           AtCommit{2, TcpProxy::CommitFault::drop_commit},
                                           AtCommit{4, TcpProxy::CommitFault::drop_reply},
                                           AtCommit{4, TcpProxy::CommitFault::drop_commit},
                                           AtCommit{7, TcpProxy::CommitFault::drop_reply},
                                           AtCommit{7, TcpProxy::CommitFault::drop_commit},
                                           AtCommit{8, TcpProxy::CommitFault::drop_reply},
                                           AtCommit{8, TcpProxy::CommitFault::drop_commit}),
                         at_commit_name);

// --- during a step, past the budget, Ctrl-C, never answered ----------------------------------

TEST_F(StepReconnect, ABigCreateAccountsCutHalfwayIsRunAgainWhole) {
  constexpr int kRows = 5000;
  std::string rows;
  for (int id = 1; id <= kRows; ++id) rows += (rows.empty() ? "" : ", ") + ("[" + std::to_string(id) + ", 7]");
  TcpProxy proxy(TestServer::get().port());
  auto cmd = start(write("  - bank.create_accounts: {rows: [" + rows + "]}\n"), proxy.port());
  const auto deadline = Clock::now() + 60s;
  while (proxy.count_sent("ON CONFLICT") < 1000 && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
  proxy.set_accepting(false);
  proxy.cut();
  const int sent_at_cut = proxy.count_sent("ON CONFLICT");
  std::this_thread::sleep_for(1s);
  proxy.set_accepting(true);
  const CommandResult r = cmd->wait_for(120s);

  ASSERT_LT(sent_at_cut, kRows) << "the cut came after the step had sent every row";
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  // Rolled back by the cut and made again from the first row: every row sent once more.
  EXPECT_GE(proxy.count_sent("ON CONFLICT"), sent_at_cut + kRows) << r.err;
  EXPECT_TRUE(contains(r.err, "connection lost")) << r.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM accounts"), kRows);
  EXPECT_EQ(scalar("SELECT count(*) FROM accounts WHERE balance = 7"), kRows);
}

TEST_F(StepReconnect, PastTheReconnectBudgetTheStepFailsNamingTheTargetAndTheBudget) {
  TcpProxy proxy(TestServer::get().port());
  auto cmd = start(scenario(3, "100ms", "reconnect_budget: 2s"), proxy.port());
  ASSERT_TRUE(wait_for_err(*cmd, "idle.wait: waiting")) << cmd->err_so_far();
  proxy.set_accepting(false);
  proxy.cut();
  const auto cut_at = Clock::now();
  const CommandResult r = cmd->wait_for(120s);
  const auto took = Clock::now() - cut_at;

  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_TRUE(contains(r.err, "127.0.0.1:" + std::to_string(proxy.port()))) << r.err;
  EXPECT_TRUE(contains(r.err, "still refused after reconnecting for")) << r.err;
  EXPECT_TRUE(contains(r.err, "retry: reconnect_budget is 2000 ms")) << r.err;
  EXPECT_TRUE(std::regex_search(r.err, std::regex("\\[5/10\\] bank.print_balances: FAILED"))) << r.err;
  // It tried for most of the budget (backing off up to 1 s, it stops when the next try would end
  // past it), not once, and not much longer.
  EXPECT_GE(took, 1s);
  EXPECT_LT(took, 10s);
  // What printed before the fault stays; nothing after it ran.
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(scalar("SELECT count(*) FROM accounts"), 2);
}

TEST_F(StepReconnect, CtrlCEndsTheWaitForTheTargetAtOnce) {
  TcpProxy proxy(TestServer::get().port());
  auto cmd = start(scenario(3, "100ms"), proxy.port());
  ASSERT_TRUE(wait_for_err(*cmd, "idle.wait: waiting")) << cmd->err_so_far();
  proxy.set_accepting(false);
  proxy.cut();
  ASSERT_TRUE(wait_for_err(*cmd, "lost the target")) << cmd->err_so_far();
  std::this_thread::sleep_for(300ms);
  const auto sent_at = Clock::now();
  cmd->signal(SIGINT);
  const CommandResult r = cmd->wait_for(30s);
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_LT(Clock::now() - sent_at, 2s) << r.err;
}

TEST_F(StepReconnect, ATargetThatNeverAnsweredIsExitThreeAtOnce) {
  TcpProxy proxy(TestServer::get().port());
  proxy.set_accepting(false);
  const auto started = Clock::now();
  auto cmd = start(scenario(), proxy.port());
  const CommandResult r = cmd->wait_for(60s);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_TRUE(contains(r.err, "127.0.0.1:" + std::to_string(proxy.port()))) << r.err;
  EXPECT_FALSE(contains(r.err, "reconnecting")) << r.err;
  EXPECT_LT(Clock::now() - started, 5s) << "waited for a target that never answered\n" << r.err;
}

// --- the SDK's reconnect for work outside a transaction -----------------------------------------

LibpqOptions through(const TcpProxy& proxy) {
  LibpqOptions options = TestServer::get().options();
  for (auto& [key, value] : options)
    if (key == "port") value = std::to_string(proxy.port());
  return options;
}

RetryPolicy quick_policy() {
  RetryPolicy policy;
  policy.max_retries = 2;
  policy.reconnect_budget = 5000ms;
  return policy;
}

TEST(RunReconnecting, RunsTheWorkAgainOnANewSessionWhenTheConnectionIsCutUnderIt) {
  TcpProxy proxy(TestServer::get().port());
  Connection conn = Connection::open(through(proxy), "sdk");
  TransactionStats stats;
  RetryHooks hooks;
  hooks.stats = &stats;
  int runs = 0;
  std::int64_t answer = 0;
  run_reconnecting(
      conn,
      [&](Connection& c) {
        if (++runs == 1) proxy.cut();
        answer = c.exec_simple("SELECT 42").integer(0, 0);
      },
      quick_policy(), hooks);
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(answer, 42);
  EXPECT_EQ(stats.attempts, 2);
  EXPECT_EQ(stats.reconnects, 1);
  EXPECT_EQ(proxy.connections(), 2);
}

TEST(RunReconnecting, RethrowsAnyOtherErrorAtOnce) {
  Connection conn = TestServer::get().connect();
  int runs = 0;
  try {
    run_reconnecting(
        conn, [&](Connection& c) { ++runs, c.exec_simple("SELECT * FROM no_such_table"); }, quick_policy());
    ADD_FAILURE() << "no error";
  } catch (const DbError& e) {
    EXPECT_EQ(e.sqlstate(), "42P01");
  }
  EXPECT_EQ(runs, 1);
}

TEST(RunReconnecting, GivesUpAfterMaxRetriesLostConnectionsSayingSo) {
  TcpProxy proxy(TestServer::get().port());
  Connection conn = Connection::open(through(proxy), "sdk");
  int runs = 0;
  try {
    run_reconnecting(
        conn,
        [&](Connection& c) {
          ++runs;
          proxy.cut();
          c.exec_simple("SELECT 1");
        },
        quick_policy());
    ADD_FAILURE() << "no error";
  } catch (const DbError& e) {
    EXPECT_TRUE(is_connection_lost_sqlstate(e.sqlstate())) << e.sqlstate();
    EXPECT_TRUE(contains(e.what(), "the connection was lost 3 times in a row (retry: max_retries is 2)")) << e.what();
  }
  EXPECT_EQ(runs, 3);
}

TEST(EnsureSession, ReplacesASessionClosedWhileIdleThatLibpqStillTakesForOpen) {
  TcpProxy proxy(TestServer::get().port());
  Connection conn = Connection::open(through(proxy), "sdk");
  proxy.cut();
  std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(conn.is_ok()) << "libpq read nothing yet: it cannot know";
  EXPECT_TRUE(ensure_session(conn, quick_policy()));
  EXPECT_EQ(conn.exec_simple("SELECT 1").integer(0, 0), 1);
  EXPECT_FALSE(ensure_session(conn, quick_policy())) << "a live session is kept";
  EXPECT_EQ(proxy.connections(), 2);
}

TEST(EnsureSession, NoticesABackendTerminatedWhileIdle) {
  Connection conn = TestServer::get().connect();
  const std::int64_t pid = conn.exec_simple("SELECT pg_backend_pid()").integer(0, 0);
  TestServer::get().connect().query("SELECT pg_terminate_backend($1)", pid);
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(ensure_session(conn, quick_policy()));
  EXPECT_NE(conn.exec_simple("SELECT pg_backend_pid()").integer(0, 0), pid);
}

TEST(OpenThroughOutage, WaitsForATargetThatRefusesForAWhile) {
  TcpProxy proxy(TestServer::get().port());
  proxy.set_accepting(false);
  std::thread back([&] {
    std::this_thread::sleep_for(500ms);
    proxy.set_accepting(true);
  });
  const auto started = Clock::now();
  Connection conn = open_through_outage(through(proxy), "sdk", quick_policy());
  back.join();
  EXPECT_GE(Clock::now() - started, 400ms);
  EXPECT_EQ(conn.exec_simple("SELECT 1").integer(0, 0), 1);
}

TEST(OpenThroughOutage, DoesNotWaitForWhatWaitingCannotCure) {
  LibpqOptions options = TestServer::get().options("root", "no_such_database");
  const auto started = Clock::now();
  EXPECT_THROW(open_through_outage(options, "sdk", quick_policy()), ConnectError);
  EXPECT_LT(Clock::now() - started, 1s);
}

}  // namespace
}  // namespace roachrun::test
