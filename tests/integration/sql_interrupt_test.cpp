// Ctrl-C during a long sql.exec statement on CockroachDB before v22.1 (issue 14, gap 8). That
// server ignores cancel requests (honoured from v22.1: cockroachdb/cockroach PR #67501), so
// roachrun closes the session instead: the run still ends at once with the interrupted exit
// code, and says that the statement may still be running on the server. CockroachDB is played
// by the CockroachDB stand-in (support/cockroach_standin.hpp); what shows that the session was
// closed rather than cancelled is that PostgreSQL's backend is still in pg_sleep after roachrun
// has gone (the stand-in's proxy closes its side too, and a backend notices a closed client only
// when it next writes to it). From v22.1 the statement is cancelled, as on PostgreSQL.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "support/eventually.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"
#include "support/cockroach_standin.hpp"
#include "support/test_server.hpp"

namespace roachrun::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kApp = "sql_interrupt";  // the scenario's application_name: the run's sessions
constexpr const char* kStillRunning = "may still be running on the server";

class SqlInterrupt : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = TestServer::get().create_database("sqlintr");
    watcher_ = TestServer::get().connect("root", database_);
  }
  void TearDown() override {
    // The pg_sleep a closed session left behind.
    watcher_.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2",
                   database_, kApp);
  }

  // From now on the run goes through a stand-in answering as CockroachDB `release`.
  void pretend_cockroach(const std::string& release) { standin_ = std::make_unique<CockroachStandIn>(release); }
  // The run's sessions sleeping in pg_sleep.
  std::int64_t sleeping() {
    return watcher_
        .query("SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2 "
               "AND state = 'active' AND wait_event = 'PgSleep'",
               database_, kApp)
        .integer(0, 0);
  }

  // Starts `sql.exec: SELECT pg_sleep(30)`, waits until the server sleeps in it, presses Ctrl-C
  // and returns what roachrun did; *took is how long it needed to exit.
  CommandResult interrupt_a_sleep(Clock::duration* took) {
    const std::string file = dir_.write("s.yaml", "scenario: sqlintr\n"
                                                  "connections:\n"
                                                  "  app: {user: root, database: " + database_ +
                                                      ", application_name: " + kApp + "}\n"
                                                  "steps:\n"
                                                  "  - sql.exec: {sql: \"SELECT pg_sleep(30)\"}\n");
    const std::string target = standin_ ? standin_->url("root", database_) : TestServer::get().url();
    RunningCommand cmd({"run", file, "--target", target});
    const bool started = eventually([&] { return !cmd.running() || sleeping() == 1; }, 30s);
    EXPECT_TRUE(started && cmd.running()) << "the statement never started\n" << cmd.err_so_far();
    const auto start = Clock::now();
    cmd.signal(SIGINT);
    bool killed = false;
    CommandResult r = cmd.wait_for(20s, &killed);
    *took = Clock::now() - start;
    EXPECT_FALSE(killed) << "roachrun did not exit after Ctrl-C\n" << r.err;
    return r;
  }

  TempDir dir_;
  std::string database_;
  std::unique_ptr<CockroachStandIn> standin_;
  Connection watcher_ = TestServer::get().connect();
};

TEST_F(SqlInterrupt, BeforeCockroach22_1CtrlCClosesTheSessionAndSaysTheStatementMayStillRun) {
  pretend_cockroach("21.2.0");
  Clock::duration took{};
  const CommandResult r = interrupt_a_sleep(&took);
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_LT(took, 5s) << "Ctrl-C must not wait for a statement the server does not cancel\n" << r.err;
  EXPECT_NE(r.err.find("interrupted"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("closed 1 connection(s) to CockroachDB older than v22.1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(kStillRunning), std::string::npos) << r.err;
  // Closed, not cancelled: the server is still running the statement after roachrun has gone.
  EXPECT_EQ(sleeping(), 1) << "the backend should still sleep: roachrun closed its session, it sent no cancel";
}

TEST_F(SqlInterrupt, FromCockroach22_1CtrlCCancelsTheStatement) {
  pretend_cockroach("22.1.0");
  Clock::duration took{};
  const CommandResult r = interrupt_a_sleep(&took);
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_LT(took, 5s) << r.err;
  EXPECT_EQ(r.err.find(kStillRunning), std::string::npos) << "nothing was closed\n" << r.err;
  EXPECT_TRUE(eventually([&] { return sleeping() == 0; }, 5s)) << "the cancel request must stop pg_sleep";
}

TEST_F(SqlInterrupt, OnPostgreSQLCtrlCCancelsTheStatement) {
  Clock::duration took{};
  const CommandResult r = interrupt_a_sleep(&took);
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_LT(took, 5s) << r.err;
  EXPECT_EQ(r.err.find(kStillRunning), std::string::npos) << r.err;
  EXPECT_TRUE(eventually([&] { return sleeping() == 0; }, 5s)) << "the cancel request must stop pg_sleep";
}

}  // namespace
}  // namespace roachrun::test
