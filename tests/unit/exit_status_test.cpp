// engine/exit_status.hpp and the SDK's error classes: every ErrorKind becomes exactly one exit
// code, and each error carries what callers classify it by.
#include <gtest/gtest.h>

#include "engine/exit_status.hpp"
#include "roachrun/connection.hpp"
#include "roachrun/error.hpp"

namespace roachrun {
namespace {

TEST(ExitStatus, EachKindMapsToItsCode) {
  EXPECT_EQ(exit_code_for(ErrorKind::usage), 2);
  EXPECT_EQ(exit_code_for(ErrorKind::validation), 2);
  EXPECT_EQ(exit_code_for(ErrorKind::plugin), 2);
  EXPECT_EQ(exit_code_for(ErrorKind::step), 1);
  EXPECT_EQ(exit_code_for(ErrorKind::connection), 3);
  EXPECT_EQ(exit_code_for(ErrorKind::interrupted), 130);
}

TEST(ExitStatus, NamedConstantsMatchTheDocumentedNumbers) {
  EXPECT_EQ(kExitOk, 0);
  EXPECT_EQ(kExitStepFailed, 1);
  EXPECT_EQ(kExitInvalid, 2);
  EXPECT_EQ(kExitUnreachable, 3);
  EXPECT_EQ(kExitInterrupted, 130);
}

TEST(ExitStatus, EachErrorClassHasItsKind) {
  EXPECT_EQ(UsageError("x").kind(), ErrorKind::usage);
  EXPECT_EQ(ValidationError(SourceLocation{"f.yaml", 1, 2}, "x").kind(), ErrorKind::validation);
  EXPECT_EQ(ParamError("p", "x").kind(), ErrorKind::validation);
  EXPECT_EQ(PluginError("x").kind(), ErrorKind::plugin);
  EXPECT_EQ(StepError("x").kind(), ErrorKind::step);
  EXPECT_EQ(DbError("23505", "dup", "").kind(), ErrorKind::step);
  EXPECT_EQ(RetriesExhausted(4, DbError("40001", "restart", "")).kind(), ErrorKind::step);
  EXPECT_EQ(ConnectError("h:1", "x").kind(), ErrorKind::connection);
  EXPECT_EQ(Interrupted().kind(), ErrorKind::interrupted);

  EXPECT_EQ(exit_code_for(DbError("23505", "dup", "").kind()), kExitStepFailed);
  EXPECT_EQ(exit_code_for(ConnectError("h:1", "x").kind()), kExitUnreachable);
  EXPECT_EQ(exit_code_for(Interrupted().kind()), kExitInterrupted);
}

TEST(ExitStatus, DbErrorCarriesSqlstateAndServerMessage) {
  DbError e("23505", "duplicate key value violates unique constraint \"accounts_pkey\"", "inserting account 1");
  EXPECT_EQ(e.sqlstate(), "23505");
  EXPECT_EQ(e.server_message(), "duplicate key value violates unique constraint \"accounts_pkey\"");
  EXPECT_STREQ(e.what(),
               "inserting account 1: duplicate key value violates unique constraint \"accounts_pkey\" (SQLSTATE 23505)");
  EXPECT_STREQ(DbError("", "server closed the connection", "").what(), "server closed the connection");
}

TEST(ExitStatus, RetriesExhaustedCarriesAttemptsAndTheLastError) {
  RetriesExhausted e(4, DbError("40001", "restart transaction", "ignored context"));
  EXPECT_EQ(e.attempts(), 4);
  EXPECT_EQ(e.sqlstate(), "40001");
  EXPECT_EQ(e.server_message(), "restart transaction");
  EXPECT_STREQ(e.what(),
               "transaction did not succeed after 4 attempts (3 retries); retries exhausted; last error (retryable): "
               "restart transaction (SQLSTATE 40001)");
  const DbError& as_db = e;  // caught as a DbError by code that does not know about retries
  EXPECT_EQ(as_db.sqlstate(), "40001");
}

TEST(ExitStatus, AmbiguousCommitIsAStepFailure) {
  AmbiguousCommit e(1, DbError("40003", "result is ambiguous", ""));
  EXPECT_EQ(e.kind(), ErrorKind::step);
  EXPECT_EQ(exit_code_for(e.kind()), 1);
  EXPECT_EQ(e.sqlstate(), "40003");
}

TEST(ExitStatus, ConnectErrorCarriesEndpoint) {
  ConnectError e("db.example:26257", "cannot connect");
  EXPECT_EQ(e.endpoint(), "db.example:26257");
  EXPECT_STREQ(e.what(), "cannot connect");
}

TEST(ExitStatus, RealRefusedConnectionIsAConnectErrorNamingTheEndpoint) {
  // Port 1 on loopback: nothing listens there, so the connection is refused at once.
  try {
    Connection::open({{"host", "127.0.0.1"}, {"port", "1"}, {"user", "maxroach"}, {"dbname", "bank"},
                      {"connect_timeout", "5"}},
                     "app");
    FAIL() << "connecting to port 1 succeeded";
  } catch (const ConnectError& e) {
    EXPECT_EQ(e.endpoint(), "127.0.0.1:1");
    EXPECT_EQ(exit_code_for(e.kind()), kExitUnreachable);
    std::string what = e.what();
    EXPECT_NE(what.find("cannot connect to 127.0.0.1:1 as user 'maxroach' (connection 'app', database 'bank')"),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("hint: is the server running there?"), std::string::npos) << what;
  }
}

TEST(ExitStatus, ValidationErrorFormatsItsLocation) {
  ValidationError e(SourceLocation{"bank.yaml", 12, 7}, "unknown key 'stpes'");
  EXPECT_STREQ(e.what(), "bank.yaml:12:7: unknown key 'stpes'");
  EXPECT_EQ(e.message(), "unknown key 'stpes'");
  EXPECT_EQ(e.where().line, 12);
  EXPECT_EQ(e.where().column, 7);
}

TEST(ExitStatus, SourceLocationShowsAsMuchAsIsKnown) {
  EXPECT_EQ((SourceLocation{"a.yaml", 3, 4}).str(), "a.yaml:3:4");
  EXPECT_EQ((SourceLocation{"a.yaml", 3, 0}).str(), "a.yaml:3");
  EXPECT_EQ((SourceLocation{"a.yaml", 0, 0}).str(), "a.yaml");
  EXPECT_EQ((SourceLocation{"", 0, 0}).str(), "<input>");
}

TEST(ExitStatus, ParamErrorNamesItsParameter) {
  ParamError e("to", "must differ from 'from'");
  EXPECT_EQ(e.param(), "to");
  EXPECT_STREQ(e.what(), "must differ from 'from'");
}

}  // namespace
}  // namespace roachrun
