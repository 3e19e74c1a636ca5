// The retry helper (roachrun/retry.hpp) against the real PostgreSQL server of the test binary,
// with every class of failure made to happen for real: forced and genuine serialization
// failures, deadlocks, a killed backend, a connection dropped at COMMIT (through a TCP proxy), a
// host of a two-host target that goes away (two proxies).
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "roachrun/connection.hpp"
#include "roachrun/error.hpp"
#include "roachrun/faults.hpp"
#include "roachrun/retry.hpp"
#include "support/tcp_proxy.hpp"
#include "support/test_server.hpp"

namespace roachrun::test {
namespace {

using std::chrono::milliseconds;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
int count_of(const std::string& s, const std::string& part) {
  int n = 0;
  for (auto at = s.find(part); at != std::string::npos; at = s.find(part, at + part.size())) ++n;
  return n;
}

void force_serialization_failure(Connection& c) {
  c.exec_simple("DO $$BEGIN RAISE EXCEPTION USING ERRCODE = '40001', MESSAGE = 'forced retry'; END$$");
}

// A logger whose lines the test reads back.
struct CapturedLog {
  std::ostringstream text;
  std::shared_ptr<spdlog::logger> logger = [this] {
    auto l = std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(text));
    l->set_pattern("%l %v");
    l->set_level(spdlog::level::debug);
    return l;
  }();
  std::string str() {
    logger->flush();
    return text.str();
  }
};

class Retry : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = TestServer::get().create_database("retryx");
    Connection c = root();
    c.exec_simple("CREATE TABLE t (id INT PRIMARY KEY, attempt INT NOT NULL)");
    c.exec_simple("CREATE TABLE accounts (id INT PRIMARY KEY, balance INT NOT NULL)");
    c.exec_simple("INSERT INTO accounts VALUES (1, 1000), (2, 1000)");
  }
  Connection root() const { return TestServer::get().connect("root", database_); }
  // A connection through `proxy`, optionally pretending to be CockroachDB (its version() says so).
  Connection through(const TcpProxy& proxy, bool fake_cockroach = false) const {
    auto options = TestServer::get().options("root", database_);
    for (auto& [k, v] : options)
      if (k == "port") v = std::to_string(proxy.port());
    if (fake_cockroach) {
      Connection c = root();
      c.exec_simple("CREATE SCHEMA IF NOT EXISTS fake");
      c.exec_simple("CREATE OR REPLACE FUNCTION fake.version() RETURNS text LANGUAGE sql AS "
             "$$SELECT 'CockroachDB CCL v23.1.11 (fake, for tests)'::text$$");
      // Before pg_catalog in the search path, fake.version() answers the unqualified version().
      options.emplace_back("options", "-csearch_path=fake,public,pg_catalog");
    }
    return Connection::open(options, "proxied");
  }
  std::int64_t committed(const std::string& sql) { return root().exec_params(sql).integer(0, 0); }
  std::int64_t rows_in_t() { return committed("SELECT count(*) FROM t"); }

  static RetryHooks quick(std::vector<milliseconds>* sleeps, spdlog::logger* log = nullptr) {
    RetryHooks hooks;
    hooks.sleep = [sleeps](milliseconds d) { sleeps->push_back(d); };
    hooks.log = log;
    return hooks;
  }

  std::string database_;
};

// --- protocols ---------------------------------------------------------------------------------

struct ProtocolCase {
  RetryProtocol protocol;
  int failures;
};

class ForcedRetries : public Retry, public ::testing::WithParamInterface<ProtocolCase> {};

TEST_P(ForcedRetries, AbsorbedUnderEitherProtocol) {
  const auto [protocol, failures] = GetParam();
  TcpProxy proxy(TestServer::get().port());
  Connection conn = through(proxy);
  RetryPolicy policy;
  policy.protocol = protocol;
  policy.seed = 3;
  int attempts = 0;
  std::vector<milliseconds> sleeps;
  TransactionStats stats = run_transaction(
      conn,
      // An init-capture: clang before 16 cannot capture a structured binding (the sanitizer build).
      [&, limit = failures](Connection& c) {
        ++attempts;
        c.query("INSERT INTO t VALUES (1, $1)", attempts);
        if (attempts <= limit) force_serialization_failure(c);
      },
      policy, quick(&sleeps));
  EXPECT_EQ(stats.attempts, failures + 1);
  EXPECT_EQ(stats.retries, failures);
  EXPECT_EQ(sleeps.size(), static_cast<size_t>(failures));
  EXPECT_EQ(rows_in_t(), 1);
  EXPECT_EQ(committed("SELECT attempt FROM t"), failures + 1);
  EXPECT_FALSE(conn.in_transaction());

  const std::string sent = proxy.client_bytes();
  // SERIALIZABLE by default, each attempt its own BEGIN on PostgreSQL under both protocols.
  EXPECT_EQ(count_of(sent, "BEGIN ISOLATION LEVEL SERIALIZABLE"), failures + 1) << sent;
  EXPECT_EQ(count_of(sent, "ROLLBACK TO SAVEPOINT"), 0);
  EXPECT_EQ(count_of(sent, "COMMIT"), 1);
  if (protocol == RetryProtocol::savepoint) {
    EXPECT_EQ(count_of(sent, "SAVEPOINT cockroach_restart") - count_of(sent, "RELEASE SAVEPOINT cockroach_restart"),
              failures + 1);
    EXPECT_EQ(count_of(sent, "RELEASE SAVEPOINT cockroach_restart"), 1);
  } else {
    EXPECT_EQ(count_of(sent, "cockroach_restart"), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Protocols, ForcedRetries,
                         ::testing::Values(ProtocolCase{RetryProtocol::rollback, 0}, ProtocolCase{RetryProtocol::rollback, 1},
                                           ProtocolCase{RetryProtocol::rollback, 3}, ProtocolCase{RetryProtocol::savepoint, 0},
                                           ProtocolCase{RetryProtocol::savepoint, 1},
                                           ProtocolCase{RetryProtocol::savepoint, 3}));

TEST_F(Retry, SavepointProtocolRunsTheOperationInsideTheSavepoint) {
  Connection conn = root();
  RetryPolicy policy;
  policy.protocol = RetryProtocol::savepoint;
  std::vector<milliseconds> sleeps;
  run_transaction(
      conn,
      [](Connection& c) {
        c.exec_simple("INSERT INTO t VALUES (1, 1)");
        c.exec_simple("ROLLBACK TO SAVEPOINT cockroach_restart");  // fails (3B001) unless the helper set it
        c.exec_simple("INSERT INTO t VALUES (2, 1)");
      },
      policy, quick(&sleeps));
  EXPECT_EQ(rows_in_t(), 1);
  EXPECT_EQ(committed("SELECT id FROM t"), 2);
}

TEST_F(Retry, SavepointProtocolOnPostgresRestartsWithAFreshSnapshot) {
  // A genuine serialization failure: this transaction read row 1, another one changed it and
  // committed, then this one updates it. ROLLBACK TO SAVEPOINT would keep the old snapshot and
  // fail the same way on every retry; the helper restarts with ROLLBACK and BEGIN on PostgreSQL.
  root().exec_simple("INSERT INTO t VALUES (1, 0)");
  Connection conn = root();
  Connection other = root();
  RetryPolicy policy;
  policy.protocol = RetryProtocol::savepoint;
  CapturedLog log;
  std::vector<milliseconds> sleeps;
  int attempts = 0;
  TransactionStats stats = run_transaction(
      conn,
      [&](Connection& c) {
        ++attempts;
        c.exec_simple("SELECT attempt FROM t WHERE id = 1");
        if (attempts == 1) other.exec_simple("UPDATE t SET attempt = attempt + 100 WHERE id = 1");
        c.exec_simple("UPDATE t SET attempt = attempt + 1 WHERE id = 1");
      },
      policy, quick(&sleeps, log.logger.get()));
  EXPECT_EQ(stats.attempts, 2);
  EXPECT_EQ(committed("SELECT attempt FROM t WHERE id = 1"), 101);
  const std::string text = log.str();
  EXPECT_TRUE(contains(text, "could not serialize access")) << text;
  EXPECT_TRUE(contains(text, "restart with ROLLBACK and BEGIN")) << text;

  // Said once per process, not once per retry.
  CapturedLog second;
  attempts = 0;
  run_transaction(
      conn,
      [&](Connection& c) {
        if (++attempts <= 2) force_serialization_failure(c);
      },
      policy, quick(&sleeps, second.logger.get()));
  EXPECT_FALSE(contains(second.str(), "restart with ROLLBACK and BEGIN")) << second.str();
}

TEST_F(Retry, SavepointProtocolOnCockroachRollsBackToTheSavepoint) {
  TcpProxy proxy(TestServer::get().port());
  Connection conn = through(proxy, /*fake_cockroach=*/true);
  ASSERT_TRUE(conn.dialect().is_cockroach());
  RetryPolicy policy;
  policy.protocol = RetryProtocol::savepoint;
  int attempts = 0;
  std::vector<milliseconds> sleeps;
  TransactionStats stats = run_transaction(
      conn,
      [&](Connection& c) {
        ++attempts;
        c.query("INSERT INTO t VALUES (1, $1)", attempts);
        if (attempts <= 2) force_serialization_failure(c);
      },
      policy, quick(&sleeps));
  EXPECT_EQ(stats.attempts, 3);
  EXPECT_EQ(committed("SELECT attempt FROM t"), 3);
  const std::string sent = proxy.client_bytes();
  EXPECT_EQ(count_of(sent, "BEGIN ISOLATION LEVEL SERIALIZABLE"), 1) << "one transaction, rewound twice";
  EXPECT_EQ(count_of(sent, "ROLLBACK TO SAVEPOINT cockroach_restart"), 2);
  EXPECT_EQ(count_of(sent, "RELEASE SAVEPOINT cockroach_restart"), 1);
}

TEST_F(Retry, SerializationFailureAtCommitRestartsEvenUnderCockroachSavepoints) {
  // A deferred constraint trigger raises 40001 when COMMIT checks it, on the first commit only. A
  // failed COMMIT ends the transaction: there is no savepoint left to roll back to, so even
  // CockroachDB's protocol must start over with BEGIN.
  Connection setup = root();
  setup.exec_simple("CREATE SEQUENCE commits");
  setup.exec_simple(
      "CREATE FUNCTION fail_commit() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN "
      "IF nextval('commits') <= 1 THEN RAISE EXCEPTION USING ERRCODE = '40001', MESSAGE = 'commit conflict'; END IF; "
      "RETURN NULL; END$$");
  setup.exec_simple(
      "CREATE CONSTRAINT TRIGGER at_commit AFTER INSERT ON t DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
      "EXECUTE FUNCTION fail_commit()");
  TcpProxy proxy(TestServer::get().port());
  Connection conn = through(proxy, /*fake_cockroach=*/true);
  RetryPolicy policy;
  policy.protocol = RetryProtocol::savepoint;
  std::vector<milliseconds> sleeps;
  int attempts = 0;
  TransactionStats stats = run_transaction(
      conn, [&](Connection& c) { c.query("INSERT INTO t VALUES (1, $1)", ++attempts); }, policy, quick(&sleeps));
  EXPECT_EQ(stats.attempts, 2);
  EXPECT_EQ(committed("SELECT attempt FROM t"), 2);
  const std::string sent = proxy.client_bytes();
  EXPECT_EQ(count_of(sent, "BEGIN ISOLATION LEVEL SERIALIZABLE"), 2) << sent;
  EXPECT_EQ(count_of(sent, "ROLLBACK TO SAVEPOINT"), 0) << sent;
}

TEST_F(Retry, InterruptDuringBackoffRollsBackUnderEitherProtocol) {
  for (bool cockroach : {false, true}) {
    SCOPED_TRACE(cockroach ? "savepoint, CockroachDB" : "rollback, PostgreSQL");
    TcpProxy proxy(TestServer::get().port());
    Connection conn = through(proxy, cockroach);
    RetryPolicy policy;
    policy.protocol = cockroach ? RetryProtocol::savepoint : RetryProtocol::rollback;
    std::atomic<bool> interrupted{false};
    std::optional<bool> open_during_backoff;
    RetryHooks hooks;
    hooks.interrupted = &interrupted;
    hooks.sleep = [&](milliseconds) {
      open_during_backoff = conn.in_transaction();
      interrupted = true;  // Ctrl-C in the middle of the sleep
      throw Interrupted();
    };
    int attempts = 0;
    EXPECT_THROW(run_transaction(
                     conn,
                     [&](Connection& c) {
                       ++attempts;
                       c.exec_simple("INSERT INTO t VALUES (7, 1)");
                       force_serialization_failure(c);
                     },
                     policy, hooks),
                 Interrupted);
    EXPECT_EQ(attempts, 1);
    ASSERT_TRUE(open_during_backoff.has_value());
    // Only CockroachDB's savepoint protocol keeps the transaction over the sleep...
    EXPECT_EQ(*open_during_backoff, cockroach);
    // ...and Ctrl-C rolls it back all the same.
    EXPECT_FALSE(conn.in_transaction());
    EXPECT_EQ(rows_in_t(), 0);
  }
}

// --- isolation, budget ------------------------------------------------------------------------

TEST_F(Retry, RunsAtTheIsolationLevelOfThePolicy) {
  Connection conn = root();
  const std::pair<Isolation, const char*> cases[] = {{Isolation::serializable, "serializable"},
                                                     {Isolation::repeatable_read, "repeatable read"},
                                                     {Isolation::read_committed, "read committed"},
                                                     {Isolation::server_default, "read committed"}};
  for (const auto& [isolation, expected] : cases) {
    RetryPolicy policy;
    policy.isolation = isolation;
    std::string seen;
    run_transaction(conn, [&](Connection& c) { seen = c.exec_simple("SHOW transaction_isolation").text(0, 0); }, policy);
    EXPECT_EQ(seen, expected) << to_string(isolation);
  }
}

TEST_F(Retry, TimeBudgetStopsRetriesBeforeMaxRetries) {
  Connection conn = root();
  RetryPolicy policy;
  policy.max_retries = 50;
  policy.base_backoff = milliseconds(20);  // retry n sleeps 20 ms * 2^n * [0.5, 1.5)
  policy.budget = milliseconds(400);
  int attempts = 0;
  const auto start = std::chrono::steady_clock::now();
  try {
    run_transaction(conn, [&](Connection& c) {
      ++attempts;
      force_serialization_failure(c);
    }, policy);
    FAIL() << "succeeded";
  } catch (const RetriesExhausted& e) {
    EXPECT_TRUE(contains(e.what(), "within its time budget of 400 ms; retries exhausted")) << e.what();
    EXPECT_EQ(e.attempts(), attempts);
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, milliseconds(400)) << "a sleep went past the budget";
  EXPECT_GE(attempts, 2);
  EXPECT_LE(attempts, 5);  // 40 + 80 + 160 ms at least before the 4th retry's 320: never 50
  EXPECT_FALSE(conn.in_transaction());
}

// --- real failures -----------------------------------------------------------------------------

TEST_F(Retry, ContendingTransfersAtSerializableAreRetriedAndConserveTheTotal) {
  constexpr int kThreads = 6, kTransfers = 25;
  std::atomic<int> retries{0}, serialization_failures{0}, deadlocks{0}, committed_transfers{0};
  std::vector<std::thread> threads;
  std::mutex log_mutex;
  std::string logs;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Connection conn = TestServer::get().connect("root", database_);
      CapturedLog log;
      RetryPolicy policy;
      policy.max_retries = 100;
      policy.base_backoff = milliseconds(1);
      policy.max_backoff = milliseconds(20);
      RetryHooks hooks;
      hooks.log = log.logger.get();
      for (int i = 0; i < kTransfers; ++i) {
        const int from = (t + i) % 2 + 1, to = 3 - from, amount = 1 + (t * 7 + i) % 13;
        TransactionStats stats = run_transaction(
            conn,
            [&](Connection& c) {
              const std::int64_t balance = c.query("SELECT balance FROM accounts WHERE id = $1", from).integer(0, 0);
              std::this_thread::sleep_for(milliseconds(1));  // widen the window other transfers race into
              if (balance < amount) return;
              c.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2", amount, from);
              c.query("UPDATE accounts SET balance = balance + $1 WHERE id = $2", amount, to);
            },
            policy, hooks);
        retries += stats.retries;
        ++committed_transfers;
      }
      const std::string text = log.str();
      serialization_failures += count_of(text, "SQLSTATE 40001");
      deadlocks += count_of(text, "SQLSTATE 40P01");
      std::lock_guard lock(log_mutex);
      logs += text;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(committed_transfers.load(), kThreads * kTransfers);
  EXPECT_EQ(committed("SELECT sum(balance) FROM accounts"), 2000);
  EXPECT_GE(committed("SELECT min(balance) FROM accounts"), 0);
  EXPECT_GT(serialization_failures.load(), 0) << "no 40001 at SERIALIZABLE under contention?";
  EXPECT_EQ(retries.load(), serialization_failures.load() + deadlocks.load());
  std::cout << "[ measure  ] " << kThreads << " threads x " << kTransfers << " transfers: " << serialization_failures
            << " serialization failures (40001), " << deadlocks << " deadlocks (40P01), all absorbed\n";
}

TEST_F(Retry, DeadlockBetweenOppositeTransfersIsRetriedAndBothApply) {
  std::barrier both_debited(2);
  std::atomic<int> deadlocks{0};
  auto transfer = [&](int from, int to, int amount) {
    Connection conn = TestServer::get().connect("root", database_);
    CapturedLog log;
    RetryPolicy policy;
    policy.base_backoff = milliseconds(5);
    RetryHooks hooks;
    hooks.log = log.logger.get();
    int attempt = 0;
    run_transaction(
        conn,
        [&](Connection& c) {
          c.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2", amount, from);
          if (++attempt == 1) both_debited.arrive_and_wait();  // each holds one row, wants the other
          c.query("UPDATE accounts SET balance = balance + $1 WHERE id = $2", amount, to);
        },
        policy, hooks);
    deadlocks += count_of(log.str(), "SQLSTATE 40P01 (retryable)");
  };
  std::thread a(transfer, 1, 2, 100), b(transfer, 2, 1, 30);
  a.join();
  b.join();
  EXPECT_EQ(deadlocks.load(), 1) << "exactly one of the two is the deadlock's victim";
  EXPECT_EQ(committed("SELECT balance FROM accounts WHERE id = 1"), 930);
  EXPECT_EQ(committed("SELECT balance FROM accounts WHERE id = 2"), 1070);
}

TEST_F(Retry, BackendKilledBeforeCommitIsRetriedOnANewConnection) {
  Connection conn = root();
  Connection killer = root();
  CapturedLog log;
  std::vector<milliseconds> sleeps;
  std::vector<std::int64_t> pids;
  TransactionStats stats = run_transaction(
      conn,
      [&](Connection& c) {
        pids.push_back(c.exec_simple("SELECT pg_backend_pid()").integer(0, 0));
        c.query("INSERT INTO t VALUES (1, $1)", static_cast<int>(pids.size()));
        if (pids.size() == 1) {
          killer.query("SELECT pg_terminate_backend($1::int, 5000)", pids.back());
          c.exec_simple("SELECT 1");  // the session is gone
        }
      },
      RetryPolicy{}, quick(&sleeps, log.logger.get()));
  EXPECT_EQ(stats.attempts, 2);
  ASSERT_EQ(pids.size(), 2u);
  EXPECT_NE(pids[0], pids[1]) << "not a new connection";
  EXPECT_TRUE(conn.is_ok());
  EXPECT_EQ(committed("SELECT attempt FROM t WHERE id = 1"), 2);
  EXPECT_TRUE(contains(log.str(), "(connection lost)")) << log.str();
}

// --- ambiguous results -------------------------------------------------------------------------

class Ambiguous : public Retry, public ::testing::WithParamInterface<TcpProxy::CommitFault> {};

std::string commit_fault_name(const ::testing::TestParamInfo<TcpProxy::CommitFault>& info) {
  return info.param == TcpProxy::CommitFault::drop_reply ? "CommitHappenedReplyLost" : "CommitNeverArrived";
}

TEST_P(Ambiguous, ResolvedThroughWhatTheTransactionWrote) {
  const bool commit_happened = GetParam() == TcpProxy::CommitFault::drop_reply;
  TcpProxy proxy(TestServer::get().port());
  Connection conn = through(proxy);
  CapturedLog log;
  std::vector<milliseconds> sleeps;
  RetryHooks hooks = quick(&sleeps, log.logger.get());
  int resolutions = 0;
  hooks.resolve_ambiguous = [&](Connection& c) {
    ++resolutions;
    return c.exec_simple("SELECT count(*) FROM t WHERE id = 1").integer(0, 0) == 1;
  };
  int attempts = 0;
  proxy.arm(GetParam());
  TransactionStats stats = run_transaction(
      conn,
      [&](Connection& c) {
        ++attempts;
        c.query("INSERT INTO t VALUES (1, $1)", attempts);
      },
      RetryPolicy{}, hooks);
  EXPECT_TRUE(proxy.fired());
  EXPECT_EQ(resolutions, 1);
  EXPECT_EQ(attempts, commit_happened ? 1 : 2) << "committed: done; not committed: retried";
  EXPECT_EQ(stats.attempts, attempts);
  EXPECT_EQ(rows_in_t(), 1) << "applied exactly once";
  EXPECT_EQ(committed("SELECT attempt FROM t"), attempts);
  EXPECT_GE(proxy.connections(), 2) << "resolved on a fresh connection";
  EXPECT_TRUE(contains(log.str(), commit_happened ? "did commit" : "did not commit")) << log.str();
}

TEST_P(Ambiguous, WithoutAResolverFailsAndIsNotRetried) {
  const bool commit_happened = GetParam() == TcpProxy::CommitFault::drop_reply;
  TcpProxy proxy(TestServer::get().port());
  Connection conn = through(proxy);
  std::vector<milliseconds> sleeps;
  RetryHooks hooks = quick(&sleeps);
  hooks.ambiguous_advice = "do something";
  int attempts = 0;
  proxy.arm(GetParam());
  try {
    run_transaction(conn, [&](Connection& c) {
      ++attempts;
      c.exec_simple("INSERT INTO t VALUES (1, 1)");
    }, RetryPolicy{}, hooks);
    FAIL() << "succeeded";
  } catch (const AmbiguousCommit& e) {
    EXPECT_EQ(e.kind(), ErrorKind::step);
    EXPECT_EQ(e.sqlstate(), "08006");
    EXPECT_EQ(e.attempts(), 1);
    EXPECT_TRUE(contains(e.what(), "outcome unknown")) << e.what();
    EXPECT_TRUE(contains(e.what(), "; do something")) << e.what();
  }
  EXPECT_EQ(attempts, 1);
  EXPECT_TRUE(sleeps.empty());
  EXPECT_EQ(rows_in_t(), commit_happened ? 1 : 0);
}

INSTANTIATE_TEST_SUITE_P(CommitFaults, Ambiguous,
                         ::testing::Values(TcpProxy::CommitFault::drop_reply, TcpProxy::CommitFault::drop_commit),
                         commit_fault_name);

TEST_F(Retry, StatementCompletionUnknownIsAmbiguous) {
  Connection conn = root();
  std::vector<milliseconds> sleeps;
  int attempts = 0;
  try {
    run_transaction(conn, [&](Connection& c) {
      ++attempts;
      c.exec_simple("DO $$BEGIN RAISE EXCEPTION USING ERRCODE = '40003', MESSAGE = 'result is ambiguous'; END$$");
    }, RetryPolicy{}, quick(&sleeps));
    FAIL() << "succeeded";
  } catch (const AmbiguousCommit& e) {
    EXPECT_EQ(e.sqlstate(), "40003");
    EXPECT_TRUE(contains(e.what(), "could not tell whether the transaction completed")) << e.what();
  }
  EXPECT_EQ(attempts, 1);
  EXPECT_TRUE(sleeps.empty());
  EXPECT_FALSE(conn.in_transaction());
}

// --- run_attempts: the engine under a strategy of a step's own -------------------------------
// bank.workload's single and pipeline protocols make their attempts this way; these pin down
// that they get exactly what run_transaction gets: classification, backoff, reconnects,
// ambiguity resolution and the error texts.

// One INSERT as its own implicit transaction, as the workload's `single` protocol: its reply is
// its COMMIT's. (The comment is what the proxy's COMMIT fault looks for.)
class SingleStatement : public AttemptStrategy {
 public:
  explicit SingleStatement(int failures = 0, bool resolves = true) : failures_(failures), resolves_(resolves) {}
  void run(Connection& conn, Attempt& attempt) override {
    ++runs;
    attempt.phase = AttemptPhase::committing;
    if (attempt.number <= failures_)
      conn.exec_simple("DO $$BEGIN RAISE EXCEPTION USING ERRCODE = '40001', MESSAGE = 'forced retry'; END$$");
    conn.query("INSERT INTO t VALUES (1, $1) /* its own COMMIT */", attempt.number);
  }
  void abandon(Connection& conn) noexcept override {
    ++abandoned;
    AttemptStrategy::abandon(conn);
  }
  bool resolves_ambiguity() const noexcept override { return resolves_; }
  bool committed(Connection& conn) override {
    ++resolutions;
    return conn.exec_simple("SELECT count(*) FROM t WHERE id = 1").integer(0, 0) == 1;
  }
  std::string ambiguous_advice() const override { return "give it a ledger"; }
  void new_session(Connection&) override { ++sessions; }

  int runs = 0, abandoned = 0, resolutions = 0, sessions = 0;

 private:
  int failures_;
  bool resolves_;
};

class AmbiguousStrategy : public Retry, public ::testing::WithParamInterface<TcpProxy::CommitFault> {};

TEST_P(AmbiguousStrategy, ResolvedByTheStrategyOnANewSession) {
  const bool commit_happened = GetParam() == TcpProxy::CommitFault::drop_reply;
  TcpProxy proxy(TestServer::get().port());
  Connection conn = through(proxy);
  std::vector<milliseconds> sleeps;
  TransactionStats stats;
  RetryHooks hooks = quick(&sleeps);
  hooks.stats = &stats;
  SingleStatement strategy;
  proxy.arm(GetParam());
  run_attempts(conn, strategy, RetryPolicy{}, hooks);
  EXPECT_TRUE(proxy.fired());
  EXPECT_EQ(strategy.resolutions, 1);
  EXPECT_EQ(strategy.runs, commit_happened ? 1 : 2) << "committed: done; not committed: retried";
  EXPECT_EQ(strategy.sessions, 1) << "told once about the new session";
  EXPECT_EQ(stats.reconnects, 1);
  EXPECT_EQ(stats.ambiguous_resolved, 1);
  EXPECT_EQ(stats.attempts, strategy.runs);
  EXPECT_EQ(sleeps.size(), commit_happened ? 0u : 1u);
  EXPECT_EQ(rows_in_t(), 1) << "applied exactly once";
}

TEST_P(AmbiguousStrategy, UnresolvableFailsWithTheStrategysAdvice) {
  const bool commit_happened = GetParam() == TcpProxy::CommitFault::drop_reply;
  TcpProxy proxy(TestServer::get().port());
  Connection conn = through(proxy);
  std::vector<milliseconds> sleeps;
  SingleStatement strategy(0, /*resolves=*/false);
  proxy.arm(GetParam());
  try {
    run_attempts(conn, strategy, RetryPolicy{}, quick(&sleeps));
    FAIL() << "succeeded";
  } catch (const AmbiguousCommit& e) {
    EXPECT_EQ(e.attempts(), 1);
    EXPECT_TRUE(contains(e.what(), "outcome unknown")) << e.what();
    EXPECT_TRUE(contains(e.what(), "; give it a ledger")) << e.what();
  }
  EXPECT_EQ(strategy.runs, 1);
  EXPECT_EQ(strategy.resolutions, 0);
  EXPECT_TRUE(sleeps.empty());
  EXPECT_EQ(rows_in_t(), commit_happened ? 1 : 0);
}

INSTANTIATE_TEST_SUITE_P(CommitFaults, AmbiguousStrategy,
                         ::testing::Values(TcpProxy::CommitFault::drop_reply, TcpProxy::CommitFault::drop_commit),
                         commit_fault_name);

TEST_F(Retry, StrategyRetriesWithTheHooksJitterAndCountsEveryAttempt) {
  Connection conn = root();
  std::vector<milliseconds> sleeps;
  TransactionStats stats;
  RetryHooks hooks = quick(&sleeps);
  hooks.stats = &stats;
  std::vector<double> draws = {0.25, 0.75};
  int drawn = 0;
  hooks.random = [&] { return draws[static_cast<std::size_t>(drawn++)]; };
  SingleStatement strategy(2);
  RetryPolicy policy;
  run_attempts(conn, strategy, policy, hooks);
  EXPECT_EQ(strategy.runs, 3);
  EXPECT_EQ(strategy.abandoned, 2) << "each failed attempt is abandoned once";
  EXPECT_EQ(drawn, 2);
  ASSERT_EQ(sleeps.size(), 2u);
  EXPECT_EQ(sleeps[0], backoff_delay(policy, 1, 0.25));
  EXPECT_EQ(sleeps[1], backoff_delay(policy, 2, 0.75));
  EXPECT_EQ(stats.attempts, 3);
  EXPECT_EQ(stats.retries, 2);
  EXPECT_EQ(stats.backoff, sleeps[0] + sleeps[1]);
  EXPECT_EQ(stats.reconnects, 0);
  EXPECT_EQ(committed("SELECT attempt FROM t"), 3);
}

TEST_F(Retry, StrategyExhaustsItsRetriesWithTheSameError) {
  Connection conn = root();
  std::vector<milliseconds> sleeps;
  SingleStatement strategy(10);
  RetryPolicy policy;
  policy.max_retries = 2;
  try {
    run_attempts(conn, strategy, policy, quick(&sleeps));
    FAIL() << "succeeded";
  } catch (const RetriesExhausted& e) {
    EXPECT_EQ(e.attempts(), 3);
    EXPECT_TRUE(contains(e.what(), "after 3 attempts (2 retries)")) << e.what();
    EXPECT_TRUE(contains(e.what(), "last error (retryable): forced retry (SQLSTATE 40001)")) << e.what();
  }
  EXPECT_EQ(strategy.runs, 3);
  EXPECT_EQ(rows_in_t(), 0);
}

TEST_F(Retry, StrategysFinalErrorNamesTheAttempt) {
  // A final error after a retry: the engine says which attempt it was, for every protocol.
  struct FailsThenBreaks : AttemptStrategy {
    void run(Connection& conn, Attempt& attempt) override {
      if (attempt.number == 1)
        conn.exec_simple("DO $$BEGIN RAISE EXCEPTION USING ERRCODE = '40001', MESSAGE = 'forced retry'; END$$");
      conn.exec_simple("SELECT * FROM no_such_table");
    }
  } strategy;
  Connection conn = root();
  std::vector<milliseconds> sleeps;
  try {
    run_attempts(conn, strategy, RetryPolicy{}, quick(&sleeps));
    FAIL() << "succeeded";
  } catch (const RetriesExhausted&) {
    FAIL() << "a final error is not retried";
  } catch (const DbError& e) {
    EXPECT_EQ(e.sqlstate(), "42P01");
    EXPECT_TRUE(contains(e.what(), "transaction failed on attempt 2 (final error, not retried)")) << e.what();
  }
  EXPECT_EQ(sleeps.size(), 1u);
}

TEST_F(Retry, StrategyOpenTransactionIsAbandonedOnAnyException) {
  // A strategy that opens its own transaction and fails with something that is not a DbError.
  struct Throws : AttemptStrategy {
    void run(Connection& conn, Attempt&) override {
      conn.exec_simple("BEGIN");
      conn.exec_simple("INSERT INTO t VALUES (1, 1)");
      throw StepError("the step gave up");
    }
  } strategy;
  Connection conn = root();
  EXPECT_THROW(run_attempts(conn, strategy, RetryPolicy{}), StepError);
  EXPECT_FALSE(conn.in_transaction()) << "the default abandon() rolled back";
  EXPECT_EQ(rows_in_t(), 0);
}

TEST_F(Retry, StrategyReconnectsALostSessionBeforeTheNextAttempt) {
  Connection conn = root();
  Connection killer = root();
  std::vector<milliseconds> sleeps;
  TransactionStats stats;
  RetryHooks hooks = quick(&sleeps);
  hooks.stats = &stats;
  struct KilledOnce : SingleStatement {
    Connection* killer = nullptr;
    void run(Connection& conn, Attempt& attempt) override {
      if (attempt.number == 1) {
        const auto pid = conn.exec_simple("SELECT pg_backend_pid()").integer(0, 0);
        killer->query("SELECT pg_terminate_backend($1::int, 5000)", pid);
        conn.exec_simple("SELECT 1");  // still before anything could commit: connection lost
      }
      SingleStatement::run(conn, attempt);
    }
  } strategy;
  strategy.killer = &killer;
  run_attempts(conn, strategy, RetryPolicy{}, hooks);
  EXPECT_EQ(stats.attempts, 2);
  EXPECT_EQ(stats.ambiguous_resolved, 0) << "lost before the commit: not ambiguous";
  EXPECT_EQ(stats.reconnects, 1);
  EXPECT_EQ(strategy.sessions, 1);
  EXPECT_EQ(rows_in_t(), 1);
}

// --- failover between the hosts of a multi-host target ----------------------------------------

// Two TCP proxies in front of the test server act as two hosts of one target (host=a,b): libpq
// tries them in order, so a reconnect while the first refuses lands on the second.
class Failover : public Retry {
 protected:
  Connection open_on_both(const std::string& label = "failover") const {
    auto options = TestServer::get().options("root", database_);
    for (auto& [k, v] : options) {
      if (k == "host") v = "127.0.0.1,127.0.0.1";
      if (k == "port") v = std::to_string(first_.port()) + "," + std::to_string(second_.port());
    }
    return Connection::open(options, label);
  }
  // One transaction on `conn` through the engine, which replaces the session if it is lost.
  TransactionStats touch(Connection& conn, spdlog::logger* log) {
    std::vector<milliseconds> sleeps;
    TransactionStats stats;
    RetryHooks hooks = quick(&sleeps, log);
    hooks.stats = &stats;
    run_transaction(conn, [](Connection& c) { c.exec_simple("SELECT 1"); }, RetryPolicy{}, hooks);
    return stats;
  }

  TcpProxy first_{TestServer::get().port()};
  TcpProxy second_{TestServer::get().port()};
  const std::string a_ = "127.0.0.1:" + std::to_string(first_.port());
  const std::string b_ = "127.0.0.1:" + std::to_string(second_.port());
};

TEST_F(Failover, EndpointIsTheHostInUseAlsoAfterAReconnectMovedIt) {
  Connection conn = open_on_both();
  EXPECT_EQ(conn.endpoint(), a_);
  first_.set_accepting(false);
  first_.cut();
  conn.reconnect();
  EXPECT_EQ(conn.endpoint(), b_) << "the host libpq got in on, not the first of the list";
  EXPECT_EQ(conn.exec_simple("SELECT 1").integer(0, 0), 1);
}

TEST_F(Failover, SessionsMovedOffAHostThatRefusesAreOneOutageOfItSaidOnce) {
  Connection one = open_on_both("one"), two = open_on_both("two");
  const FaultRecords before = fault_records();
  first_.set_accepting(false);
  first_.cut();
  CapturedLog log;
  EXPECT_EQ(touch(one, log.logger.get()).reconnects, 1);
  EXPECT_EQ(touch(two, log.logger.get()).reconnects, 1);
  EXPECT_EQ(one.endpoint(), b_);
  EXPECT_EQ(two.endpoint(), b_);
  auto faults = fault_records_since(before);
  ASSERT_EQ(faults.count(a_), 1u) << log.str();
  EXPECT_EQ(faults[a_].sessions_lost, 2u);
  EXPECT_EQ(faults[a_].sessions_moved, 2u);
  EXPECT_EQ(faults[a_].outages, 1u) << "two sessions, one outage";
  EXPECT_GT(faults[a_].without_connection.count(), 0);
  EXPECT_EQ(faults.count(b_), 0u) << "nothing was lost on the second host";
  EXPECT_EQ(count_of(log.str(), "lost the target " + a_ + ": "), 1) << log.str();
  EXPECT_TRUE(contains(log.str(), "; its sessions moved to " + b_)) << log.str();

  // The first host is back; a session lost on the second goes home first: that is no outage of
  // the second (it was never tried), and a session got in on the first again: its outage ended.
  first_.set_accepting(true);
  const FaultRecords middle = fault_records();
  second_.cut();
  EXPECT_EQ(touch(one, log.logger.get()).reconnects, 1);
  EXPECT_EQ(one.endpoint(), a_);
  faults = fault_records_since(middle);
  ASSERT_EQ(faults.count(b_), 1u);
  EXPECT_EQ(faults[b_].sessions_lost, 1u);
  EXPECT_EQ(faults[b_].sessions_moved, 1u);
  EXPECT_EQ(faults[b_].outages, 0u);
  EXPECT_FALSE(contains(log.str(), "lost the target " + b_)) << log.str();
  EXPECT_TRUE(std::regex_search(log.str(), std::regex("the target " + a_ + " is back after [0-9]+\\.[0-9] s")))
      << log.str();
}

TEST(SleepUnless, EndsPromptlyWhenStoppedAndSleepsOtherwise) {
  using clock = std::chrono::steady_clock;
  std::atomic<bool> stop{false};
  auto t0 = clock::now();
  EXPECT_TRUE(sleep_unless(milliseconds(60), &stop));
  EXPECT_GE(clock::now() - t0, milliseconds(60));
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(50));
    stop = true;
  });
  t0 = clock::now();
  EXPECT_FALSE(sleep_unless(std::chrono::seconds(30), &stop));
  EXPECT_LT(clock::now() - t0, std::chrono::seconds(5));
  stopper.join();
  EXPECT_FALSE(sleep_unless(milliseconds(1), &stop)) << "already stopped";
  EXPECT_TRUE(sleep_unless(milliseconds(1), nullptr));
}

}  // namespace
}  // namespace roachrun::test
