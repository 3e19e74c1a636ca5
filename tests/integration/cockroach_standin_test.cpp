// The CockroachDB stand-in itself (tests/support/cockroach_standin.hpp): that it answers as the
// release it plays, that its rewrites of CockroachDB-only statements run on PostgreSQL, that
// crdb_internal.force_retry behaves as the release's does, and that it records what was sent.
#include <gtest/gtest.h>

#include <string>

#include "roachrun/error.hpp"
#include "support/cockroach_standin.hpp"
#include "support/test_server.hpp"

namespace roachrun::test {
namespace {

// The SQLSTATE `sql` fails with on `conn` ("" if it does not fail).
std::string sqlstate_of(Connection& conn, const char* sql, std::string* message = nullptr) {
  try {
    conn.exec_simple(sql);
  } catch (const DbError& e) {
    if (message) *message = e.what();
    return e.sqlstate();
  }
  return "";
}

bool recorded(const CockroachStandIn& standin, bool extended, const std::string& text) {
  for (const auto& s : standin.statements())
    if (s.extended == extended && s.text == text) return true;
  return false;
}

TEST(CockroachStandIn, RefusesAReleaseWithoutMajorAndMinor) {
  EXPECT_THROW(CockroachStandIn("23"), std::invalid_argument);
  EXPECT_THROW(CockroachStandIn("latest"), std::invalid_argument);
}

TEST(CockroachStandIn, VersionAnswersAsTheRelease) {
  for (const char* release : {"19.1.0", "22.1.22", "23.1.11", "25.4.0"}) {
    CockroachStandIn standin(release);
    Connection conn = Connection::open(standin.options("root", "defaultdb"), "standin");
    const Dialect& dialect = conn.dialect();
    EXPECT_TRUE(dialect.is_cockroach()) << dialect.version;
    ASSERT_TRUE(dialect.cockroach_release()) << dialect.version;
    EXPECT_EQ(dialect.version, standin.version_string());
    EXPECT_EQ(dialect.version.find(std::string("v") + release + " "), std::string("CockroachDB CCL ").size())
        << dialect.version;
    EXPECT_NE(dialect.version.find("roachrun stand-in on PostgreSQL"), std::string::npos) << dialect.version;
    // Recorded as sent, not as rewritten.
    EXPECT_TRUE(recorded(standin, false, "SELECT version()"));
  }
}

TEST(CockroachStandIn, CreateUserIfNotExistsRunsTwice) {
  CockroachStandIn standin("23.1.11");
  Connection conn = Connection::open(standin.options("root", "defaultdb"), "standin");
  const std::string sql = "CREATE USER IF NOT EXISTS " + conn.escape_identifier("standin_user_a");
  conn.exec_params(sql);
  conn.exec_params(sql);  // exists: no error, as on CockroachDB
  conn.exec_simple("CREATE ROLE IF NOT EXISTS standin_role_b");
  Connection direct = TestServer::get().connect();
  EXPECT_EQ(direct.query("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1 AND rolcanlogin", "standin_user_a").rows(), 1);
  EXPECT_EQ(direct.query("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", "standin_role_b").rows(), 1);
  EXPECT_TRUE(recorded(standin, true, sql));
  EXPECT_TRUE(recorded(standin, false, "CREATE ROLE IF NOT EXISTS standin_role_b"));
}

TEST(CockroachStandIn, CreateDatabaseIfNotExistsRunsTwiceAndHasForceRetry) {
  CockroachStandIn standin("23.1.11");
  Connection conn = Connection::open(standin.options("root", "defaultdb"), "standin");
  const std::string sql = "CREATE DATABASE IF NOT EXISTS " + conn.escape_identifier("standin_db_a");
  conn.exec_params(sql);
  conn.exec_params(sql);
  EXPECT_TRUE(recorded(standin, true, sql));
  // A database created later is a copy of template1, which has the stand-in's crdb_internal.
  Connection in_new = Connection::open(standin.options("root", "standin_db_a"), "standin");
  in_new.exec_simple("BEGIN");
  EXPECT_EQ(sqlstate_of(in_new, "SELECT crdb_internal.force_retry('1h'::INTERVAL)"), "40001");
  in_new.exec_simple("ROLLBACK");
}

TEST(CockroachStandIn, GrantOnDatabaseLetsTheUserCreateTablesAsOnCockroachDB) {
  CockroachStandIn standin("19.1.0");
  Connection root = Connection::open(standin.options("root", "defaultdb"), "root");
  root.exec_params("CREATE USER IF NOT EXISTS standin_grantee");
  root.exec_params("CREATE DATABASE IF NOT EXISTS standin_db_grant");
  root.exec_params("GRANT ALL ON DATABASE standin_db_grant TO standin_grantee");
  Connection user = Connection::open(standin.options("standin_grantee", "standin_db_grant"), "grantee");
  user.exec_simple("CREATE TABLE IF NOT EXISTS standin_t (id INT PRIMARY KEY)");
  EXPECT_TRUE(recorded(standin, true, "GRANT ALL ON DATABASE standin_db_grant TO standin_grantee"));
}

TEST(CockroachStandIn, ForceRetryFailsWhileTheTransactionIsYoungEvenAfterRollbackToSavepoint) {
  CockroachStandIn standin("23.1.11");
  const std::string database = TestServer::get().create_database("standin_force");
  Connection conn = Connection::open(standin.options("root", database), "standin");
  conn.exec_simple("BEGIN");
  conn.exec_simple("SAVEPOINT cockroach_restart");
  std::string message;
  EXPECT_EQ(sqlstate_of(conn, "SELECT crdb_internal.force_retry('400ms'::INTERVAL)", &message), "40001");
  EXPECT_NE(message.find("restart transaction"), std::string::npos) << message;
  conn.exec_simple("ROLLBACK TO SAVEPOINT cockroach_restart");
  EXPECT_EQ(sqlstate_of(conn, "SELECT crdb_internal.force_retry('400ms'::INTERVAL)"), "40001");
  conn.exec_simple("ROLLBACK TO SAVEPOINT cockroach_restart");
  conn.exec_simple("SELECT pg_sleep(0.45)");
  // The transaction's age survived the ROLLBACK TO SAVEPOINT: older than the interval now.
  EXPECT_EQ(conn.exec_simple("SELECT crdb_internal.force_retry('400ms'::INTERVAL)").integer(0, 0), 0);
  conn.exec_simple("RELEASE SAVEPOINT cockroach_restart");
  conn.exec_simple("COMMIT");
  // A new transaction is young again.
  conn.exec_simple("BEGIN");
  EXPECT_EQ(sqlstate_of(conn, "SELECT crdb_internal.force_retry('400ms'::INTERVAL)"), "40001");
  conn.exec_simple("ROLLBACK");
}

TEST(CockroachStandIn, ForceRetryIsRootOnlyBeforeV19_2) {
  const std::string database = TestServer::get().create_database("standin_root_only");
  Connection direct = TestServer::get().connect("root", database);
  direct.exec_simple("DO $$BEGIN CREATE USER standin_app; EXCEPTION WHEN duplicate_object THEN NULL; END$$");
  for (const char* release : {"19.1.0", "19.2.0"}) {
    SCOPED_TRACE(release);
    CockroachStandIn standin(release);
    Connection app = Connection::open(standin.options("standin_app", database), "app");
    app.exec_simple("BEGIN");
    std::string message;
    const std::string state = sqlstate_of(app, "SELECT crdb_internal.force_retry('1h'::INTERVAL)", &message);
    if (std::string(release) == "19.1.0") {
      EXPECT_EQ(state, "42501") << message;
      EXPECT_NE(message.find("insufficient privilege"), std::string::npos) << message;
    } else {
      EXPECT_EQ(state, "40001") << message;
    }
    app.exec_simple("ROLLBACK");
    Connection root = Connection::open(standin.options("root", database), "root");
    root.exec_simple("BEGIN");
    EXPECT_EQ(sqlstate_of(root, "SELECT crdb_internal.force_retry('1h'::INTERVAL)"), "40001");
    root.exec_simple("ROLLBACK");
  }
}

TEST(CockroachStandIn, ForceRetryIsGatedByAllowUnsafeInternalsFromV25_4) {
  const std::string database = TestServer::get().create_database("standin_gated");
  const char* force = "SELECT crdb_internal.force_retry('1h'::INTERVAL)";
  {
    // v25.4: the variable exists and defaults to on.
    CockroachStandIn standin("25.4.0");
    Connection conn = Connection::open(standin.options("root", database), "standin");
    conn.exec_simple("BEGIN");
    EXPECT_EQ(sqlstate_of(conn, force), "40001");
    conn.exec_simple("ROLLBACK");
    conn.exec_simple("SET allow_unsafe_internals = off");
    conn.exec_simple("BEGIN");
    std::string message;
    EXPECT_EQ(sqlstate_of(conn, force, &message), "42501");
    EXPECT_NE(message.find("allow_unsafe_internals = true"), std::string::npos) << message;
    conn.exec_simple("ROLLBACK");
    conn.exec_params("SET allow_unsafe_internals = true");
    conn.exec_simple("BEGIN");
    EXPECT_EQ(sqlstate_of(conn, force), "40001");
    conn.exec_simple("ROLLBACK");
    EXPECT_TRUE(recorded(standin, true, "SET allow_unsafe_internals = true"));
  }
  {
    // v26.1: it defaults to off.
    CockroachStandIn standin("26.1.0");
    Connection conn = Connection::open(standin.options("root", database), "standin");
    conn.exec_simple("BEGIN");
    EXPECT_EQ(sqlstate_of(conn, force), "42501");
    conn.exec_simple("ROLLBACK");
    conn.exec_simple("SET allow_unsafe_internals = true");
    conn.exec_simple("BEGIN");
    EXPECT_EQ(sqlstate_of(conn, force), "40001");
    conn.exec_simple("ROLLBACK");
  }
  {
    // Before v25.4 there is no such variable.
    CockroachStandIn standin("25.3.0");
    Connection conn = Connection::open(standin.options("root", database), "standin");
    std::string message;
    EXPECT_EQ(sqlstate_of(conn, "SET allow_unsafe_internals = true", &message), "42704");
    EXPECT_NE(message.find("unrecognized configuration parameter"), std::string::npos) << message;
  }
}

TEST(CockroachStandIn, RecordsEveryStatementPerConnectionInOrder) {
  CockroachStandIn standin("22.1.22");
  Connection a = Connection::open(standin.options("root", "defaultdb"), "a");
  a.exec_simple("SELECT 1");
  Connection b = Connection::open(standin.options("root", "defaultdb"), "b");
  b.exec_params("SELECT $1::INT", {param("2")});
  a.exec_simple("SELECT 3; SELECT 4");
  const auto statements = standin.statements();
  ASSERT_EQ(statements.size(), 3u);
  EXPECT_EQ(statements[0].connection, 1);
  EXPECT_FALSE(statements[0].extended);
  EXPECT_EQ(statements[0].text, "SELECT 1");
  EXPECT_EQ(statements[0].user, "root");
  EXPECT_EQ(statements[0].database, "defaultdb");
  EXPECT_EQ(statements[1].connection, 2);
  EXPECT_TRUE(statements[1].extended);
  EXPECT_EQ(statements[1].text, "SELECT $1::INT");
  EXPECT_EQ(statements[2].connection, 1);
  EXPECT_EQ(statements[2].text, "SELECT 3; SELECT 4");
}

TEST(CockroachStandIn, WorksForClientsThatAskForTlsFirst) {
  // sslmode=prefer sends an SSLRequest; the test server has no TLS and answers 'N', and the
  // session goes on in clear through the proxy's framing.
  CockroachStandIn standin("23.1.11");
  auto options = standin.options("root", "defaultdb");
  for (auto& [key, value] : options)
    if (key == "sslmode") value = "prefer";
  Connection conn = Connection::open(options, "prefer");
  EXPECT_TRUE(conn.dialect().is_cockroach());
  EXPECT_EQ(conn.exec_simple("SELECT 41 + 1").integer(0, 0), 42);
  EXPECT_TRUE(recorded(standin, false, "SELECT 41 + 1"));
}

}  // namespace
}  // namespace roachrun::test
