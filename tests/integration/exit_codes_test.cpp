// Every exit code, and that a failure leaves the database as it was.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/local_server.hpp"
#include "support/command.hpp"
#include "support/local_server_gone.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

namespace roachrun::test {
namespace {

// A scenario on the test server in a database of its own, with accounts 1 (1000) and 2 (250).
std::string bank_scenario(const TempDir& dir, const std::string& database, const std::string& steps) {
  return dir.write("scenario.yaml",
                   "scenario: exit-codes\n"
                   "connections:\n"
                   "  app: {user: root, database: " + database + "}\n"
                   "steps:\n"
                   "  - bank.create_accounts: {rows: [[1, 1000], [2, 250]]}\n" + steps);
}

TEST(ExitCodes, InsufficientFundsFailsTheStepWithExitOneAndChangesNothing) {
  TempDir dir;
  std::string db = TestServer::get().create_database("funds");
  auto file = bank_scenario(dir, db, "  - bank.transfer: {from: 2, to: 1, amount: 300}\n  - bank.print_balances: {}\n");
  auto r = roachrun({"run", file, "--target", TestServer::get().url()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("insufficient funds"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[3/3] bank.print_balances: skipped"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "") << "a failed scenario stops: later steps do not print";
  EXPECT_EQ(balances(db), "1=1000 2=250 ");
}

TEST(ExitCodes, TransferFromOrToAMissingAccountChangesNothing) {
  for (const char* transfer : {"{from: 3, to: 1, amount: 10}", "{from: 1, to: 3, amount: 10}"}) {
    TempDir dir;
    std::string db = TestServer::get().create_database("missing");
    auto file = bank_scenario(dir, db, std::string("  - bank.transfer: ") + transfer + "\n");
    auto r = roachrun({"run", file, "--target", TestServer::get().url()});
    EXPECT_EQ(r.exit_code, 1) << transfer << "\n" << r.err;
    EXPECT_NE(r.err.find("account 3"), std::string::npos) << r.err;
    EXPECT_EQ(balances(db), "1=1000 2=250 ") << transfer;
  }
}

TEST(ExitCodes, ExpectBalancesListsEveryMismatch) {
  TempDir dir;
  std::string db = TestServer::get().create_database("expect");
  auto file = bank_scenario(dir, db, "  - bank.expect_balances: {balances: {1: 999, 2: 250, 7: 5}}\n");
  auto r = roachrun({"run", file, "--target", TestServer::get().url()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("999"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("7"), std::string::npos) << r.err;
}

TEST(ExitCodes, InvalidScenarioRunsNothingAndExitsTwo) {
  TempDir dir;
  std::string db = TestServer::get().create_database("invalid");
  // The first step is valid and would create the table; the second is not: nothing may run.
  auto file = bank_scenario(dir, db, "  - bank.transfer: {from: 1, to: 2, amount: -5}\n");
  auto r = roachrun({"run", file, "--target", TestServer::get().url()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("scenario.yaml:6:45: step 2 (bank.transfer): parameter 'amount' must be at least 1, got -5"),
            std::string::npos)
      << r.err;
  Connection c = TestServer::get().connect("root", db);
  EXPECT_EQ(c.exec_simple("SELECT count(*) FROM pg_tables WHERE tablename = 'accounts'").integer(0, 0), 0);
}

TEST(ExitCodes, UnreachableTargetExitsThreeNamingHostAndPort) {
  TempDir dir;
  auto file = dir.write("s.yaml", "scenario: s\nsteps:\n  - sql.exec: SELECT 1\n");
  // Port 1 on loopback: nothing listens there.
  auto r = roachrun({"run", file, "--target", "postgresql://root@127.0.0.1:1/defaultdb?sslmode=disable"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("127.0.0.1:1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Connection refused"), std::string::npos) << r.err;
}

TEST(ExitCodes, UnknownUserExitsThreeNamingTheUser) {
  TempDir dir;
  auto file = dir.write("s.yaml",
                        "scenario: s\nconnections:\n  c: {user: nobody_here, database: defaultdb}\n"
                        "steps:\n  - sql.exec: SELECT 1\n");
  auto r = roachrun({"run", file, "--target", TestServer::get().url()});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("as user 'nobody_here'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("role \"nobody_here\" does not exist"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("check the connection's user and password"), std::string::npos) << r.err;
}

TEST(ExitCodes, WrongPasswordExitsThreeAndNeverShowsAPassword) {
  // The shared test server trusts every login; this one checks passwords (except root's).
  LocalServerOptions options;
  options.hba = {"host all root 127.0.0.1/32 trust", "host all all 127.0.0.1/32 scram-sha-256"};
  auto server = LocalServer::start(options, TestServer::get().log());
  const std::string port = std::to_string(server->port());
  Connection root = Connection::open({{"host", "127.0.0.1"}, {"port", port}, {"user", "root"}, {"dbname", "defaultdb"}}, "root");
  root.exec_simple("CREATE ROLE pw_user LOGIN PASSWORD 'right-secret'");

  TempDir dir;
  auto scenario = [&](const std::string& password) {
    return dir.write("s.yaml", "scenario: s\nconnections:\n  c: {user: pw_user, database: defaultdb, password: " +
                                   password + "}\nsteps:\n  - sql.query: SELECT current_user\n");
  };
  // A password in the target URL (root's) must not leak into logs either.
  const std::string url = "postgresql://root:url-secret@127.0.0.1:" + port + "/defaultdb?sslmode=disable";
  auto wrong = roachrun({"--log-level", "debug", "run", scenario("wrong-secret"), "--target", url});
  EXPECT_EQ(wrong.exit_code, 3) << wrong.err;
  EXPECT_NE(wrong.err.find("password authentication failed for user \"pw_user\""), std::string::npos) << wrong.err;
  EXPECT_NE(wrong.err.find("127.0.0.1:" + port), std::string::npos) << wrong.err;
  for (const auto* secret : {"wrong-secret", "url-secret"}) {
    EXPECT_EQ(wrong.err.find(secret), std::string::npos) << wrong.err;
    EXPECT_EQ(wrong.out.find(secret), std::string::npos) << wrong.out;
  }

  auto right = roachrun({"run", scenario("right-secret"), "--target", url});
  EXPECT_EQ(right.exit_code, 0) << right.err;
  EXPECT_EQ(right.out, "['pw_user']\n");
}

TEST(ExitCodes, CtrlCStopsTheRunAndRemovesTheLocalServer) {
  TempDir dir;
  auto file = dir.write("s.yaml",
                        "scenario: slow\nsteps:\n  - name: Sleep\n    sql.exec: SELECT pg_sleep(60)\n"
                        "  - sql.exec: SELECT 1\n");
  RunningCommand run({"--log-level", "debug", "run", file});
  // Wait until the step is running on the local server: it says "running" before its first
  // connection starts the server, and a Ctrl-C during the start-up would end that instead.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (run.err_so_far().find("local PostgreSQL server ready on") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto start = std::chrono::steady_clock::now();
  run.signal(SIGINT);
  auto r = run.wait();
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_LT(took, std::chrono::seconds(10)) << "Ctrl-C must cancel the running statement";
  EXPECT_NE(r.err.find("[2/2] sql.exec: skipped"), std::string::npos) << r.err;

  expect_local_server_gone(r.err);
}

TEST(ExitCodes, FailedStepStillStopsTheLocalServer) {
  TempDir dir;
  auto file = dir.write("s.yaml", "scenario: s\nsteps:\n  - sql.exec: SELECT * FROM no_such_table\n");
  auto r = roachrun({"run", file});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("42P01"), std::string::npos) << r.err;
  expect_local_server_gone(r.err);
}

// A report path whose parent is a regular file: no one can create it, not even root.
std::string unwritable_report(const TempDir& dir, const std::string& format) {
  dir.write("not-a-directory", "");
  return format + "=" + (dir.path() / "not-a-directory" / ("report." + format)).string();
}

TEST(ExitCodes, ReportThatCannotBeWrittenAfterAPassingRunExitsFour) {
  TempDir dir;
  auto file = dir.write("s.yaml", "scenario: s\nsteps:\n  - sql.query: SELECT 'one'\n");
  const auto json = dir.path() / "written/report.json";
  auto r = roachrun({"run", file, "--target", TestServer::get().url(), "--report", unwritable_report(dir, "junit"),
                     "--report", "json=" + json.string()});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_EQ(r.out, "['one']\n") << "the run happened";
  EXPECT_NE(r.err.find("cannot write report " + (dir.path() / "not-a-directory/report.junit").string()),
            std::string::npos)
      << r.err;
  // The other report is still written, and records the run's own outcome.
  std::ifstream in(json);
  ASSERT_TRUE(in) << json;
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["exit_code"], 0);
  EXPECT_EQ(j["scenarios"][0]["status"], "passed");
}

TEST(ExitCodes, ReportThatCannotBeWrittenKeepsAFailedStepsExitOne) {
  TempDir dir;
  auto file = dir.write("s.yaml", "scenario: s\nsteps:\n  - sql.exec: SELECT 1/0\n");
  auto r = roachrun({"run", file, "--target", TestServer::get().url(), "--report", unwritable_report(dir, "json")});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("22012"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("cannot write report"), std::string::npos) << r.err;
}

TEST(ExitCodes, ReportThatCannotBeWrittenKeepsTheInterruptedExit130) {
  TempDir dir;
  auto file = dir.write("s.yaml", "scenario: s\nsteps:\n  - name: Sleep\n    sql.exec: SELECT pg_sleep(60)\n");
  RunningCommand run({"--log-level", "debug", "run", file, "--target", TestServer::get().url(), "--report",
                      unwritable_report(dir, "junit")});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (run.err_so_far().find("[1/1] Sleep (sql.exec): running") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  run.signal(SIGINT);
  auto r = run.wait();
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_NE(r.err.find("cannot write report"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace roachrun::test
