// engine/exit_status.hpp, engine/caught_error.hpp and the SDK's error classes: every ErrorKind
// becomes exactly one exit code, each error says its kind and type, and whatever is thrown is
// described.
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <stdexcept>

#include "engine/caught_error.hpp"
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
  EXPECT_EQ(exit_code_for(ErrorKind::report), 4);
  EXPECT_EQ(exit_code_for(ErrorKind::internal), 5);
  EXPECT_EQ(exit_code_for(ErrorKind::interrupted), 130);
}

TEST(ExitStatus, NamedConstantsMatchTheDocumentedNumbers) {
  EXPECT_EQ(kExitOk, 0);
  EXPECT_EQ(kExitStepFailed, 1);
  EXPECT_EQ(kExitInvalid, 2);
  EXPECT_EQ(kExitUnreachable, 3);
  EXPECT_EQ(kExitReportNotWritten, 4);
  EXPECT_EQ(kExitInternal, 5);
  EXPECT_EQ(kExitInterrupted, 130);
}

// The table is the one place: every kind has exactly one row, and a code is shared only by the
// three kinds that all mean "nothing ran".
TEST(ExitStatus, TheTableHasEveryKindOnceAndNoCodeMeansTwoThings) {
  const ErrorKind all[] = {ErrorKind::usage,      ErrorKind::validation, ErrorKind::plugin,
                           ErrorKind::step,       ErrorKind::connection, ErrorKind::interrupted,
                           ErrorKind::report,     ErrorKind::internal};
  EXPECT_EQ(kExitCodes.size(), std::size(all));
  for (ErrorKind kind : all)
    EXPECT_EQ(std::count_if(kExitCodes.begin(), kExitCodes.end(), [&](const ExitCodeRow& r) { return r.kind == kind; }),
              1)
        << static_cast<int>(kind);
  const auto nothing_ran = [](ErrorKind k) {
    return k == ErrorKind::usage || k == ErrorKind::validation || k == ErrorKind::plugin;
  };
  for (const ExitCodeRow& row : kExitCodes) {
    EXPECT_NE(row.code, kExitOk);
    for (const ExitCodeRow& other : kExitCodes) {
      if (row.kind == other.kind || (nothing_ran(row.kind) && nothing_ran(other.kind))) continue;
      EXPECT_NE(row.code, other.code) << static_cast<int>(row.kind) << " and " << static_cast<int>(other.kind);
    }
  }
  EXPECT_EQ(exit_code_for(static_cast<ErrorKind>(99)), kExitInternal);
}

TEST(ExitStatus, AnUnwrittenReportFailsOnlyARunThatPassed) {
  EXPECT_EQ(exit_code_with_reports(kExitOk, true), kExitOk);
  EXPECT_EQ(exit_code_with_reports(kExitOk, false), kExitReportNotWritten);
  for (ExitCode run : {kExitStepFailed, kExitInvalid, kExitUnreachable, kExitInternal, kExitInterrupted}) {
    EXPECT_EQ(exit_code_with_reports(run, true), run);
    EXPECT_EQ(exit_code_with_reports(run, false), run) << "the run's own outcome comes first";
  }
}

TEST(ExitStatus, EachErrorClassSaysItsKindAndType) {
  struct Case {
    const Error& error;
    ErrorKind kind;
    const char* type;
  };
  const UsageError usage("x");
  const ValidationError validation(SourceLocation{"f.yaml", 1, 2}, "x");
  const ParamError param("p", "x");
  const PluginError plugin("x");
  const StepError step("x");
  const DbError db("23505", "dup", "");
  const RetriesExhausted exhausted(4, DbError("40001", "restart", ""));
  const AmbiguousCommit ambiguous(1, DbError("40003", "ambiguous", ""));
  const ConnectError connect("h:1", "x");
  const Interrupted interrupted;
  for (const Case& c : {Case{usage, ErrorKind::usage, "UsageError"},
                        Case{validation, ErrorKind::validation, "ValidationError"},
                        Case{param, ErrorKind::validation, "ParamError"},
                        Case{plugin, ErrorKind::plugin, "PluginError"},
                        Case{step, ErrorKind::step, "StepError"},
                        Case{db, ErrorKind::step, "DbError"},
                        Case{exhausted, ErrorKind::step, "RetriesExhausted"},
                        Case{ambiguous, ErrorKind::step, "AmbiguousCommit"},
                        Case{connect, ErrorKind::connection, "ConnectError"},
                        Case{interrupted, ErrorKind::interrupted, "Interrupted"}}) {
    EXPECT_EQ(c.error.kind(), c.kind) << c.type;
    EXPECT_EQ(c.error.type_name(), c.type);
  }

  EXPECT_EQ(exit_code_for(DbError("23505", "dup", "").kind()), kExitStepFailed);
  EXPECT_EQ(exit_code_for(ConnectError("h:1", "x").kind()), kExitUnreachable);
  EXPECT_EQ(exit_code_for(Interrupted().kind()), kExitInterrupted);
}

// A class outside the SDK (a plugin's, the core's) says both itself; nothing else must change.
TEST(ExitStatus, ANewErrorClassNeedsNoChangeElsewhere) {
  class QuotaExceeded : public StepError {
   public:
    using StepError::StepError;
    std::string_view type_name() const noexcept override { return "QuotaExceeded"; }
  };
  try {
    throw QuotaExceeded("over quota");
  } catch (...) {
    const CaughtError caught = describe_current_exception();
    EXPECT_EQ(caught.kind, ErrorKind::step);
    EXPECT_EQ(caught.type, "QuotaExceeded");
    EXPECT_EQ(caught.message, "over quota");
  }
}

TEST(ExitStatus, WhateverWasThrownIsDescribed) {
  try {
    throw DbError("22012", "division by zero", "");
  } catch (...) {
    const CaughtError caught = describe_current_exception();
    EXPECT_EQ(caught.type, "DbError");
    EXPECT_EQ(caught.sqlstate, "22012");
  }
  try {
    throw std::out_of_range("index 7");
  } catch (...) {
    const CaughtError caught = describe_current_exception();
    EXPECT_FALSE(caught.kind);
    EXPECT_EQ(caught.type, "std::out_of_range");
    EXPECT_EQ(unexpected_exception_text(caught, "in x"), "unexpected exception in x: std::out_of_range: index 7");
  }
  try {
    throw 42;
  } catch (...) {
    const CaughtError caught = describe_current_exception();
    EXPECT_FALSE(caught.kind);
    EXPECT_FALSE(caught.std_exception);
    EXPECT_EQ(caught.type, "int");
    EXPECT_EQ(unexpected_exception_text(caught, "in x"),
              "unexpected exception in x: int, not derived from std::exception");
  }
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

TEST(ExitStatus, ARefusedMultiHostTargetNamesEachHostWithItsPort) {
  // Ports 1 and 2: libpq tries both, both refuse. A single port would apply to each host.
  for (const auto& [ports, named] : std::vector<std::pair<std::string, std::string>>{
           {"1,2", "127.0.0.1:1,localhost:2"}, {"1", "127.0.0.1:1,localhost:1"}}) {
    try {
      Connection::open({{"host", "127.0.0.1,localhost"}, {"port", ports}, {"user", "root"}, {"dbname", "defaultdb"},
                        {"connect_timeout", "5"}},
                       "app");
      FAIL() << "connecting to ports " << ports << " succeeded";
    } catch (const ConnectError& e) {
      EXPECT_EQ(e.endpoint(), named);
      EXPECT_NE(std::string(e.what()).find("cannot connect to " + named + " as user 'root'"), std::string::npos)
          << e.what();
    }
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
