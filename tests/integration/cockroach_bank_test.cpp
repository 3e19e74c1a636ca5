// The bank plugin's forcing and pipeline statements in CockroachDB mode (issue 14, gaps 1-4),
// through the roachrun binary against the real test PostgreSQL made to look like CockroachDB.
//
// Two ways. The shared CockroachDB stand-in (tests/support/cockroach_standin.hpp, merged late:
// the StandIn* tests at the end), and first a minimal fake of this file's own, written before the
// stand-in was committed and kept for the refusals the stand-in does not reach, in the connected
// database: fake.version() names a
// CockroachDB release (found before pg_catalog's through the connection's search_path, as
// workload_test.cpp does) and crdb_internal.force_retry(interval) is a PL/pgSQL function with
// CockroachDB's rule: SQLSTATE 40001 while the transaction is younger than the interval. Its age
// survives ROLLBACK TO SAVEPOINT on PostgreSQL as on CockroachDB (transaction_timestamp() is the
// transaction's start), so the savepoint protocol meets the 1 s limit exactly as it would there.
// Other variants of the function refuse with the privilege errors of v19.1 and v25.4, to reach
// the messages the step gives when its own checks before the transaction miss. A TCP proxy in
// front of the server records what roachrun sent.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "support/cockroach_standin.hpp"
#include "support/command.hpp"
#include "support/tcp_proxy.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

namespace roachrun::test {
namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// crdb_internal.force_retry as CockroachDB has it (pkg/sql/sem/builtins/builtins.go): fails while
// StmtTimestamp - TxnTimestamp is below the interval, else returns 0.
const char* kForceRetryByAge =
    "CREATE OR REPLACE FUNCTION crdb_internal.force_retry(min_age interval) RETURNS bigint LANGUAGE plpgsql AS $$BEGIN "
    "IF clock_timestamp() - transaction_timestamp() < min_age THEN RAISE EXCEPTION USING ERRCODE = '40001', MESSAGE = "
    "'restart transaction: crdb_internal.force_retry(): forced by crdb_internal.force_retry()'; END IF; "
    "RETURN 0; END$$";

// A force_retry that refuses as a server's privilege check does: 42501 with `message`.
std::string refusing_force_retry(const std::string& message) {
  return "CREATE OR REPLACE FUNCTION crdb_internal.force_retry(min_age interval) RETURNS bigint LANGUAGE plpgsql AS "
         "$$BEGIN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = '" + message + "'; END$$";
}

class CockroachBank : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = TestServer::get().create_database("crdbbank");
    Connection c = direct();
    c.exec_simple("CREATE TABLE accounts (id INT PRIMARY KEY, balance INT)");
    c.exec_simple("INSERT INTO accounts VALUES (1, 1000), (2, 250)");
    c.exec_simple("CREATE SCHEMA fake");
    c.exec_simple("CREATE SCHEMA IF NOT EXISTS crdb_internal");  // the stand-in may have put it in template1
    c.exec_simple(kForceRetryByAge);
    // A user that is not root, as the tutorial's maxroach (roles are the server's: made once).
    c.exec_script("DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'forcer') THEN "
                  "CREATE ROLE forcer LOGIN; END IF; END$$");
    c.exec_simple("GRANT ALL ON SCHEMA public, fake, crdb_internal TO forcer");
    c.exec_simple("GRANT ALL ON TABLE accounts TO forcer");
  }
  Connection direct() { return TestServer::get().connect("root", database_); }
  void release(const std::string& version) {
    direct().exec_simple(("CREATE OR REPLACE FUNCTION fake.version() RETURNS text LANGUAGE sql AS "
                          "$$SELECT 'CockroachDB CCL " + version + " (x86_64-pc-linux-gnu, fake for tests)'::text$$")
                             .c_str());
  }
  // Runs `steps` as `user` through the proxy, in CockroachDB mode.
  CommandResult run(const std::string& steps, const std::string& user = "root", const std::string& retry = "",
                    int port = 0) {
    const std::string file =
        dir_.write("s.yaml", "scenario: cockroach-bank\n"
                             "connections:\n"
                             "  app: {user: " + user + ", database: " + database_ +
                                 ", options: '-csearch_path=public,fake,pg_catalog'}\n" +
                                 (retry.empty() ? "" : "retry: " + retry + "\n") + "steps:\n" + steps);
    return roachrun({"run", file, "--target",
                     "postgresql://root@127.0.0.1:" + std::to_string(port ? port : proxy_.port()) + "/defaultdb?sslmode=disable"});
  }
  bool ledger_exists() {
    return direct().exec_simple("SELECT count(*) FROM pg_tables WHERE tablename = 'transfers'").integer(0, 0) == 1;
  }
  TcpProxy proxy_{TestServer::get().port()};
  TempDir dir_;
  std::string database_;
};

// --- gap 1: root only before v19.2 ------------------------------------------------------------

TEST_F(CockroachBank, BeforeV19_2AUserNotRootIsRefusedBeforeAnythingIsTouched) {
  release("v19.1.0");
  auto r = run("  - bank.transfer: {from: 1, to: 2, amount: 100, force_retries: 1, id: t-1}\n", "forcer");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "bank.transfer: crdb_internal.force_retry is for root only before CockroachDB v19.2 "
                              "(the server is v19.1.0), and connection user 'forcer' is not root: run the step on a "
                              "root connection"))
      << r.err;
  EXPECT_TRUE(contains(r.err, "or use CockroachDB v19.2 or later")) << r.err;
  // Before the ledger and before BEGIN: nothing was sent that touches data.
  EXPECT_FALSE(ledger_exists());
  EXPECT_EQ(proxy_.count_sent("BEGIN"), 0) << proxy_.client_bytes();
  EXPECT_EQ(proxy_.count_sent("force_retry"), 0);
  EXPECT_EQ(balances(database_), "1=1000 2=250 ");

  r = run("  - bank.force_retry: {times: 1}\n", "forcer");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "bank.force_retry: crdb_internal.force_retry is for root only")) << r.err;
  // Nothing to force, nothing to refuse.
  r = run("  - bank.transfer: {from: 1, to: 2, amount: 100}\n", "forcer");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(balances(database_), "1=900 2=350 ");
}

TEST_F(CockroachBank, BeforeV19_2RootForcesAndFromV19_2AnyUserDoes) {
  release("v19.1.0");
  auto r = run("  - bank.force_retry: {times: 2}\n", "root", "{base_backoff: 1ms}");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "3 attempts, 2 retries")) << r.err;
  release("v19.2.0");
  r = run("  - bank.force_retry: {times: 2}\n"
          "  - bank.transfer: {from: 1, to: 2, amount: 100, force_retries: 1}\n",
          "forcer", "{base_backoff: 1ms}");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(balances(database_), "1=900 2=350 ");
  EXPECT_GE(proxy_.count_sent("SELECT crdb_internal.force_retry('24h'::INTERVAL)"), 3);
}

TEST_F(CockroachBank, APrivilegeErrorFromTheForcingCallSaysWhatToDo) {
  // A server whose release the check reads as v19.2+ but that refuses all the same.
  release("v20.1.0");
  direct().exec_simple(refusing_force_retry("insufficient privilege").c_str());
  auto r = run("  - bank.transfer: {from: 1, to: 2, amount: 100, force_retries: 1}\n", "forcer");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "bank.transfer: CockroachDB (the server is v20.1.0) refused crdb_internal.force_retry "
                              "to user 'forcer' (server: insufficient privilege); before v19.2 it is for root only: "
                              "run the step on a root connection"))
      << r.err;
  EXPECT_TRUE(contains(r.err, "nothing of this transaction was committed")) << r.err;
  EXPECT_EQ(balances(database_), "1=1000 2=250 ");
}

// --- gap 2: the v25.4 gate ----------------------------------------------------------------------

TEST_F(CockroachBank, FromV25_4TheSettingIsSentOutsideTheTransactionAnd42704IsPassedOver) {
  // PostgreSQL has no such setting: it answers 42704, as a server without it would.
  release("v25.4.0");
  auto r = run("  - bank.force_retry: {times: 1}\n", "root", "{base_backoff: 1ms}");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "bank.force_retry: the server has no session setting allow_unsafe_internals "
                              "(SQLSTATE 42704"))
      << r.err;
  const std::string sent = proxy_.client_bytes();
  const auto set_at = sent.find("SET allow_unsafe_internals = true");
  ASSERT_NE(set_at, std::string::npos) << sent;
  EXPECT_LT(set_at, sent.find("BEGIN")) << "outside the transaction, before it";
  EXPECT_EQ(proxy_.count_sent("allow_unsafe_internals"), 1) << "once per step";
}

TEST_F(CockroachBank, BeforeV25_4TheSettingIsNotSent) {
  release("v25.3.2");
  auto r = run("  - bank.force_retry: {times: 1}\n", "root", "{base_backoff: 1ms}");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(proxy_.count_sent("allow_unsafe_internals"), 0);
  r = run("  - bank.transfer: {from: 1, to: 2, amount: 100}\n");  // no forcing: no setting either
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(proxy_.count_sent("allow_unsafe_internals"), 0);
}

TEST_F(CockroachBank, TheGatesRefusalSaysWhatToDo) {
  release("v25.4.1");
  direct().exec_simple(refusing_force_retry("Access to crdb_internal and system is restricted.").c_str());
  auto r = run("  - bank.transfer: {from: 1, to: 2, amount: 100, force_retries: 1}\n");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "bank.transfer: CockroachDB (the server is v25.4.1) refused crdb_internal.force_retry: "
                              "from v25.4 crdb_internal built-ins need the session setting allow_unsafe_internals on"))
      << r.err;
  EXPECT_EQ(balances(database_), "1=1000 2=250 ");
}

// --- gap 3: the attempt counter decides, not the transaction's age -----------------------------

TEST_F(CockroachBank, TheFakeStopsForcingAtTheIntervalAsCockroachDoes) {
  // Why the step does not use the tutorial's '1s': a transaction older than it is not forced.
  Connection c = direct();
  c.exec_simple("BEGIN");
  EXPECT_THROW(c.exec_simple("SELECT crdb_internal.force_retry('1s'::INTERVAL)"), DbError);
  c.exec_simple("ROLLBACK");
  c.exec_simple("BEGIN");
  c.exec_simple("SAVEPOINT cockroach_restart");
  c.exec_simple("SELECT pg_sleep(1.1)");
  EXPECT_THROW(c.exec_simple("SELECT crdb_internal.force_retry('24h'::INTERVAL)"), DbError);
  c.exec_simple("ROLLBACK TO SAVEPOINT cockroach_restart");
  EXPECT_EQ(c.exec_simple("SELECT crdb_internal.force_retry('1s'::INTERVAL)").integer(0, 0), 0)
      << "the age survived ROLLBACK TO SAVEPOINT";
  c.exec_simple("ROLLBACK");
}

TEST_F(CockroachBank, SavepointForcingWithRealBackoffExhaustsAndLeavesTheBalances) {
  release("v23.1.11");
  // Backoffs of at least 200, 400 and 800 ms: the transaction is past 1 s before its 4th attempt.
  const std::string retry = "{protocol: savepoint, max_retries: 3, base_backoff: 200ms}";
  auto r = run("  - bank.transfer: {from: 1, to: 2, amount: 100, force_retries: 4, id: sp-1}\n", "root", retry);
  EXPECT_EQ(r.exit_code, 1) << "more forced failures than retries must exhaust them\n" << r.err;
  EXPECT_TRUE(contains(r.err, "transaction did not succeed after 4 attempts (3 retries); retries exhausted")) << r.err;
  EXPECT_TRUE(std::regex_search(r.err, std::regex("4 attempts, 3 retries, [1-9][0-9]{3} ms in backoff")))
      << "real sleeps, past the 1 s the tutorial's interval allowed\n" << r.err;
  EXPECT_GE(proxy_.count_sent("ROLLBACK TO SAVEPOINT cockroach_restart"), 3) << "one transaction, rewound";
  EXPECT_EQ(balances(database_), "1=1000 2=250 ");
  EXPECT_EQ(direct().exec_simple("SELECT count(*) FROM transfers").integer(0, 0), 0);

  r = run("  - bank.transfer: {from: 1, to: 2, amount: 100, force_retries: 2, id: sp-1}\n", "root", retry);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "3 attempts, 2 retries")) << r.err;
  EXPECT_EQ(balances(database_), "1=900 2=350 ") << "applied once";
  EXPECT_EQ(direct().exec_simple("SELECT count(*) FROM transfers").integer(0, 0), 1);
}

// --- gap 4: the pipeline's isolation ------------------------------------------------------------

TEST_F(CockroachBank, PipelineSetsTheLevelOnTheSessionAndBeginsPlainly) {
  release("v22.1.6");
  auto r = run("  - bank.workload: {accounts: 10, clients: 2, transfers: 20, protocol: pipeline, "
               "isolation: read_committed}\n",
               "root", "{max_retries: 20, base_backoff: 1ms}");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "on CockroachDB, protocol pipeline")) << r.err;
  // Each client's session: the level by the simple protocol, then a prepared plain BEGIN.
  EXPECT_GE(proxy_.count_sent("SET default_transaction_isolation = 'read committed'"), 2) << proxy_.client_bytes();
  EXPECT_GE(proxy_.count_sent(std::string("bank_begin\0BEGIN\0", 17)), 2) << proxy_.client_bytes();
  EXPECT_EQ(proxy_.count_sent("BEGIN ISOLATION LEVEL READ COMMITTED"), 0);
  EXPECT_TRUE(contains(r.out, "audit: ok")) << r.out;
}

// --- the same through the shared CockroachDB stand-in (merged from wip-standin at the end) -------

bool sent(const CockroachStandIn& s, const std::string& part) {
  for (const auto& st : s.statements())
    if (contains(st.text, part)) return true;
  return false;
}

TEST_F(CockroachBank, StandInV19_1RefusesAUserNotRootBeforeAnyForcingAndLetsRootForce) {
  CockroachStandIn standin("19.1.0");
  auto r = run("  - bank.force_retry: {times: 1}\n", "forcer", "{base_backoff: 1ms}", standin.port());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "is for root only before CockroachDB v19.2 (the server is v19.1.0)")) << r.err;
  EXPECT_FALSE(sent(standin, "force_retry"));
  EXPECT_FALSE(sent(standin, "BEGIN"));
  r = run("  - bank.force_retry: {times: 2}\n", "root", "{base_backoff: 1ms}", standin.port());
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(CockroachBank, StandInV26_1GateIsOpenedOutsideTheTransaction) {
  CockroachStandIn standin("26.1.0");  // allow_unsafe_internals off by default there
  auto r = run("  - bank.transfer: {from: 1, to: 2, amount: 100, force_retries: 2}\n", "root",
               "{base_backoff: 1ms}", standin.port());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(balances(database_), "1=900 2=350 ");
  int set_at = -1, begin_at = -1, i = 0;
  for (const auto& st : standin.statements()) {
    if (set_at < 0 && contains(st.text, "SET allow_unsafe_internals = true")) set_at = i;
    if (begin_at < 0 && contains(st.text, "BEGIN")) begin_at = i;
    ++i;
  }
  EXPECT_GE(set_at, 0);
  EXPECT_LT(set_at, begin_at) << "outside the transaction, before it";
}

TEST_F(CockroachBank, StandInSavepointForcingExhaustsByTheCounter) {
  CockroachStandIn standin("23.1.11");
  auto r = run("  - bank.transfer: {from: 1, to: 2, amount: 100, force_retries: 4, id: si-1}\n", "root",
               "{protocol: savepoint, max_retries: 3, base_backoff: 200ms}", standin.port());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "retries exhausted")) << r.err;
  EXPECT_EQ(balances(database_), "1=1000 2=250 ");
  r = run("  - bank.transfer: {from: 1, to: 2, amount: 100, force_retries: 2, id: si-1}\n", "root",
          "{protocol: savepoint, max_retries: 3, base_backoff: 200ms}", standin.port());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(balances(database_), "1=900 2=350 ");
}

TEST_F(CockroachBank, StandInV22_1PipelineBeginsPlainly) {
  CockroachStandIn standin("22.1.6");
  auto r = run("  - bank.workload: {accounts: 10, clients: 2, transfers: 20, protocol: pipeline, "
               "isolation: read_committed}\n",
               "root", "{max_retries: 20, base_backoff: 1ms}", standin.port());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(sent(standin, "SET default_transaction_isolation = 'read committed'"));
  EXPECT_FALSE(sent(standin, "BEGIN ISOLATION LEVEL READ COMMITTED"));
}

}  // namespace
}  // namespace roachrun::test
