// Retries through the roachrun binary: scenarios/retry-demo.yaml, bank.force_retry, and
// exactly-once bank.transfer with an id, with the connection dropped at COMMIT by a TCP proxy.
#include <gtest/gtest.h>

#include <memory>
#include <regex>
#include <vector>

#include "support/command.hpp"
#include "support/tcp_proxy.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

namespace roachrun::test {
namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
int count_of(const std::string& s, const std::string& part) {
  int n = 0;
  for (auto at = s.find(part); at != std::string::npos; at = s.find(part, at + part.size())) ++n;
  return n;
}

const std::string kDemo = std::string(ROACHRUN_SOURCE_DIR) + "/scenarios/retry-demo.yaml";

TEST(RetryDemo, AbsorbsForcedRetriesThenReportsExhaustionWithExitOne) {
  auto r = roachrun({"run", kDemo, "--target", TestServer::get().url()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  static const std::regex expected(
      "Balances at [A-Z][a-z]{2} [A-Z][a-z]{2} [ 123][0-9] [0-9:]{8} [0-9]{4}\n"
      "\\['1', '1000'\\]\n"
      "\\['2', '250'\\]\n"
      "Balances at [A-Z][a-z]{2} [A-Z][a-z]{2} [ 123][0-9] [0-9:]{8} [0-9]{4}\n"
      "\\['1', '900'\\]\n"
      "\\['2', '350'\\]\n");
  EXPECT_TRUE(std::regex_match(r.out, expected)) << r.out;
  // The forced retries, absorbed: each logged, and counted in the step's status line.
  EXPECT_TRUE(std::regex_search(
      r.err, std::regex("\\[6/9\\] Force two retries \\(bank.force_retry\\): ok in [0-9]+ ms, 3 attempts, 2 retries, "
                        "[0-9]+ ms in backoff")))
      << r.err;
  EXPECT_TRUE(contains(r.err, "attempt 1/4 failed: SQLSTATE 40001 (retryable): forced retry (bank.force_retry); "
                              "retry 1/3 in "))
      << r.err;
  EXPECT_TRUE(std::regex_search(r.err, std::regex("\\[7/9\\] Transfer funds from account 1 to account 2 "
                                                  "\\(bank.transfer\\): ok in [0-9]+ ms, 1 attempt\n")))
      << r.err;
  // The last transfer: exhausted, exit 1, named as such.
  EXPECT_TRUE(std::regex_search(
      r.err, std::regex("\\[9/9\\] A second transfer whose retries run out \\(bank.transfer\\): FAILED after [0-9]+ ms, "
                        "4 attempts, 3 retries, [0-9]+ ms in backoff: transaction did not succeed after 4 attempts "
                        "\\(3 retries\\); retries exhausted; last error \\(retryable\\): forced retry \\(bank.transfer\\) "
                        "\\(SQLSTATE 40001\\)")))
      << r.err;
  EXPECT_TRUE(contains(r.err, "attempt 3/4 failed: SQLSTATE 40001 (retryable): forced retry (bank.transfer); retry 3/3"))
      << r.err;
  EXPECT_FALSE(contains(r.err, "retry 4/3")) << "no sleep after the last attempt";
  // Exhausted means nothing of it committed: the balances printed last are the ones left.
  EXPECT_EQ(balances("bank"), "1=900 2=350 ");
  // Leave the shared bank database as the tutorial tests expect to find it.
  TestServer::get().connect("root", "bank").exec_simple("DELETE FROM accounts");
}

TEST(RetryDemo, ValidatesAndIsDescribedAsExpectedToFail) {
  auto r = roachrun({"validate", kDemo});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// --- a scenario on the test server (or the proxy in front of it) ---------------------------------

class BankRetry : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = TestServer::get().create_database("bankretry");
    Connection c = TestServer::get().connect("root", database_);
    c.exec_simple("CREATE TABLE accounts (id INT PRIMARY KEY, balance INT)");
    c.exec_simple("INSERT INTO accounts VALUES (1, 1000), (2, 250)");
  }
  // Runs `steps` (YAML list items) against `port` (the server's by default).
  CommandResult run(const std::string& steps, int port = 0, const std::string& retry = "",
                    const std::string& user = "root") {
    const std::string file = dir_.write("s.yaml", "scenario: bank-retry\n"
                                                  "connections:\n"
                                                  "  app: {user: " + user + ", database: " + database_ + "}\n" +
                                                  (retry.empty() ? "" : "retry: " + retry + "\n") + "steps:\n" + steps);
    const int p = port ? port : TestServer::get().port();
    return roachrun({"run", file, "--target", "postgresql://root@127.0.0.1:" + std::to_string(p) + "/defaultdb?sslmode=disable"});
  }
  std::int64_t ledger_rows() {
    return TestServer::get().connect("root", database_).exec_simple("SELECT count(*) FROM transfers").integer(0, 0);
  }
  TempDir dir_;
  std::string database_;
};

TEST_F(BankRetry, ForceRetryWithinMaxRetriesSucceeds) {
  auto r = run("  - bank.force_retry: {times: 3}\n", 0, "{base_backoff: 1ms}");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "ok in")) << r.err;
  EXPECT_TRUE(contains(r.err, "4 attempts, 3 retries")) << r.err;
  EXPECT_TRUE(contains(r.err, "3 forced retries absorbed: committed on attempt 4")) << r.err;
}

TEST_F(BankRetry, ForceRetryBeyondMaxRetriesIsExhausted) {
  auto r = run("  - bank.force_retry: {times: 3, max_retries: 2}\n", 0, "{base_backoff: 1ms}");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "transaction did not succeed after 3 attempts (2 retries); retries exhausted")) << r.err;
}

TEST_F(BankRetry, ExhaustedTransferLeavesTheBalancesUnchanged) {
  auto r = run("  - bank.transfer: {from: 1, to: 2, amount: 100, force_retries: 2, max_retries: 1}\n", 0,
               "{base_backoff: 1ms}");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "retries exhausted")) << r.err;
  EXPECT_EQ(balances(database_), "1=1000 2=250 ");
  // Within max_retries the same forced failures are absorbed and the transfer applies once.
  r = run("  - bank.transfer: {from: 1, to: 2, amount: 100, force_retries: 2}\n", 0, "{base_backoff: 1ms}");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(balances(database_), "1=900 2=350 ");
}

TEST_F(BankRetry, TransferRunsSerializableWithoutRowLocksOrAsTheScenarioSays) {
  TcpProxy proxy(TestServer::get().port());
  auto r = run("  - bank.transfer: {from: 1, to: 2, amount: 100}\n"
               "  - bank.transfer: {from: 2, to: 1, amount: 10}\n"
               "    retry: {isolation: read_committed, protocol: savepoint}\n",
               proxy.port());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string sent = proxy.client_bytes();
  EXPECT_EQ(count_of(sent, "BEGIN ISOLATION LEVEL SERIALIZABLE"), 1) << sent;
  EXPECT_EQ(count_of(sent, "BEGIN ISOLATION LEVEL READ COMMITTED"), 1) << sent;
  EXPECT_EQ(count_of(sent, "SAVEPOINT cockroach_restart"), 2) << "SAVEPOINT and RELEASE of the second transfer";
  EXPECT_EQ(count_of(sent, "FOR UPDATE"), 0) << "SERIALIZABLE makes the row locks unnecessary";
  EXPECT_EQ(balances(database_), "1=910 2=340 ");
}

TEST_F(BankRetry, ConcurrentTransfersNeverOverdraw) {
  // Five processes race to take 100 from account 2 (250): at SERIALIZABLE the losers of each race
  // fail with 40001, retry, and read the new balance; exactly two can succeed.
  const std::string file = dir_.write("race.yaml", "scenario: race\n"
                                                   "connections:\n"
                                                   "  app: {user: root, database: " + database_ + "}\n"
                                                   "retry: {max_retries: 20, base_backoff: 5ms, max_backoff: 100ms}\n"
                                                   "steps:\n"
                                                   "  - bank.transfer: {from: 2, to: 1, amount: 100}\n");
  std::vector<std::unique_ptr<RunningCommand>> runs;
  for (int i = 0; i < 5; ++i)
    runs.push_back(std::make_unique<RunningCommand>(std::vector<std::string>{"run", file, "--target", TestServer::get().url()}));
  int ok = 0, insufficient = 0;
  for (auto& cmd : runs) {
    CommandResult r = cmd->wait();
    if (r.exit_code == 0) ++ok;
    else if (r.exit_code == 1 && contains(r.err, "insufficient funds in account 2")) ++insufficient;
    else ADD_FAILURE() << r.exit_code << "\n" << r.err;
  }
  EXPECT_EQ(ok, 2);
  EXPECT_EQ(insufficient, 3);
  EXPECT_EQ(balances(database_), "1=1200 2=50 ");
}

// --- forcing, PostgreSQL's side of issue 14's gaps 1-3 (cockroach_bank_test.cpp: CockroachDB's) ----

// Gap 1: the root-only rule is CockroachDB's before v19.2; on PostgreSQL a plain user forces
// retries as root does (the DO block needs no privilege).
TEST_F(BankRetry, ForcingNeedsNoRootOnPostgres) {
  Connection c = TestServer::get().connect("root", database_);
  c.exec_script("DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'forcer') THEN "
                "CREATE ROLE forcer LOGIN; END IF; END$$");
  c.exec_simple("GRANT ALL ON SCHEMA public TO forcer");
  c.exec_simple("GRANT ALL ON TABLE accounts TO forcer");
  auto r = run("  - bank.force_retry: {times: 1}\n"
               "  - bank.transfer: {from: 1, to: 2, amount: 100, force_retries: 1}\n",
               0, "{base_backoff: 1ms}", "forcer");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(contains(r.err, "root only")) << r.err;
  EXPECT_EQ(balances(database_), "1=900 2=350 ");
}

// Gap 2: the v25.4 gate is CockroachDB's; PostgreSQL gets neither the SET nor crdb_internal.
TEST_F(BankRetry, ForcingOnPostgresSendsNoCockroachSettings) {
  TcpProxy proxy(TestServer::get().port());
  auto r = run("  - bank.force_retry: {times: 1}\n"
               "  - bank.transfer: {from: 1, to: 2, amount: 100, force_retries: 1}\n",
               proxy.port(), "{base_backoff: 1ms}");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(proxy.count_sent("allow_unsafe_internals"), 0) << proxy.client_bytes();
  EXPECT_EQ(proxy.count_sent("crdb_internal"), 0) << proxy.client_bytes();
  EXPECT_EQ(proxy.count_sent("RAISE EXCEPTION USING ERRCODE = '40001'"), 2) << proxy.client_bytes();
}

// Gap 3: with the savepoint protocol and the tutorial's real backoffs (200, 400, 800 ms), only
// the attempt counter decides: 4 forced failures exhaust 3 retries and change nothing; 2 are
// absorbed and the transfer applies once.
TEST_F(BankRetry, SavepointForcingWithRealBackoffObeysTheAttemptCounter) {
  auto r = run("  - bank.transfer: {from: 1, to: 2, amount: 100, force_retries: 4, id: sp-1}\n", 0,
               "{protocol: savepoint, max_retries: 3, base_backoff: 100ms}");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "transaction did not succeed after 4 attempts (3 retries); retries exhausted")) << r.err;
  EXPECT_EQ(balances(database_), "1=1000 2=250 ");
  EXPECT_EQ(ledger_rows(), 0);
  r = run("  - bank.transfer: {from: 1, to: 2, amount: 100, force_retries: 2, id: sp-1}\n", 0,
          "{protocol: savepoint, max_retries: 3, base_backoff: 100ms}");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "3 attempts, 2 retries")) << r.err;
  EXPECT_EQ(balances(database_), "1=900 2=350 ");
  EXPECT_EQ(ledger_rows(), 1);
}

// --- exactly once ------------------------------------------------------------------------------

TEST_F(BankRetry, SameIdAppliesOnce) {
  auto r = run("  - bank.transfer: {from: 1, to: 2, amount: 100, id: t-1}\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run("  - bank.transfer: {from: 1, to: 2, amount: 100, id: t-1}\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "transfer 't-1' already applied")) << r.err;
  EXPECT_EQ(balances(database_), "1=900 2=350 ");
  EXPECT_EQ(ledger_rows(), 1);
  // The same id for a different transfer is refused, not silently skipped.
  r = run("  - bank.transfer: {from: 1, to: 2, amount: 5, id: t-1}\n");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "transfer id 't-1' was already used for another transfer")) << r.err;
  EXPECT_EQ(balances(database_), "1=900 2=350 ");
}

struct AmbiguousCase {
  TcpProxy::CommitFault fault;
  bool with_id;
  int exit_code;
  const char* balances;
  const char* log;
};

class AmbiguousTransfer : public BankRetry, public ::testing::WithParamInterface<AmbiguousCase> {};

TEST_P(AmbiguousTransfer, ResolvedWithAnIdFailsWithout) {
  const AmbiguousCase c = GetParam();
  TcpProxy proxy(TestServer::get().port());
  proxy.arm(c.fault);
  auto r = run(std::string("  - bank.transfer: {from: 1, to: 2, amount: 100") + (c.with_id ? ", id: amb-1" : "") + "}\n",
               proxy.port(), "{base_backoff: 1ms}");
  EXPECT_TRUE(proxy.fired());
  EXPECT_EQ(r.exit_code, c.exit_code) << r.err;
  EXPECT_TRUE(contains(r.err, c.log)) << r.err;
  EXPECT_EQ(balances(database_), c.balances) << "never applied twice";
  if (c.with_id) {
    EXPECT_EQ(ledger_rows(), 1);
  } else {
    EXPECT_TRUE(contains(r.err, "outcome unknown")) << r.err;
    EXPECT_TRUE(contains(r.err, "give the transfer an id: to make it safe to retry")) << r.err;
    EXPECT_EQ(count_of(proxy.client_bytes(), "BEGIN"), 1) << "retried without an id";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, AmbiguousTransfer,
    ::testing::Values(
        AmbiguousCase{TcpProxy::CommitFault::drop_reply, true, 0, "1=900 2=350 ", "the transaction did commit"},
        AmbiguousCase{TcpProxy::CommitFault::drop_commit, true, 0, "1=900 2=350 ", "did not commit; retrying it"},
        AmbiguousCase{TcpProxy::CommitFault::drop_reply, false, 1, "1=900 2=350 ", "(ambiguous)"},
        AmbiguousCase{TcpProxy::CommitFault::drop_commit, false, 1, "1=1000 2=250 ", "(ambiguous)"}),
    [](const auto& test_info) {
      const AmbiguousCase& c = test_info.param;
      return std::string(c.fault == TcpProxy::CommitFault::drop_reply ? "CommitHappened" : "CommitLost") +
             (c.with_id ? "WithId" : "WithoutId");
    });

}  // namespace
}  // namespace roachrun::test
