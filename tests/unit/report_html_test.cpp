// engine/report_html.hpp and svg_chart.hpp on hand-made reports: the page is well-formed and
// self-contained, says what the JSON says, draws what a charted result asks for, and survives
// results that are not what it expects. The report of a real workload, rendered in Chromium, is
// tests/integration/html_report_test.cpp.
#include <gtest/gtest.h>

#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/report_html.hpp"
#include "engine/svg_chart.hpp"
#include "support/html_page.hpp"

namespace roachrun {
namespace {

using Json = nlohmann::ordered_json;

// A JSON report document with one scenario: a passed workload step with a time series of
// `intervals` rows and an outage band, and a failed step.
Json report(int intervals = 5) {
  Json rows = Json::array();
  for (int i = 0; i < intervals; ++i)
    rows.push_back({{"start_s", i},
                    {"seconds", 1.0},
                    {"committed", i == 2 ? 0 : 100 + i},
                    {"declined", 1},
                    {"retries", i},
                    {"failures", 0},
                    {"reconnects", i == 3 ? 8 : 0},
                    {"latency_ms", {{"p50", i == 2 ? 0.0 : 2.0}, {"p95", 4.0}, {"p99", 9.5}, {"max", 3000.0}}}});
  Json result = {
      {"elapsed_seconds", static_cast<double>(intervals)},
      {"committed", 0},
      {"latency_ms", {{"p50", 2.0}, {"p95", 4.0}, {"p99", 9.5}, {"max", 3000.0}}},
      {"interval_seconds", 1.0},
      {"time_series", rows},
      {"without_connection", {{{"from_s", 2.1}, {"to_s", 3.4}, {"sessions", 8}}}},
      {"latency_histogram", {{{"from_ms", 1.9}, {"to_ms", 2.0}, {"count", 400}}, {{"from_ms", 9.0}, {"to_ms", 9.5}, {"count", 10}}}},
      {"chart",
       {{"title", "a workload"},
        {"rates", {{{"field", "committed"}, {"label", "committed"}}, {{"field", "declined"}, {"label", "declined"}}}},
        {"rate_unit", "transfers/s"},
        {"events", {{{"field", "retries"}, {"label", "retries"}}, {{"field", "reconnects"}, {"label", "reconnects"}}}},
        {"bands", {{"field", "without_connection"}, {"label", "a client without a connection"}}},
        {"verdict", {{"title", "audit"}, {"ok", true}, {"text", "ok (total conserved)"}}}}},
  };
  Json workload = {{"number", 1}, {"name", "Run <the> workload"}, {"type", "bank.workload"}, {"status", "passed"},
                   {"duration_ms", intervals * 1000}, {"retries", 10}, {"error", nullptr}, {"skip_reason", nullptr},
                   {"block", nullptr}, {"branch", nullptr}, {"started_ms", 10}, {"result", result}};
  Json failed = {{"number", 2}, {"name", "Check"}, {"type", "sql.query"}, {"status", "failed"}, {"duration_ms", 3},
                 {"retries", 0},
                 {"error", {{"type", "DbError"}, {"sqlstate", "23505"}, {"message", "duplicate key <k> & \"v\""}}},
                 {"skip_reason", nullptr}, {"block", "load"}, {"branch", "outage"}, {"started_ms", 5200}};
  Json skipped = {{"number", 3}, {"name", "Later"}, {"type", "bank.audit"}, {"status", "skipped"}, {"duration_ms", 0},
                  {"retries", 0}, {"error", nullptr}, {"skip_reason", "an earlier step failed"}, {"started_ms", 0}};
  return {{"roachrun_version", "3.5.0"},
          {"sdk_version", "3.4"},
          {"started_at", "2026-12-02T07:00:00.000Z"},
          {"duration_ms", 5300},
          {"exit_code", 1},
          {"error", nullptr},
          {"scenarios",
           {{{"file", "scenarios/w.yaml"},
             {"name", "w"},
             {"target", "postgresql://maxroach:***@db:26257/bank"},
             {"status", "failed"},
             {"duration_ms", 5300},
             {"validation_errors", Json::array()},
             {"steps", {workload, failed, skipped}}}}}};
}

std::string page_of(const Json& j) {
  std::ostringstream out;
  write_html_report(out, j);
  return out.str();
}

TEST(HtmlReport, IsWellFormedAndSelfContained) {
  const std::string markup = page_of(report());
  const test::HtmlPage page = test::read_html_page(markup);
  ASSERT_TRUE(page.errors.empty()) << page.errors.front();
  EXPECT_EQ(page.scripts, 0);
  for (const auto& link : page.links) ADD_FAILURE() << "a reference out of the page: " << link;
  EXPECT_EQ(markup.find("http:"), markup.find("http://www.w3.org/2000/svg")) << "only SVG's namespace name";
  EXPECT_EQ(markup.find("https:"), std::string::npos);
  EXPECT_EQ(markup.find("url(http"), std::string::npos);
  EXPECT_EQ(markup.find("@import"), std::string::npos);
  EXPECT_NE(markup.find("name=\"viewport\""), std::string::npos) << "a phone lays it out at its own width";
}

TEST(HtmlReport, TheHeaderSaysWhatRanWhereAndHowItEnded) {
  const test::HtmlPage page = test::read_html_page(page_of(report()));
  EXPECT_NE(page.title.find("a step failed"), std::string::npos) << page.title;
  for (const char* expected : {"a step failed (exit 1)", "postgresql://maxroach:***@db:26257/bank", "3.5.0",
                               "2026-12-02T07:00:00.000Z", "5.300 s", "scenarios/w.yaml"})
    EXPECT_NE(page.text.find(expected), std::string::npos) << expected;
}

TEST(HtmlReport, FailuresWithTheirSqlstateAndMessageEscaped) {
  const std::string markup = page_of(report());
  const test::HtmlPage page = test::read_html_page(markup);
  EXPECT_NE(page.text.find("SQLSTATE 23505"), std::string::npos);
  EXPECT_NE(page.text.find("duplicate key <k> & \"v\""), std::string::npos) << "the message, as text";
  EXPECT_EQ(markup.find("<k>"), std::string::npos) << "escaped in the markup";
  EXPECT_NE(page.text.find("Run <the> workload"), std::string::npos);
  EXPECT_NE(page.text.find("an earlier step failed"), std::string::npos) << "why a step did not run";
  EXPECT_NE(page.text.find("load / outage"), std::string::npos) << "the branch of a step in a parallel block";
}

TEST(HtmlReport, AChartedResultGetsItsFiguresChartsBandsAndVerdict) {
  const test::HtmlPage page = test::read_html_page(page_of(report()));
  ASSERT_EQ(page.figures.size(), 1u);
  const auto& f = page.figures[0];
  EXPECT_EQ(f.at("committed"), "408") << "100 + 101 + 0 + 103 + 104: added up from the series";
  EXPECT_EQ(f.at("declined"), "5");
  EXPECT_EQ(f.at("retries"), "10");
  EXPECT_EQ(f.at("reconnects"), "8");
  EXPECT_EQ(f.at("latency_ms.p99"), "9.500");
  EXPECT_EQ(f.at("elapsed_seconds"), "5.000");
  // The patterns' definitions, the timeline; throughput, latency, histogram.
  EXPECT_EQ(page.svgs, 2 + 3);
  EXPECT_EQ(page.bands, 2) << "the outage shaded on the throughput and the latency chart";
  EXPECT_NE(page.text.find("audit: ok (total conserved)"), std::string::npos);
  EXPECT_NE(page.text.find("transfers/s"), std::string::npos) << "the rate's unit on its axis";
  EXPECT_NE(page.text.find("latency (ms)"), std::string::npos);
  EXPECT_NE(page.text.find("a client without a connection"), std::string::npos) << "the band's legend";
  EXPECT_NE(page.text.find("The time series (5 intervals)"), std::string::npos);
}

TEST(HtmlReport, PerHostThroughputWhenTheTargetHasSeveralHosts) {
  Json j = report();
  Json& result = j["scenarios"][0]["steps"][0]["result"];
  result["chart"]["hosts"] = {"a:1", "b:2"};
  result["chart"]["per_host_rate"] = {{"field", "committed"}, {"label", "committed"}};
  for (auto& row : result["time_series"]) row["per_host"] = {{{"committed", 60}}, {{"committed", 40}}};
  const test::HtmlPage page = test::read_html_page(page_of(j));
  EXPECT_EQ(page.svgs, 2 + 4);
  EXPECT_NE(page.text.find("Throughput by host"), std::string::npos);
  EXPECT_NE(page.text.find("b:2"), std::string::npos);
}

TEST(HtmlReport, AResultOfTheWrongShapeIsDrawnAsFarAsItGoesNeverThrown) {
  for (const Json& bad : {Json("text"), Json::array({1, 2}), Json{{"time_series", "no"}, {"chart", {{"rates", 3}}}},
                          Json{{"time_series", {1, "x", nullptr}}, {"chart", Json::object()}},
                          Json{{"time_series", {{{"start_s", "0"}, {"latency_ms", 5}}}},
                               {"chart", {{"rates", {{{"field", 7}}}}, {"bands", {{"field", "time_series"}}}}}}}) {
    Json j = report();
    j["scenarios"][0]["steps"][0]["result"] = bad;
    std::string markup;
    ASSERT_NO_THROW(markup = page_of(j)) << bad.dump();
    const test::HtmlPage page = test::read_html_page(markup);
    EXPECT_TRUE(page.errors.empty()) << bad.dump() << ": " << page.errors.front();
  }
  ASSERT_NO_THROW(page_of(Json::object())) << "not even a report";
}

TEST(HtmlReport, ALongRunStaysSmallAndDrawsEveryInterval) {
  // An hour of one-second intervals: the charts thin their markers, the page stays a few MB.
  const std::string markup = page_of(report(3600));
  const test::HtmlPage page = test::read_html_page(markup);
  ASSERT_TRUE(page.errors.empty()) << page.errors.front();
  EXPECT_LT(markup.size(), 4u << 20) << markup.size();
  EXPECT_NE(page.text.find("The time series (3600 intervals)"), std::string::npos);
}

TEST(SvgChart, TicksAreRoundNumbersCoveringTheRange) {
  EXPECT_EQ(svg::linear_ticks(10, 5), (std::vector<double>{0, 2, 4, 6, 8, 10}));
  const auto t = svg::linear_ticks(3712, 6);
  EXPECT_EQ(t.front(), 0);
  EXPECT_GE(t.back(), 3712);
  EXPECT_LE(t.size(), 10u);
  EXPECT_EQ(svg::log_ticks(0.1, 100), (std::vector<double>{0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100}));
  EXPECT_EQ(svg::log_ticks(0.1, 1000), (std::vector<double>{0.1, 1, 10, 100, 1000})) << "over 3 decades: powers only";
  EXPECT_EQ(svg::tick_text(12500), "12,500");
  EXPECT_EQ(svg::tick_text(1000), "1,000");
  EXPECT_EQ(svg::tick_text(250), "250");
  EXPECT_EQ(svg::tick_text(0.05), "0.05");
  EXPECT_EQ(svg::tick_text(0), "0");
  EXPECT_FALSE(svg::linear_ticks(0).empty()) << "an empty chart still has an axis";
}

TEST(SvgChart, EverySeriesHasItsOwnDashAndMarkerNotOnlyAColour) {
  svg::TimeChart c;
  c.title = "t";
  c.y_label = "y";
  c.x_max = 3;
  for (const char* name : {"p50", "p95", "p99", "max"}) c.series.push_back({name, {{0, 1}, {1, 2}, {2, 3}}});
  const std::string s = svg::render(c);
  std::vector<std::string> dashes;
  for (std::size_t at = s.find("class=\"series\""); at != std::string::npos; at = s.find("class=\"series\"", at + 1)) {
    const std::size_t open = s.rfind("<path", at);
    const std::size_t dash = s.find("stroke-dasharray=\"", open);
    dashes.push_back(dash != std::string::npos && dash < at ? s.substr(dash, s.find('"', dash + 18) - dash) : "solid");
  }
  ASSERT_EQ(dashes.size(), 4u);
  std::sort(dashes.begin(), dashes.end());
  EXPECT_EQ(std::unique(dashes.begin(), dashes.end()), dashes.end()) << "four series, four dash patterns";
  EXPECT_TRUE(test::read_html_page(s).errors.empty());
}

}  // namespace
}  // namespace roachrun
