// What sql.exec and sql.query read in SQL text and server errors, without a server: the shape of
// a script (how many statements, whether it has transaction control of its own) and the
// several-statements refusal in PostgreSQL's and CockroachDB's words.
#include <gtest/gtest.h>

#include "script_shape.hpp"
#include "several_statements.hpp"

namespace roachrun_sql {
namespace {

TEST(ScriptShape, CountsStatementsBetweenSemicolons) {
  EXPECT_EQ(script_shape("SELECT 1").statements, 1u);
  EXPECT_EQ(script_shape("SELECT 1;").statements, 1u);
  EXPECT_EQ(script_shape("INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)").statements, 2u);
  EXPECT_EQ(script_shape(" ;; \n").statements, 0u);
  EXPECT_EQ(script_shape("-- only a comment; nothing else\n/* nor; here */").statements, 0u);
}

TEST(ScriptShape, ASemicolonInAStringCommentOrBodyEndsNothing) {
  EXPECT_EQ(script_shape("INSERT INTO t VALUES ('a;b'); SELECT 'it''s; fine'").statements, 2u);
  EXPECT_EQ(script_shape("SELECT E'a\\';b'").statements, 1u) << "an escaped quote in an E'' string";
  EXPECT_EQ(script_shape("SELECT 1 AS \"x;y\"").statements, 1u);
  EXPECT_EQ(script_shape("SELECT 1 -- a; comment\n").statements, 1u);
  EXPECT_EQ(script_shape("SELECT /* a /* nested; */ comment; */ 1").statements, 1u);
  EXPECT_EQ(script_shape("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$SELECT 1; SELECT 2$$; SELECT f()").statements,
            2u);
  EXPECT_EQ(script_shape("DO $body$ BEGIN PERFORM 1; END $body$").statements, 1u);
  EXPECT_FALSE(script_shape("DO $body$ BEGIN PERFORM 1; END $body$").transaction_control)
      << "a BEGIN inside a body is no transaction control";
  EXPECT_EQ(script_shape("SELECT $1::int; SELECT 2").statements, 2u) << "a parameter is no dollar quote";
  EXPECT_EQ(split_script(" INSERT INTO t VALUES ('a;b') ;\n-- x; y\n/* z; */ SELECT 1 AS \"p;q\"\n"),
            (std::vector<std::string_view>{"INSERT INTO t VALUES ('a;b')", "SELECT 1 AS \"p;q\""}));
}

TEST(ScriptShape, NoticesTransactionControl) {
  EXPECT_TRUE(script_shape("BEGIN; INSERT INTO t VALUES (1); COMMIT").transaction_control);
  EXPECT_TRUE(script_shape("insert into t values (1); commit").transaction_control);
  EXPECT_TRUE(script_shape("START TRANSACTION; SELECT 1").transaction_control);
  EXPECT_TRUE(script_shape("SELECT 1; ROLLBACK").transaction_control);
  EXPECT_TRUE(script_shape("SELECT 1;END").transaction_control);
  EXPECT_FALSE(script_shape("INSERT INTO t VALUES ('BEGIN'); SELECT 'COMMIT'").transaction_control);
  EXPECT_FALSE(script_shape("SELECT began FROM beginnings; UPDATE ends SET x = 1").transaction_control);
  EXPECT_FALSE(script_shape("-- BEGIN\nSELECT 1").transaction_control);
}

TEST(SeveralStatements, PostgreSQLsAndCockroachDBsWords) {
  // PostgreSQL 15, for two statements in one Parse message.
  EXPECT_TRUE(several_statements_refused("42601", "cannot insert multiple commands into a prepared statement"));
  // CockroachDB, pgerror.WrongNumberOfPreparedStatements (pkg/sql/pgwire/pgerror/errors.go).
  EXPECT_TRUE(several_statements_refused("42P14", "prepared statement had 2 statements, expected 1"));
  EXPECT_FALSE(several_statements_refused("42601", "syntax error at or near \"SELEC\""));
  EXPECT_FALSE(several_statements_refused("42P14", "prepared statement \"s\" already exists"));
  EXPECT_FALSE(several_statements_refused("42P01", "relation \"t\" does not exist"));
}

}  // namespace
}  // namespace roachrun_sql
