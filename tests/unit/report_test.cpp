// engine/report_junit.hpp and report_json.hpp on hand-made outcomes: escaping, counts, shape.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/report_json.hpp"
#include "engine/report_junit.hpp"
#include "support/junit.hpp"
#include "support/temp_dir.hpp"

namespace roachrun {
namespace {

StepOutcome step(int number, std::string name, StepStatus status) {
  StepOutcome s;
  s.number = number;
  s.name = std::move(name);
  s.type = "sql.exec";
  s.status = status;
  return s;
}

RunRecord sample() {
  RunRecord record;
  ScenarioOutcome a;
  a.file = "a.yaml";
  a.name = "a <&> \"quoted\" 'single'";
  a.steps.push_back(step(1, "ok", StepStatus::passed));
  auto failed = step(2, "fails", StepStatus::failed);
  failed.error_kind = ErrorKind::step;
  failed.error_type = "DbError";
  failed.sqlstate = "23505";
  failed.message = "duplicate key <x> & \"y\"\nDETAIL: line two\x01 bad \xff byte";
  failed.transactions = {4, 3, std::chrono::milliseconds(1234)};
  failed.duration = std::chrono::milliseconds(1500);
  a.steps.push_back(failed);
  auto skipped = step(3, "later", StepStatus::skipped);
  skipped.skip_reason = "an earlier step failed";
  a.steps.push_back(skipped);
  a.exit_code = kExitStepFailed;
  record.scenarios.push_back(a);
  ScenarioOutcome b;
  b.file = "b.yaml";
  b.name = "b";
  auto conn = step(1, "connects", StepStatus::failed);
  conn.error_kind = ErrorKind::connection;
  conn.error_type = "ConnectError";
  conn.message = "refused";
  b.steps.push_back(conn);
  b.exit_code = kExitUnreachable;
  record.scenarios.push_back(b);
  record.invalid.push_back({"c.yaml", {"c.yaml:1:1: one", "c.yaml:2:1: two"}});
  record.exit_code = kExitStepFailed;
  return record;
}

TEST(XmlEscape, MarkupControlsAndInvalidUtf8) {
  EXPECT_EQ(xml_escape("a<b>&\"c\"'d'"), "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;");
  EXPECT_EQ(xml_escape("l1\nl2\tt\r"), "l1&#10;l2&#9;t&#13;");
  EXPECT_EQ(xml_escape("nul\x01x"), "nul\xEF\xBF\xBDx");
  EXPECT_EQ(xml_escape("\xff"), "\xEF\xBF\xBD");
  EXPECT_EQ(xml_escape("h\xC3\xA9llo \xE2\x82\xAC"), "h\xC3\xA9llo \xE2\x82\xAC");  // UTF-8 kept
  EXPECT_EQ(xml_escape("\xC3"), "\xEF\xBF\xBD");                                   // truncated sequence
}

TEST(JUnitReport, ParsesWithCountsThatAddUp) {
  test::TempDir dir;
  const auto path = dir.path() / "r.xml";
  {
    std::ofstream out(path);
    write_junit_report(out, sample());
  }
  const auto r = test::read_junit(path.string());  // throws on bad XML or counts
  EXPECT_EQ(r.tests, 5);
  EXPECT_EQ(r.failures, 2);
  EXPECT_EQ(r.errors, 1);
  EXPECT_EQ(r.skipped, 1);
  ASSERT_EQ(r.suites.size(), 3u);
  EXPECT_EQ(r.suites[0].name, "c.yaml");
  EXPECT_EQ(r.suites[0].cases[0].name, "validation");
  EXPECT_EQ(r.suites[0].cases[0].text, "c.yaml:1:1: one\nc.yaml:2:1: two");
  const auto& a = r.suites[1];
  EXPECT_EQ(a.name, "a <&> \"quoted\" 'single'");
  EXPECT_EQ(a.cases[1].classname, a.name);
  EXPECT_EQ(a.cases[1].name, "2. fails");
  EXPECT_DOUBLE_EQ(a.cases[1].time, 1.5);
  EXPECT_EQ(a.cases[1].status, "failure");
  EXPECT_EQ(a.cases[1].type, "23505");
  EXPECT_EQ(a.cases[1].message, "duplicate key <x> & \"y\"");
  EXPECT_EQ(a.cases[1].text, "duplicate key <x> & \"y\"\nDETAIL: line two\xEF\xBF\xBD bad \xEF\xBF\xBD byte");
  EXPECT_EQ(a.cases[2].status, "skipped");
  EXPECT_EQ(r.suites[2].cases[0].status, "error");
  EXPECT_EQ(r.suites[2].cases[0].type, "ConnectError");
}

TEST(JsonReport, Schema) {
  std::ostringstream out;
  write_json_report(out, sample());
  const auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["exit_code"], 1);
  ASSERT_EQ(j["scenarios"].size(), 3u);
  EXPECT_EQ(j["scenarios"][0]["status"], "invalid");
  EXPECT_EQ(j["scenarios"][0]["validation_errors"].size(), 2u);
  const auto& a = j["scenarios"][1];
  EXPECT_EQ(a["status"], "failed");
  const auto& f = a["steps"][1];
  EXPECT_EQ(f["attempts"], 4);
  EXPECT_EQ(f["retries"], 3);
  EXPECT_EQ(f["backoff_ms"], 1234);
  EXPECT_EQ(f["duration_ms"], 1500);
  EXPECT_EQ(f["error"]["type"], "DbError");
  EXPECT_EQ(f["error"]["class"], "DbError") << "the deprecated alias of \"type\" stays";
  EXPECT_EQ(f["error"]["sqlstate"], "23505");
  EXPECT_EQ(a["steps"][2]["skip_reason"], "an earlier step failed");
  EXPECT_TRUE(j["scenarios"][2]["steps"][0]["error"]["sqlstate"].is_null());
}

}  // namespace
}  // namespace roachrun
