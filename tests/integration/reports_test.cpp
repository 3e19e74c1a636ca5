// --report junit=FILE / json=FILE: the reports of passing, failing, invalid and unreachable runs,
// read back with real parsers (libxml2, nlohmann::json); and no secret in any report or log.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/command.hpp"
#include "support/junit.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

namespace roachrun::test {
namespace {

nlohmann::json read_json(const std::filesystem::path& path) { return nlohmann::json::parse(read_file(path)); }

const char* kPassing =
    "scenario: passing\n"
    "steps:\n"
    "  - name: Say one\n"
    "    sql.query: SELECT 'one'\n"
    "  - sql.exec: SELECT 1\n";

const char* kFailing =
    "scenario: failing\n"
    "steps:\n"
    "  - name: Say one\n"
    "    sql.query: SELECT 'one'\n"
    "  - name: Divide by zero\n"
    "    sql.exec: SELECT 1/0\n"
    "  - name: Never runs\n"
    "    sql.query: SELECT 'two'\n";

TEST(Reports, PassingRun) {
  TempDir dir;
  auto file = dir.write("passing.yaml", kPassing);
  const auto xml = dir.path() / "out/junit.xml";
  const auto json = dir.path() / "out/report.json";
  auto r = roachrun({"run", file, "--target", TestServer::get().url(), "--report", "junit=" + xml.string(), "--report",
                     "json=" + json.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "['one']\n");

  const JUnitReport junit = read_junit(xml.string());
  EXPECT_EQ(junit.tests, 2);
  EXPECT_EQ(junit.failures, 0);
  EXPECT_EQ(junit.errors, 0);
  EXPECT_EQ(junit.skipped, 0);
  ASSERT_EQ(junit.suites.size(), 1u);
  EXPECT_EQ(junit.suites[0].name, "passing");
  ASSERT_EQ(junit.suites[0].cases.size(), 2u);
  EXPECT_EQ(junit.suites[0].cases[0].classname, "passing");
  EXPECT_EQ(junit.suites[0].cases[0].name, "1. Say one");
  EXPECT_EQ(junit.suites[0].cases[1].name, "2. sql.exec");
  EXPECT_EQ(junit.suites[0].cases[1].status, "passed");

  const auto j = read_json(json);
  EXPECT_EQ(j["exit_code"], 0);
  EXPECT_TRUE(j["roachrun_version"].is_string());
  EXPECT_TRUE(j["started_at"].is_string());
  EXPECT_TRUE(j["duration_ms"].is_number_integer());
  ASSERT_EQ(j["scenarios"].size(), 1u);
  const auto& s = j["scenarios"][0];
  EXPECT_EQ(s["file"], file);
  EXPECT_EQ(s["name"], "passing");
  EXPECT_EQ(s["status"], "passed");
  ASSERT_EQ(s["steps"].size(), 2u);
  EXPECT_EQ(s["steps"][0]["number"], 1);
  EXPECT_EQ(s["steps"][0]["name"], "Say one");
  EXPECT_EQ(s["steps"][0]["type"], "sql.query");
  EXPECT_EQ(s["steps"][0]["status"], "passed");
  EXPECT_TRUE(s["steps"][0]["error"].is_null());
  for (const char* key : {"duration_ms", "attempts", "retries", "backoff_ms"})
    EXPECT_TRUE(s["steps"][1][key].is_number_integer()) << key;
}

TEST(Reports, FailingRunHasTheFailureWithItsSqlstateAndTheSkippedStep) {
  TempDir dir;
  auto file = dir.write("failing.yaml", kFailing);
  const auto xml = dir.path() / "junit.xml";
  const auto json = dir.path() / "report.json";
  auto r = roachrun({"run", file, "--target", TestServer::get().url(), "--report", "json=" + json.string(), "--report",
                     "junit=" + xml.string()});
  ASSERT_EQ(r.exit_code, 1) << r.err;

  const JUnitReport junit = read_junit(xml.string());
  EXPECT_EQ(junit.tests, 3);
  EXPECT_EQ(junit.failures, 1);
  EXPECT_EQ(junit.errors, 0);
  EXPECT_EQ(junit.skipped, 1);
  ASSERT_EQ(junit.suites.size(), 1u);
  const auto& cases = junit.suites[0].cases;
  ASSERT_EQ(cases.size(), 3u);
  EXPECT_EQ(cases[0].status, "passed");
  EXPECT_EQ(cases[1].name, "2. Divide by zero");
  EXPECT_EQ(cases[1].status, "failure");
  EXPECT_EQ(cases[1].type, "22012");
  EXPECT_NE(cases[1].message.find("division by zero"), std::string::npos) << cases[1].message;
  EXPECT_EQ(cases[2].status, "skipped");
  EXPECT_EQ(cases[2].message, "an earlier step failed");

  const auto j = read_json(json);
  EXPECT_EQ(j["exit_code"], 1);
  const auto& s = j["scenarios"][0];
  EXPECT_EQ(s["status"], "failed");
  EXPECT_EQ(s["steps"][1]["status"], "failed");
  EXPECT_EQ(s["steps"][1]["error"]["class"], "DbError");
  EXPECT_EQ(s["steps"][1]["error"]["sqlstate"], "22012");
  EXPECT_NE(s["steps"][1]["error"]["message"].get<std::string>().find("division by zero"), std::string::npos);
  EXPECT_EQ(s["steps"][2]["status"], "skipped");
  EXPECT_EQ(s["steps"][2]["skip_reason"], "an earlier step failed");
}

TEST(Reports, ValidationFailureIsReported) {
  TempDir dir;
  auto good = dir.write("good.yaml", kPassing);
  auto bad = dir.write("bad.yaml", "scenario: bad\nsteps:\n  - sql.exce: SELECT 1\n  - sql.query: \"${nope}\"\n");
  const auto xml = dir.path() / "junit.xml";
  const auto json = dir.path() / "report.json";
  auto r = roachrun({"run", good, bad, "--target", "postgresql://root@127.0.0.1:1/x", "--report",
                     "junit=" + xml.string(), "--report", "json=" + json.string()});
  ASSERT_EQ(r.exit_code, 2) << r.err;

  const JUnitReport junit = read_junit(xml.string());
  EXPECT_EQ(junit.tests, 1);
  EXPECT_EQ(junit.failures, 1);
  ASSERT_EQ(junit.suites.size(), 1u);
  EXPECT_EQ(junit.suites[0].name, bad);
  ASSERT_EQ(junit.suites[0].cases.size(), 1u);
  EXPECT_EQ(junit.suites[0].cases[0].name, "validation");
  EXPECT_EQ(junit.suites[0].cases[0].type, "validation");
  EXPECT_NE(junit.suites[0].cases[0].text.find("unknown step type 'sql.exce'"), std::string::npos);
  EXPECT_NE(junit.suites[0].cases[0].text.find("undefined variable 'nope'"), std::string::npos);

  const auto j = read_json(json);
  EXPECT_EQ(j["exit_code"], 2);
  ASSERT_EQ(j["scenarios"].size(), 1u);
  EXPECT_EQ(j["scenarios"][0]["file"], bad);
  EXPECT_EQ(j["scenarios"][0]["status"], "invalid");
  EXPECT_EQ(j["scenarios"][0]["validation_errors"].size(), 2u);
}

TEST(Reports, UnreachableTargetIsAnErrorNotAFailure) {
  TempDir dir;
  auto file = dir.write("passing.yaml", kPassing);
  const auto xml = dir.path() / "junit.xml";
  auto r = roachrun({"run", file, "--target", "postgresql://root@127.0.0.1:1/defaultdb?sslmode=disable&connect_timeout=2",
                     "--report", "junit=" + xml.string()});
  ASSERT_EQ(r.exit_code, 3) << r.err;
  const JUnitReport junit = read_junit(xml.string());
  EXPECT_EQ(junit.tests, 2);
  EXPECT_EQ(junit.errors, 1);
  EXPECT_EQ(junit.skipped, 1);
  EXPECT_EQ(junit.suites[0].cases[0].status, "error");
  EXPECT_EQ(junit.suites[0].cases[0].type, "ConnectError");
}

TEST(Reports, BadReportSpecIsUsageError) {
  TempDir dir;
  auto file = dir.write("passing.yaml", kPassing);
  auto r = roachrun({"run", file, "--report", "xml=out.xml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--report expects junit=FILE, json=FILE or html=FILE"), std::string::npos) << r.err;
}

// A password given in --target, or in a connection, is in no report and no log line, at any
// log level, whether the run passes, fails with a message quoting it, or cannot connect.
TEST(Reports, NoSecretInAnyReportOrLog) {
  const std::string url_password = "Url-Pa55word-x9";
  const std::string conn_password = "C0nn-Secret-q7";
  TempDir dir;
  const auto port = std::to_string(TestServer::get().port());
  auto file = dir.write("secret.yaml",
                        "scenario: secret\n"
                        "connections:\n"
                        "  main: {user: root, database: defaultdb, password: " + conn_password + "}\n"
                        "steps:\n"
                        "  - sql.exec: SELECT 1\n"
                        "  - name: Quote both secrets in an error\n"
                        "    sql.exec: \"SELECT '" + url_password + "'::int + '" + conn_password + "'::int\"\n");
  const std::vector<std::string> targets = {
      "postgresql://root:" + url_password + "@127.0.0.1:" + port + "/defaultdb?sslmode=disable",
      "host=127.0.0.1 port=" + port + " user=root password=" + url_password + " sslmode=disable",
      "postgresql://root:" + url_password + "@127.0.0.1:1/defaultdb?sslmode=disable&connect_timeout=2"};
  for (std::size_t t = 0; t < targets.size(); ++t) {
    const std::string& target = targets[t];
    for (const char* level : {"trace", "debug", "info"}) {
      const auto xml = dir.path() / "junit.xml";
      const auto json = dir.path() / "report.json";
      const auto html = dir.path() / "report.html";
      for (const std::vector<std::string>& extra : {std::vector<std::string>{}, {"--dry-run"}}) {
        std::vector<std::string> args = {"--log-level", level, "run", file, "--target", target,
                                         "--report", "junit=" + xml.string(), "--report", "json=" + json.string(),
                                         "--report", "html=" + html.string()};
        args.insert(args.end(), extra.begin(), extra.end());
        auto r = roachrun(args);
        if (extra.empty()) EXPECT_NE(r.exit_code, 0) << level << "\n" << r.err;
        else EXPECT_EQ(r.exit_code, 0) << "a dry run touches no database\n" << r.err;
        for (const auto& secret : {url_password, conn_password}) {
          EXPECT_EQ(r.err.find(secret), std::string::npos) << level << ": " << r.err;
          EXPECT_EQ(r.out.find(secret), std::string::npos) << level << ": " << r.out;
          EXPECT_EQ(read_file(xml).find(secret), std::string::npos) << read_file(xml);
          EXPECT_EQ(read_file(json).find(secret), std::string::npos) << read_file(json);
          EXPECT_EQ(read_file(html).find(secret), std::string::npos) << "the HTML report's header names the target";
        }
        if (extra.empty() && t < 2) {
          // The secrets were there to leak: the failing step's message quotes them, masked.
          EXPECT_NE(read_file(json).find("***"), std::string::npos) << read_file(json);
          EXPECT_NE(read_file(html).find("***"), std::string::npos);
          read_junit(xml.string());
        }
      }
    }
  }
}

}  // namespace
}  // namespace roachrun::test
