// Ctrl-C reaches every Connection (issue 11): each one is in the SDK's cancel registry while its
// session is open, however it was made (open, open_database, reconnect, a move), and leaves it
// when it closes; cancel_all_connections() cancels what they run and refuses new sessions. On the
// real test server.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "roachrun/error.hpp"
#include "sdk/cancel_registry.hpp"
#include "support/test_server.hpp"

namespace roachrun::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

int backend_pid(const Connection& c) { return PQbackendPID(c.native_handle()); }

class CancelRegistry : public ::testing::Test {
 protected:
  void SetUp() override {
    TestServer::get();  // started before counting: it keeps no connection open
    before_ = registered_connections();
  }
  // Whatever a test did, the rest of the binary can connect again.
  void TearDown() override { reset_cancel_registry_for_tests(); }

  // Sessions registered now, beyond those open when the test started.
  std::size_t registered() const { return registered_connections() - before_; }

  // Waits (up to 10 s) until backend `pid` is running a statement that sleeps on the server.
  static bool wait_until_sleeping(int pid) {
    Connection watcher = TestServer::get().connect();
    const auto deadline = Clock::now() + 10s;
    while (Clock::now() < deadline) {
      if (watcher.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active' AND wait_event = 'PgSleep'",
                        pid).rows() == 1)
        return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  std::size_t before_ = 0;
};

TEST_F(CancelRegistry, OpenRegistersAndDestructionDeregisters) {
  {
    Connection c = TestServer::get().connect();
    EXPECT_EQ(registered(), 1u);
    Connection other = c.open_database("postgres");
    EXPECT_EQ(registered(), 2u) << "open_database makes a connection like any other";
  }
  EXPECT_EQ(registered(), 0u) << "destroyed connections must leave the registry";
}

TEST_F(CancelRegistry, MoveCarriesTheRegistrationAndAssignmentReleasesTheOldOne) {
  Connection a = TestServer::get().connect();
  Connection b = std::move(a);
  EXPECT_EQ(registered(), 1u) << "a move carries the session's one registration";
  Connection c = TestServer::get().connect();
  EXPECT_EQ(registered(), 2u);
  c = std::move(b);  // c's own session closes
  EXPECT_EQ(registered(), 1u) << "assigning over a connection must deregister its old session";
  std::optional<Connection> held(std::move(c));
  held.reset();
  EXPECT_EQ(registered(), 0u);
}

TEST_F(CancelRegistry, ReconnectReplacesTheRegistration) {
  Connection c = TestServer::get().connect();
  const int first = backend_pid(c);
  c.reconnect();
  EXPECT_NE(backend_pid(c), first) << "a new session";
  EXPECT_EQ(registered(), 1u) << "the new session replaces the old one in the registry";
}

TEST_F(CancelRegistry, CancelReachesAConnectionMadeByReconnect) {
  Connection c = TestServer::get().connect();
  c.reconnect();  // as the retry engine does after a lost connection
  std::string sqlstate;
  std::thread sleeper([&] {
    try {
      c.exec_simple("SELECT pg_sleep(60)");
    } catch (const DbError& e) {
      sqlstate = e.sqlstate();
    }
  });
  const bool sleeping = wait_until_sleeping(backend_pid(c));
  const auto start = Clock::now();
  EXPECT_GE(cancel_all_connections(), 1u);
  sleeper.join();
  ASSERT_TRUE(sleeping) << "the statement never started";
  EXPECT_EQ(sqlstate, "57014") << "the reconnected session's statement must be cancelled";
  EXPECT_LT(Clock::now() - start, 10s);
}

TEST_F(CancelRegistry, ASessionOnCockroachBefore22_1IsClosedInsteadOfCancelled) {
  // CockroachDB before v22.1 ignores cancel requests: once dialect() has seen such a server, the
  // session is shut down instead. Played by PostgreSQL with a stand-in version() first in the
  // search path; that PostgreSQL's backend still sleeps afterwards shows no cancel was sent.
  const std::string database = TestServer::get().create_database("cancelclose");
  Connection setup = TestServer::get().connect("root", database);
  setup.exec_simple("CREATE SCHEMA fake");
  setup.exec_simple("CREATE FUNCTION fake.version() RETURNS text LANGUAGE sql AS "
                    "$$SELECT 'CockroachDB CCL v21.2.17 (fake, for tests)'::text$$");
  LibpqOptions options = TestServer::get().options("root", database);
  options.emplace_back("options", "-csearch_path=public,fake,pg_catalog");
  Connection c = Connection::open(options, "old-cockroach");
  ASSERT_TRUE(c.dialect().cockroach_before(22, 1)) << c.dialect().version;
  Connection plain = TestServer::get().connect();  // PostgreSQL as itself: cancelled as ever

  std::string sqlstate;
  std::thread sleeper([&] {
    try {
      c.exec_simple("SELECT pg_sleep(60)");
    } catch (const DbError& e) {
      sqlstate = e.sqlstate();
    }
  });
  const int pid = backend_pid(c);
  const bool sleeping = wait_until_sleeping(pid);
  const auto start = Clock::now();
  std::size_t closed = 0;
  cancel_all_connections(&closed);
  sleeper.join();
  ASSERT_TRUE(sleeping) << "the statement never started";
  EXPECT_EQ(closed, 1u) << "only the CockroachDB v21.2 session is closed";
  EXPECT_EQ(sqlstate, "08006") << "the statement ends as on a lost connection";
  EXPECT_LT(Clock::now() - start, 5s);
  reset_cancel_registry_for_tests();  // the check below connects
  EXPECT_TRUE(wait_until_sleeping(pid)) << "closed, not cancelled: the server still runs the statement";
  setup.query("SELECT pg_terminate_backend($1)", pid);
}

TEST_F(CancelRegistry, CancelReachesEveryThreadsConnection) {
  // As bank.workload's clients: one connection per thread, opened by the thread itself.
  constexpr int kThreads = 4;
  std::vector<std::string> sqlstates(kThreads);
  std::vector<std::atomic<int>> pids(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      Connection c = TestServer::get().connect();
      pids[static_cast<std::size_t>(i)] = backend_pid(c);
      try {
        c.exec_simple("SELECT pg_sleep(60)");
      } catch (const DbError& e) {
        sqlstates[static_cast<std::size_t>(i)] = e.sqlstate();
      }
    });
  bool all_sleeping = true;
  for (auto& pid : pids) {
    const auto deadline = Clock::now() + 10s;
    while (pid.load() == 0 && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
    all_sleeping = all_sleeping && wait_until_sleeping(pid.load());
  }
  cancel_all_connections();
  for (auto& t : threads) t.join();
  ASSERT_TRUE(all_sleeping) << "not every statement started";
  for (const auto& state : sqlstates) EXPECT_EQ(state, "57014");
  EXPECT_EQ(registered(), 0u);
}

TEST_F(CancelRegistry, AfterAnInterruptEveryWayToConnectThrowsInterrupted) {
  Connection c = TestServer::get().connect();
  const int pid = backend_pid(c);
  cancel_all_connections();
  EXPECT_THROW(TestServer::get().connect(), Interrupted);
  EXPECT_THROW(c.open_database("postgres"), Interrupted);
  EXPECT_THROW(c.reconnect(), Interrupted) << "no retry loop may reconnect its way past Ctrl-C";
  EXPECT_EQ(backend_pid(c), pid) << "a refused reconnect leaves the connection as it was";
  EXPECT_EQ(c.exec_simple("SELECT 1").integer(0, 0), 1) << "connections open before the interrupt still work";
  EXPECT_EQ(registered(), 1u) << "refused sessions must not stay registered";

  reset_cancel_registry_for_tests();
  EXPECT_NO_THROW(TestServer::get().connect());
}

TEST_F(CancelRegistry, CancellingWhileConnectionsOpenAndCloseOnManyThreadsIsSafe) {
  // Clients open and close connections while the signal thread cancels: no entry may be used
  // after its connection went (a sanitizer build would catch it), none may be left behind.
  std::atomic<bool> stop{false};
  std::atomic<int> opened{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      while (!stop.load()) {
        try {
          Connection c = TestServer::get().connect();
          ++opened;
          c.exec_simple("SELECT 1");
          Connection moved = std::move(c);
        } catch (const Interrupted&) {
          ++refused;
        } catch (const Error&) {
          // SELECT 1 itself cancelled (57014): the point of the exercise
        }
      }
    });
  const auto until = Clock::now() + 1500ms;
  while (Clock::now() < until) {
    cancel_all_connections();
    std::this_thread::sleep_for(2ms);
    reset_cancel_registry_for_tests();
    std::this_thread::sleep_for(20ms);
  }
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_GT(opened.load(), 0);
  EXPECT_GT(refused.load(), 0) << "some connects should have fallen inside an interrupt";
  EXPECT_EQ(registered(), 0u);
}

}  // namespace
}  // namespace roachrun::test
