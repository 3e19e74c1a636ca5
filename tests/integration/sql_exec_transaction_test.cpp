// sql.exec's transactions (issue 14, gap 5): a script -- one item of `sql`, or the file -- is
// all-or-nothing on every engine, and `transaction: true` makes the whole step one BEGIN ...
// COMMIT. On PostgreSQL a script is the server's implicit transaction; on CockroachDB before
// v22.1, which ran each statement of a script on its own (cockroachdb/cockroach PR #76834),
// roachrun sends the script inside BEGIN ... COMMIT. CockroachDB is played by the CockroachDB
// stand-in (support/cockroach_standin.hpp); whether BEGIN went first shows in the server's own clocks: in the first message of a
// transaction transaction_timestamp() equals statement_timestamp(), after a BEGIN sent on its
// own it is earlier.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "support/cockroach_standin.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

namespace roachrun::test {
namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class SqlExecTransaction : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = TestServer::get().create_database("sqlexec");
    Connection c = connect();
    c.exec_simple("CREATE TABLE t (id INT PRIMARY KEY)");
    // One row per statement of a script: whether it ran in the first message of its transaction.
    c.exec_simple("CREATE TABLE stamps (first_message BOOLEAN)");
  }
  Connection connect() { return TestServer::get().connect("root", database_); }
  std::int64_t scalar(const std::string& sql) { return connect().exec_simple(sql.c_str()).integer(0, 0); }
  // From now on the runs go through a stand-in answering as CockroachDB `release`.
  void pretend_cockroach(const std::string& release) { standin_ = std::make_unique<CockroachStandIn>(release); }
  // Runs `steps` on the test database: through the stand-in once pretend_cockroach() made one,
  // straight to PostgreSQL until then.
  CommandResult run(const std::string& steps) {
    const std::string file = dir_.write("s.yaml", "scenario: sqlexec\n"
                                                  "connections:\n"
                                                  "  app: {user: root, database: " + database_ + "}\n"
                                                  "steps:\n" + steps);
    const std::string target = standin_ ? standin_->url("root", database_) : TestServer::get().url();
    return roachrun({"run", file, "--target", target, "--log-level", "debug"});
  }

  static constexpr const char* kStampTwice =
      "INSERT INTO stamps SELECT transaction_timestamp() = statement_timestamp(); "
      "INSERT INTO stamps SELECT transaction_timestamp() = statement_timestamp()";

  TempDir dir_;
  std::string database_;
  std::unique_ptr<CockroachStandIn> standin_;
};

TEST_F(SqlExecTransaction, OnPostgreSQLAScriptIsAllOrNothingAndSentAsWritten) {
  auto r = run("  - sql.exec: {sql: [\"INSERT INTO t VALUES (1); INSERT INTO t VALUES (1)\"]}\n");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "duplicate key")) << r.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM t"), 0) << "the first INSERT must not stay";

  r = run(std::string("  - sql.exec: \"") + kStampTwice + "\"\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM stamps WHERE first_message"), 2)
      << "on PostgreSQL the script is the server's implicit transaction: no BEGIN before it";
}

TEST_F(SqlExecTransaction, OnCockroachBefore22_1AScriptGoesInsideBeginCommit) {
  pretend_cockroach("21.2.17");
  auto r = run(std::string("  - sql.exec: \"") + kStampTwice + "\"\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM stamps WHERE NOT first_message"), 2)
      << "both statements in one transaction begun before the script\n" << r.err;
  EXPECT_TRUE(contains(r.err, "sent inside BEGIN ... COMMIT")) << r.err;

  // A failure rolls back the whole script, and leaves no transaction open for the next step.
  r = run("  - sql.exec: \"INSERT INTO t VALUES (1); INSERT INTO t VALUES (1)\"\n"
          "  - sql.exec: INSERT INTO t VALUES (2)\n");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "rolled back: none of its statements took effect")) << r.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM t"), 0) << r.err;
  r = run("  - sql.exec: {sql: [\"INSERT INTO t VALUES (1); INSERT INTO t VALUES (1)\", \"SELECT 1\"]}\n");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "statement 1 of 2 (rolled back")) << r.err;

  // A lone statement, and a script with transaction control of its own, go as written.
  connect().exec_simple("DELETE FROM stamps");
  r = run("  - sql.exec: INSERT INTO stamps SELECT transaction_timestamp() = statement_timestamp()\n"
          "  - sql.exec: \"BEGIN; INSERT INTO t VALUES (3); COMMIT; INSERT INTO t VALUES (4)\"\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM stamps WHERE first_message"), 1) << r.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM t WHERE id IN (3, 4)"), 2) << r.err;
}

TEST_F(SqlExecTransaction, FromCockroach22_1AScriptIsTheServersImplicitTransaction) {
  pretend_cockroach("22.1.0");
  auto r = run(std::string("  - sql.exec: \"") + kStampTwice + "\"\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM stamps WHERE first_message"), 2) << r.err;
  EXPECT_FALSE(contains(r.err, "sent inside BEGIN")) << r.err;
}

TEST_F(SqlExecTransaction, TransactionTrueMakesTheStepOneTransactionOnEveryEngine) {
  for (const char* release : {"", "21.2.0", "23.1.11"}) {
    SCOPED_TRACE(*release ? std::string("CockroachDB v") + release : std::string("PostgreSQL"));
    if (*release) pretend_cockroach(release);
    connect().exec_simple("DELETE FROM t");
    auto r = run("  - sql.exec:\n"
                 "      transaction: true\n"
                 "      sql: [\"INSERT INTO t VALUES (1)\", \"INSERT INTO t VALUES (2); INSERT INTO t VALUES (1)\"]\n"
                 "  - sql.exec: INSERT INTO t VALUES (9)\n");
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_TRUE(contains(r.err, "statement 2 of 2 (sql.exec's transaction was rolled back: no statement of the step "
                                "took effect)"))
        << r.err;
    EXPECT_EQ(scalar("SELECT count(*) FROM t"), 0) << "item 1 must be rolled back with item 2";

    r = run("  - sql.exec: {transaction: true, sql: [\"INSERT INTO t VALUES (1)\", \"INSERT INTO t VALUES (2)\"]}\n"
            "  - sql.exec: INSERT INTO t VALUES (3)\n");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(scalar("SELECT count(*) FROM t"), 3) << "committed, and no transaction left open for the next step";
  }
}

TEST_F(SqlExecTransaction, TransactionTrueRefusesAScriptThatHasItsOwn) {
  auto r = run("  - sql.exec: {transaction: true, sql: [\"BEGIN; INSERT INTO t VALUES (1); COMMIT\"]}\n");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "has BEGIN, COMMIT or ROLLBACK of its own")) << r.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM t"), 0);

  const std::string sql_file = dir_.write("own.sql", "BEGIN;\nINSERT INTO t VALUES (1);\nCOMMIT;\n");
  r = run("  - sql.exec: {transaction: true, file: own.sql}\n");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "has BEGIN, COMMIT or ROLLBACK of its own")) << r.err;
  EXPECT_EQ(scalar("SELECT count(*) FROM t"), 0);
}

TEST_F(SqlExecTransaction, SqlQuerySaysToUseSqlExecForSeveralStatements) {
  auto r = run("  - sql.query: {sql: \"SELECT 1; SELECT 2\"}\n");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "cannot insert multiple commands into a prepared statement")) << r.err;
  EXPECT_TRUE(contains(r.err, "sql.query runs exactly one statement (use sql.exec for several)")) << r.err;
}

}  // namespace
}  // namespace roachrun::test
