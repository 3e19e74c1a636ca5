// --report html=FILE end to end (issue 16): scenarios/bank-workload.yaml on the test server, its
// page read as XML (well-formed, nothing fetched from anywhere, no script), its figures checked
// against the JSON report of the same run, and the page rendered in headless Chromium at a
// laptop's and a phone's width without a console error. The screenshots and the page stay under
// the build directory (test-artifacts/) for a person to look at; the README's is one of them.
// Named Browser* so it runs in the `browser` ctest entry, out of the sanitizer stages.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/command.hpp"
#include "support/headless_browser.hpp"
#include "support/html_page.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"
#include "support/workload.hpp"

namespace roachrun::test {
namespace {

using namespace std::chrono_literals;

std::filesystem::path artifacts() {
  const std::filesystem::path dir = std::filesystem::path(ROACHRUN_BINARY_DIR) / "test-artifacts";
  std::filesystem::create_directories(dir);
  return dir;
}

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

std::string fixed3(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

// Well-formed, self-contained: what any page of the report must be.
void expect_self_contained(const std::filesystem::path& html, const HtmlPage& page) {
  EXPECT_TRUE(page.errors.empty()) << html << " is not well-formed:\n" << indented_lines(page.errors);
  EXPECT_EQ(page.scripts, 0);
  for (const auto& link : page.links)
    EXPECT_FALSE(link.rfind("http:", 0) == 0 || link.rfind("https:", 0) == 0 || link.rfind("//", 0) == 0)
        << "fetches " << link;
  std::ifstream in(html);
  std::stringstream markup;
  markup << in.rdbuf();
  EXPECT_EQ(markup.str().find("<script src"), std::string::npos);
  EXPECT_EQ(markup.str().find("url(http"), std::string::npos);
}

class BrowserHtmlReport : public ChromiumTest {
 protected:
  // Renders `html` at width x height into test-artifacts/NAME.png, expecting no error.
  void render_cleanly(const std::filesystem::path& html, const std::string& name, int width, int height) {
    const std::string png = (artifacts() / (name + ".png")).string();
    const BrowserRender r = render_in_chromium(html.string(), png, width, height);
    ASSERT_TRUE(r.ran) << r.log;
    EXPECT_TRUE(r.png_written) << r.log;
    EXPECT_EQ(r.png_width, width);
    EXPECT_TRUE(r.console_errors.empty()) << "console errors at " << width << " px:\n" << indented_lines(r.console_errors);
  }

  TempDir dir_;
};

TEST_F(BrowserHtmlReport, TheWorkloadScenarioAsAPageThatSaysWhatTheJsonSays) {
  const auto html = dir_.path() / "report.html";
  const auto json = dir_.path() / "report.json";
  auto r = roachrun({"run", std::string(ROACHRUN_SOURCE_DIR) + "/scenarios/bank-workload.yaml", "--target",
                     TestServer::get().url(), "--set", "duration=4s", "--report", "html=" + html.string(), "--report",
                     "json=" + json.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::filesystem::copy_file(html, artifacts() / "html-report.html", std::filesystem::copy_options::overwrite_existing);
  const HtmlPage page = read_html_file(html.string());
  expect_self_contained(html, page);

  const nlohmann::json report = read_json(json);
  const nlohmann::json& step = report["scenarios"][0]["steps"][0];
  const nlohmann::json& result = step["result"];
  ASSERT_TRUE(result.contains("time_series")) << result.dump();
  // The header.
  for (const std::string& expected : {std::string("passed (exit 0)"), report["roachrun_version"].get<std::string>(),
                                     report["started_at"].get<std::string>(), std::string("bank-workload"),
                                     report["scenarios"][0]["target"].get<std::string>()})
    EXPECT_NE(page.text.find(expected), std::string::npos) << "the header says " << expected;
  // The figures are the JSON's: the series adds up to the totals, to the transfer.
  ASSERT_EQ(page.figures.size(), 1u);
  const auto& f = page.figures[0];
  for (const char* field : {"committed", "declined", "retries", "failures", "reconnects"})
    EXPECT_EQ(f.at(field), std::to_string(result[field].get<std::uint64_t>())) << field;
  for (const char* q : {"p50", "p95", "p99", "max"})
    EXPECT_EQ(f.at(std::string("latency_ms.") + q), fixed3(result["latency_ms"][q].get<double>())) << q;
  EXPECT_EQ(f.at("elapsed_seconds"), fixed3(result["elapsed_seconds"].get<double>()));
  EXPECT_GT(result["committed"].get<std::uint64_t>(), 0u);
  // Four seconds in one-second rows (the last a part-interval).
  EXPECT_GE(result["time_series"].size(), 4u);
  EXPECT_LE(result["time_series"].size(), 5u);
  EXPECT_NE(page.text.find("The time series (" + std::to_string(result["time_series"].size()) + " intervals)"),
            std::string::npos);
  // The charts: definitions, timeline, throughput, latency, histogram; the audit's verdict.
  EXPECT_EQ(page.svgs, 5);
  EXPECT_NE(page.text.find("audit: ok"), std::string::npos);
  EXPECT_NE(page.text.find("Throughput over time"), std::string::npos);
  EXPECT_NE(page.text.find("Latency histogram"), std::string::npos);

  render_cleanly(html, "html-report-1280", 1280, 3000);
  render_cleanly(html, "html-report-phone", 390, 4200);
  // The README's picture: the top of the page at a laptop's width.
  render_cleanly(html, "html-report-readme", 1280, 1900);
}

TEST_F(BrowserHtmlReport, AFailedStepIsOnThePageWithItsSqlstate) {
  const auto html = dir_.path() / "failed.html";
  const std::string file = dir_.write("failing.yaml",
                                      "scenario: failing\n"
                                      "steps:\n"
                                      "  - sql.exec: SELECT 1\n"
                                      "  - name: Divide by zero\n"
                                      "    sql.exec: SELECT 1/0\n"
                                      "  - sql.exec: SELECT 2\n");
  auto r = roachrun({"run", file, "--target", TestServer::get().url(), "--report", "html=" + html.string()});
  ASSERT_EQ(r.exit_code, 1) << r.err;
  const HtmlPage page = read_html_file(html.string());
  expect_self_contained(html, page);
  EXPECT_NE(page.text.find("a step failed (exit 1)"), std::string::npos);
  EXPECT_NE(page.text.find("SQLSTATE 22012"), std::string::npos) << "division_by_zero";
  EXPECT_NE(page.text.find("division by zero"), std::string::npos);
  EXPECT_NE(page.text.find("an earlier step failed"), std::string::npos);
  render_cleanly(html, "html-report-failed", 1280, 1200);
}

TEST_F(BrowserHtmlReport, AnInterruptedWorkloadStillGetsItsPage) {
  const auto html = dir_.path() / "interrupted.html";
  RunningCommand cmd({"run", std::string(ROACHRUN_SOURCE_DIR) + "/scenarios/bank-workload.yaml", "--target",
                      TestServer::get().url(), "--set", "duration=60s", "--progress", "--report", "html=" + html.string()});
  // Interrupted once the clients are running: the second progress line.
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (cmd.err_so_far().find("progress: 2.") == std::string::npos && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  cmd.signal(SIGINT);
  const CommandResult r = finish(cmd, 60s);
  ASSERT_EQ(r.exit_code, 130) << r.err;
  const HtmlPage page = read_html_file(html.string());
  expect_self_contained(html, page);
  EXPECT_NE(page.text.find("interrupted (exit 130)"), std::string::npos);
  ASSERT_EQ(page.figures.size(), 1u) << "the workload's figures up to the interruption";
  EXPECT_GT(std::stoll(page.figures[0].at("committed")), 0);
  render_cleanly(html, "html-report-interrupted", 1280, 2400);
}

}  // namespace
}  // namespace roachrun::test
