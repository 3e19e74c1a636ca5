// SDK roachrun/retry.hpp: run_transaction against the real PostgreSQL server of the test binary,
// made to fail with real server-side errors.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "roachrun/connection.hpp"
#include "roachrun/error.hpp"
#include "roachrun/retry.hpp"
#include "support/test_server.hpp"

namespace roachrun {
namespace {

using std::chrono::milliseconds;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Raises a real serialization failure on the server.
void force_serialization_failure(Connection& conn) {
  conn.exec_simple("DO $$BEGIN RAISE EXCEPTION USING ERRCODE = '40001', MESSAGE = 'forced retry'; END$$");
}

class RunTransaction : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = test::TestServer::get().create_database("retry");
    conn_.emplace(test::TestServer::get().connect("root", database_));
    conn_->exec_simple("CREATE TABLE t (id INT PRIMARY KEY, attempt INT NOT NULL)");
  }

  Connection& conn() { return *conn_; }

  // Rows in t, read on a separate connection: only what was committed.
  std::int64_t committed_rows() {
    Connection other = test::TestServer::get().connect("root", database_);
    return other.exec_simple("SELECT count(*) FROM t").integer(0, 0);
  }

  // An operation that inserts a row, then fails with 40001 on its first `failures` attempts.
  std::function<void(Connection&)> failing_op(int failures, int* attempts) {
    return [failures, attempts](Connection& c) {
      ++*attempts;
      c.query("INSERT INTO t (id, attempt) VALUES (1, $1)", *attempts);
      if (*attempts <= failures) force_serialization_failure(c);
    };
  }

  // A policy whose sleeps are recorded instead of slept.
  RetryHooks recording_hooks(std::vector<milliseconds>* sleeps, TransactionStats* stats = nullptr) {
    RetryHooks hooks;
    hooks.sleep = [sleeps](milliseconds d) { sleeps->push_back(d); };
    hooks.stats = stats;
    return hooks;
  }

  std::string database_;
  std::optional<Connection> conn_;
};

class RunTransactionSucceedsAfterFailures : public RunTransaction, public ::testing::WithParamInterface<int> {};

TEST_P(RunTransactionSucceedsAfterFailures, CommitsExactlyOnce) {
  const int failures = GetParam();
  int attempts = 0;
  std::vector<milliseconds> sleeps;
  RetryPolicy policy;  // max_retries 3
  policy.seed = 7;
  TransactionStats stats = run_transaction(conn(), failing_op(failures, &attempts), policy, recording_hooks(&sleeps));

  EXPECT_EQ(attempts, failures + 1);
  EXPECT_EQ(stats.attempts, failures + 1);
  EXPECT_EQ(stats.retries, failures);
  EXPECT_EQ(sleeps.size(), static_cast<size_t>(failures));
  milliseconds total{0};
  for (auto d : sleeps) total += d;
  EXPECT_EQ(stats.backoff, total);
  EXPECT_FALSE(conn().in_transaction());
  EXPECT_EQ(committed_rows(), 1);
  // The committed row is the last attempt's.
  EXPECT_EQ(conn().exec_simple("SELECT attempt FROM t WHERE id = 1").integer(0, 0), failures + 1);
}

INSTANTIATE_TEST_SUITE_P(Failures, RunTransactionSucceedsAfterFailures, ::testing::Values(0, 1, 2, 3));

TEST_F(RunTransaction, GivesUpAfterMaxRetries) {
  int attempts = 0;
  std::vector<milliseconds> sleeps;
  TransactionStats stats;
  RetryPolicy policy;
  policy.max_retries = 3;
  try {
    run_transaction(conn(), failing_op(4, &attempts), policy, recording_hooks(&sleeps, &stats));
    FAIL() << "run_transaction succeeded";
  } catch (const RetriesExhausted& e) {
    EXPECT_EQ(e.attempts(), 4);
    EXPECT_EQ(e.sqlstate(), "40001");
    EXPECT_EQ(e.server_message(), "forced retry");
    EXPECT_EQ(e.kind(), ErrorKind::step);
    std::string what = e.what();
    EXPECT_TRUE(contains(what, "retries exhausted")) << what;
    EXPECT_TRUE(contains(what, "after 4 attempts (3 retries)")) << what;
    // The class, the server's message and the SQLSTATE of the last error.
    EXPECT_TRUE(contains(what, "last error (retryable): forced retry (SQLSTATE 40001)")) << what;
  }
  EXPECT_EQ(attempts, 4);
  EXPECT_EQ(stats.attempts, 4);  // filled in even though it threw
  EXPECT_EQ(stats.retries, 3);
  // No sleep after the last attempt: one per retry.
  EXPECT_EQ(sleeps.size(), 3u);
  EXPECT_FALSE(conn().in_transaction());
  EXPECT_EQ(committed_rows(), 0);
}

TEST_F(RunTransaction, ZeroRetriesMeansOneAttempt) {
  int attempts = 0;
  std::vector<milliseconds> sleeps;
  RetryPolicy policy;
  policy.max_retries = 0;
  try {
    run_transaction(conn(), failing_op(1, &attempts), policy, recording_hooks(&sleeps));
    FAIL() << "run_transaction succeeded";
  } catch (const RetriesExhausted& e) {
    EXPECT_EQ(e.attempts(), 1);
  }
  EXPECT_EQ(attempts, 1);
  EXPECT_TRUE(sleeps.empty());
  EXPECT_EQ(committed_rows(), 0);
}

TEST_F(RunTransaction, SleepsFollowBackoffDelayWithTheSeed) {
  int attempts = 0;
  std::vector<milliseconds> sleeps;
  TransactionStats stats;
  RetryPolicy policy;
  policy.max_retries = 3;
  policy.seed = 12345;
  EXPECT_THROW(run_transaction(conn(), failing_op(10, &attempts), policy, recording_hooks(&sleeps, &stats)),
               RetriesExhausted);
  ASSERT_EQ(sleeps.size(), 3u);

  // The same draws the helper makes: one uniform [0, 1) per retry from a generator seeded with
  // policy.seed.
  std::mt19937_64 rng(12345);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  milliseconds total{0};
  for (int retry = 1; retry <= 3; ++retry) {
    SCOPED_TRACE(retry);
    milliseconds expected = backoff_delay(policy, retry, unit(rng));
    EXPECT_EQ(sleeps[retry - 1], expected);
    // 2^retry * 100ms * [0.5, 1.5)
    EXPECT_GE(sleeps[retry - 1].count(), (100 << retry) / 2);
    EXPECT_LT(sleeps[retry - 1].count(), (100 << retry) * 3 / 2);
    total += sleeps[retry - 1];
  }
  EXPECT_EQ(stats.backoff, total);
}

TEST_F(RunTransaction, SameSeedGivesTheSameDelays) {
  RetryPolicy policy;
  policy.max_retries = 3;
  policy.seed = 99;
  std::vector<milliseconds> first, second;
  int attempts = 0;
  EXPECT_THROW(run_transaction(conn(), failing_op(10, &attempts), policy, recording_hooks(&first)), RetriesExhausted);
  attempts = 0;
  EXPECT_THROW(run_transaction(conn(), failing_op(10, &attempts), policy, recording_hooks(&second)), RetriesExhausted);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first, second);
}

TEST_F(RunTransaction, RetriesASerializationFailureAtCommit) {
  // A deferred constraint trigger raises 40001 when COMMIT checks it, on the first two commits
  // (counted by a sequence, which a rollback does not undo).
  conn().exec_simple("CREATE SEQUENCE commits");
  conn().exec_simple(
      "CREATE FUNCTION fail_commit() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN "
      "IF nextval('commits') <= 2 THEN RAISE EXCEPTION USING ERRCODE = '40001', MESSAGE = 'commit conflict'; END IF; "
      "RETURN NULL; END$$");
  conn().exec_simple(
      "CREATE CONSTRAINT TRIGGER at_commit AFTER INSERT ON t DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
      "EXECUTE FUNCTION fail_commit()");
  int attempts = 0;
  std::vector<milliseconds> sleeps;
  TransactionStats stats = run_transaction(
      conn(),
      [&](Connection& c) {
        ++attempts;
        c.query("INSERT INTO t (id, attempt) VALUES (1, $1)", attempts);
      },
      RetryPolicy{}, recording_hooks(&sleeps));
  EXPECT_EQ(attempts, 3);
  EXPECT_EQ(stats.attempts, 3);
  EXPECT_EQ(sleeps.size(), 2u);
  EXPECT_FALSE(conn().in_transaction());
  EXPECT_EQ(committed_rows(), 1);
}

TEST_F(RunTransaction, NonRetryableErrorIsRethrownAfterOneAttempt) {
  conn().exec_simple("INSERT INTO t VALUES (1, 0)");
  int attempts = 0;
  std::vector<milliseconds> sleeps;
  TransactionStats stats;
  try {
    run_transaction(
        conn(),
        [&](Connection& c) {
          ++attempts;
          c.exec_simple("INSERT INTO t VALUES (2, 0)");
          c.exec_simple("INSERT INTO t VALUES (1, 0)");  // unique violation
        },
        RetryPolicy{}, recording_hooks(&sleeps, &stats));
    FAIL() << "run_transaction succeeded";
  } catch (const DbError& e) {
    EXPECT_EQ(dynamic_cast<const RetriesExhausted*>(&e), nullptr) << "a non-retryable error was retried";
    EXPECT_EQ(e.sqlstate(), "23505");
    EXPECT_TRUE(contains(e.server_message(), "duplicate key value violates unique constraint")) << e.what();
    // What the user sees names the class and the attempt.
    EXPECT_TRUE(contains(e.what(), "transaction failed on attempt 1 (final error, not retried): duplicate key"))
        << e.what();
    EXPECT_TRUE(contains(e.what(), "(SQLSTATE 23505)")) << e.what();
  }
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(stats.attempts, 1);
  EXPECT_TRUE(sleeps.empty());
  EXPECT_FALSE(conn().in_transaction());
  EXPECT_EQ(committed_rows(), 1);  // only the row from before: row 2 was rolled back
}

TEST_F(RunTransaction, UndefinedTableIsNotRetried) {
  int attempts = 0;
  std::vector<milliseconds> sleeps;
  try {
    run_transaction(
        conn(),
        [&](Connection& c) {
          ++attempts;
          c.exec_simple("INSERT INTO t VALUES (5, 0)");
          c.exec_simple("SELECT * FROM no_such_table");
        },
        RetryPolicy{}, recording_hooks(&sleeps));
    FAIL() << "run_transaction succeeded";
  } catch (const DbError& e) {
    EXPECT_EQ(e.sqlstate(), "42P01");
    EXPECT_EQ(dynamic_cast<const RetriesExhausted*>(&e), nullptr);
  }
  EXPECT_EQ(attempts, 1);
  EXPECT_TRUE(sleeps.empty());
  EXPECT_FALSE(conn().in_transaction());
  EXPECT_EQ(committed_rows(), 0);
}

TEST_F(RunTransaction, OtherExceptionsRollBackAndPropagate) {
  int attempts = 0;
  std::vector<milliseconds> sleeps;
  try {
    run_transaction(
        conn(),
        [&](Connection& c) {
          ++attempts;
          c.exec_simple("INSERT INTO t VALUES (1, 0)");
          throw std::runtime_error("not a database error");
        },
        RetryPolicy{}, recording_hooks(&sleeps));
    FAIL() << "run_transaction succeeded";
  } catch (const DbError&) {
    FAIL() << "became a DbError";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "not a database error");
  }
  EXPECT_EQ(attempts, 1);
  EXPECT_TRUE(sleeps.empty());
  EXPECT_FALSE(conn().in_transaction());
  EXPECT_EQ(committed_rows(), 0);
}

TEST_F(RunTransaction, StepErrorFromOpIsNotRetried) {
  int attempts = 0;
  EXPECT_THROW(run_transaction(conn(),
                               [&](Connection& c) {
                                 ++attempts;
                                 c.exec_simple("INSERT INTO t VALUES (1, 0)");
                                 throw StepError("insufficient funds");
                               }),
               StepError);
  EXPECT_EQ(attempts, 1);
  EXPECT_FALSE(conn().in_transaction());
  EXPECT_EQ(committed_rows(), 0);
}

TEST_F(RunTransaction, ConnectionIsUsableAfterwards) {
  int attempts = 0;
  std::vector<milliseconds> sleeps;
  EXPECT_THROW(run_transaction(conn(), failing_op(10, &attempts), RetryPolicy{}, recording_hooks(&sleeps)),
               RetriesExhausted);
  // Not left in an aborted transaction: a plain statement works.
  EXPECT_EQ(conn().exec_simple("SELECT 41 + 1").integer(0, 0), 42);
  TransactionStats stats =
      run_transaction(conn(), [](Connection& c) { c.exec_simple("INSERT INTO t VALUES (9, 1)"); }, RetryPolicy{}, {});
  EXPECT_EQ(stats.attempts, 1);
  EXPECT_EQ(stats.backoff, milliseconds(0));
  EXPECT_EQ(committed_rows(), 1);
}

TEST_F(RunTransaction, InterruptStopsTheBackoffSleepPromptly) {
  std::atomic<bool> interrupted{false};
  RetryHooks hooks;
  hooks.interrupted = &interrupted;
  TransactionStats stats;
  hooks.stats = &stats;
  RetryPolicy policy;
  policy.base_backoff = milliseconds(5'000);  // 10 s before the first retry if not interrupted
  policy.max_backoff = milliseconds(60'000);
  int attempts = 0;
  std::thread interrupter([&] {
    std::this_thread::sleep_for(milliseconds(200));
    interrupted = true;
  });
  auto start = std::chrono::steady_clock::now();
  try {
    run_transaction(conn(), failing_op(10, &attempts), policy, hooks);
    ADD_FAILURE() << "run_transaction succeeded";
  } catch (const Interrupted& e) {
    EXPECT_EQ(e.kind(), ErrorKind::interrupted);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw something else: " << e.what();
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  interrupter.join();
  EXPECT_LT(elapsed, milliseconds(1'500)) << "the sleep was not cut short";
  EXPECT_GE(elapsed, milliseconds(150));
  EXPECT_EQ(attempts, 1);
  EXPECT_FALSE(conn().in_transaction());
  EXPECT_EQ(committed_rows(), 0);
}

TEST_F(RunTransaction, AlreadyInterruptedThrowsBeforeTheSecondAttempt) {
  std::atomic<bool> interrupted{true};
  RetryHooks hooks;
  hooks.interrupted = &interrupted;
  int attempts = 0;
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(run_transaction(conn(), failing_op(10, &attempts), RetryPolicy{}, hooks), Interrupted);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(500));
  EXPECT_EQ(attempts, 1);
}

TEST_F(RunTransaction, RealSleepWhenNoHookIsGiven) {
  RetryPolicy policy;
  policy.base_backoff = milliseconds(40);  // retry 1 sleeps 80 ms * [0.5, 1.5): 40..119 ms
  policy.seed = 1;
  int attempts = 0;
  TransactionStats stats;
  RetryHooks hooks;
  hooks.stats = &stats;
  auto start = std::chrono::steady_clock::now();
  run_transaction(conn(), failing_op(1, &attempts), policy, hooks);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(stats.attempts, 2);
  EXPECT_GE(stats.backoff, milliseconds(40));
  EXPECT_LT(stats.backoff, milliseconds(120));
  EXPECT_GE(elapsed, stats.backoff);
}

// --- backoff_delay and is_retryable_sqlstate ----------------------------------------------------

TEST(BackoffDelay, DoublesPerRetryTimesTheDraw) {
  RetryPolicy policy;  // 100 ms base, 10 s cap
  EXPECT_EQ(backoff_delay(policy, 1, 0.0), milliseconds(100));   // 2 * 100 * 0.5
  EXPECT_EQ(backoff_delay(policy, 1, 0.5), milliseconds(200));   // 2 * 100 * 1.0
  EXPECT_EQ(backoff_delay(policy, 2, 0.0), milliseconds(200));   // 4 * 100 * 0.5
  EXPECT_EQ(backoff_delay(policy, 2, 0.5), milliseconds(400));
  EXPECT_EQ(backoff_delay(policy, 3, 0.25), milliseconds(600));  // 8 * 100 * 0.75
  EXPECT_EQ(backoff_delay(policy, 3, 0.999), milliseconds(1199));
}

TEST(BackoffDelay, StaysInItsRangeForAnyDraw) {
  RetryPolicy policy;
  policy.max_backoff = milliseconds(1'000'000);
  for (int retry = 1; retry <= 6; ++retry)
    for (double u : {0.0, 0.1, 0.37, 0.5, 0.9, 0.9999}) {
      auto d = backoff_delay(policy, retry, u).count();
      EXPECT_GE(d, (100LL << retry) / 2) << retry << " " << u;
      EXPECT_LT(d, (100LL << retry) * 3 / 2) << retry << " " << u;
    }
}

TEST(BackoffDelay, CappedByMaxBackoff) {
  RetryPolicy policy;
  policy.max_backoff = milliseconds(1000);
  EXPECT_EQ(backoff_delay(policy, 4, 0.5), milliseconds(1000));  // 1600 ms uncapped
  EXPECT_EQ(backoff_delay(policy, 30, 0.9), milliseconds(1000));
  EXPECT_EQ(backoff_delay(policy, 2, 0.5), milliseconds(400));   // under the cap: unchanged
}

TEST(BackoffDelay, UsesTheBase) {
  RetryPolicy policy;
  policy.base_backoff = milliseconds(10);
  EXPECT_EQ(backoff_delay(policy, 3, 0.5), milliseconds(80));
}

TEST(IsRetryableSqlstate, SerializationFailureAndDeadlock) {
  EXPECT_TRUE(is_retryable_sqlstate("40001"));
  EXPECT_TRUE(is_retryable_sqlstate("40P01"));
  EXPECT_FALSE(is_retryable_sqlstate("40003"));
  EXPECT_FALSE(is_retryable_sqlstate("23505"));
  EXPECT_FALSE(is_retryable_sqlstate("08006"));
  EXPECT_FALSE(is_retryable_sqlstate(""));
}

// --- classification, in one place ---------------------------------------------------------------

TEST(Classify, EachClass) {
  EXPECT_EQ(classify("40001", false), Disposition::retryable);
  EXPECT_EQ(classify("40001", true), Disposition::retryable);  // a 40001 at COMMIT is a definite failure
  EXPECT_EQ(classify("40P01", false), Disposition::retryable);
  EXPECT_EQ(classify("40003", false), Disposition::ambiguous);
  EXPECT_EQ(classify("40003", true), Disposition::ambiguous);
  for (const char* lost : {"08006", "08003", "08000", "57P01", "57P02", "57P03"}) {
    SCOPED_TRACE(lost);
    EXPECT_EQ(classify(lost, false), Disposition::connection_lost);
    EXPECT_EQ(classify(lost, true), Disposition::ambiguous);
  }
  for (const char* final_state : {"23505", "42P01", "57014", "22012", "", "XX000", "40002"}) {
    SCOPED_TRACE(final_state);
    EXPECT_EQ(classify(final_state, false), Disposition::final);
    EXPECT_EQ(classify(final_state, true), Disposition::final);
  }
  // CockroachDB's restart errors are 40001 whatever the reason in the message.
  DbError crdb("40001", "restart transaction: TransactionRetryWithProtoRefreshError: RETRY_WRITE_TOO_OLD", "");
  EXPECT_EQ(classify(crdb, false), Disposition::retryable);
  EXPECT_EQ(to_string(Disposition::connection_lost), "connection lost");
}

TEST(BeginStatement, PerIsolation) {
  EXPECT_EQ(std::string_view(begin_statement(Isolation::serializable)), "BEGIN ISOLATION LEVEL SERIALIZABLE");
  EXPECT_EQ(std::string_view(begin_statement(Isolation::repeatable_read)), "BEGIN ISOLATION LEVEL REPEATABLE READ");
  EXPECT_EQ(std::string_view(begin_statement(Isolation::read_committed)), "BEGIN ISOLATION LEVEL READ COMMITTED");
  EXPECT_EQ(std::string_view(begin_statement(Isolation::server_default)), "BEGIN");
  EXPECT_EQ(RetryPolicy{}.isolation, Isolation::serializable);
  EXPECT_EQ(RetryPolicy{}.protocol, RetryProtocol::rollback);
  EXPECT_FALSE(RetryPolicy{}.budget.has_value());
}

TEST(RetryErrors, AmbiguousCommitNamesClassStateMessageAttemptsAndAdvice) {
  DbError lost("08006", "server closed the connection unexpectedly", "");
  AmbiguousCommit e(2, lost, "give the transfer an id: to make it safe to retry");
  std::string what = e.what();
  EXPECT_EQ(e.kind(), ErrorKind::step);
  EXPECT_EQ(e.sqlstate(), "08006");
  EXPECT_EQ(e.attempts(), 2);
  EXPECT_TRUE(contains(what, "outcome unknown after 2 attempts (1 retry)")) << what;
  EXPECT_TRUE(contains(what, "while COMMIT was in flight")) << what;
  EXPECT_TRUE(contains(what, "(ambiguous): server closed the connection unexpectedly (SQLSTATE 08006)")) << what;
  EXPECT_TRUE(contains(what, "; give the transfer an id: to make it safe to retry")) << what;
}

}  // namespace
}  // namespace roachrun
