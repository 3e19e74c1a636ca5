// The headless browser of the HTML report's tests (support/headless_browser.hpp) against pages
// with known faults: each kind of error it claims to catch is caught, and a clean page has none,
// so a broken detector cannot let a broken report pass. Chromium is only installed by
// `scripts/bootstrap.sh --tests`: without it these skip, except under CI (CI set), where they fail.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "support/headless_browser.hpp"
#include "support/temp_dir.hpp"

namespace roachrun::test {
namespace {

class BrowserSupport : public ChromiumTest {
 protected:
  // `body` in a page of its own, rendered at width x height.
  BrowserRender render(const std::string& body, int width = 640, int height = 480) {
    const std::string page = dir_.write("page.html",
                                        "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>t</title></head>\n"
                                        "<body>\n" + body + "\n</body>\n</html>\n");
    return render_in_chromium(page, png(), width, height);
  }
  std::string png() const { return (dir_.path() / "page.png").string(); }

  TempDir dir_;
};

bool any_contains(const std::vector<std::string>& items, const std::string& part) {
  for (const auto& i : items)
    if (i.find(part) != std::string::npos) return true;
  return false;
}

#define EXPECT_RENDERED(r)                          \
  do {                                              \
    ASSERT_TRUE((r).ran) << (r).log;                \
    EXPECT_TRUE((r).png_written) << (r).log;        \
  } while (0)

TEST_F(BrowserSupport, CleanPageRendersWithoutErrors) {
  const BrowserRender r = render(
      "<h1>Run report — ünïcode</h1>\n"
      "<svg width=\"200\" height=\"100\" viewBox=\"0 0 200 100\"><rect x=\"10\" y=\"10\" width=\"80\" height=\"80\" "
      "fill=\"steelblue\"/><text x=\"100\" y=\"50\">latency</text></svg>\n"
      "<script>console.log(\"hello from the page\"); console.warn(\"a warning\");</script>");
  EXPECT_RENDERED(r);
  EXPECT_TRUE(r.console_errors.empty()) << indented_lines(r.console_errors) << r.log;
  // The page's console was read at all: a detector that reads nothing would find no errors either.
  EXPECT_TRUE(any_contains(r.console_messages, "hello from the page")) << indented_lines(r.console_messages) << r.log;
  EXPECT_EQ(r.png_width, 640);
  EXPECT_EQ(r.png_height, 480);
  // The screenshot read here, not by the support code.
  const std::string bytes = read_file(png());
  ASSERT_GT(bytes.size(), 8u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
}

TEST_F(BrowserSupport, ConsoleErrorIsReported) {
  const BrowserRender r = render("<p>x</p><script>console.error(\"boom\");</script>");
  EXPECT_RENDERED(r);
  EXPECT_TRUE(any_contains(r.console_errors, "boom")) << indented_lines(r.console_errors) << r.log;
}

TEST_F(BrowserSupport, UncaughtExceptionIsReported) {
  const BrowserRender r = render("<p>x</p><script>throw new Error(\"bang\");</script>");
  EXPECT_RENDERED(r);
  EXPECT_TRUE(any_contains(r.console_errors, "Uncaught Error: bang")) << indented_lines(r.console_errors) << r.log;
  // The line of the page's own script: the probe added before it changes no line number.
  EXPECT_TRUE(any_contains(r.console_errors, "page.html:5)")) << indented_lines(r.console_errors);
}

TEST_F(BrowserSupport, UnhandledRejectionIsReported) {
  const BrowserRender r = render("<p>x</p><script>Promise.reject(new Error(\"nope\"));</script>");
  EXPECT_RENDERED(r);
  EXPECT_TRUE(any_contains(r.console_errors, "nope")) << indented_lines(r.console_errors) << r.log;
}

TEST_F(BrowserSupport, MissingImageIsReported) {
  const BrowserRender r = render("<p>x</p><img src=\"missing.png\" alt=\"\">");
  EXPECT_RENDERED(r);
  EXPECT_TRUE(any_contains(r.console_errors, "failed to load <img>")) << indented_lines(r.console_errors) << r.log;
  EXPECT_TRUE(any_contains(r.console_errors, "missing.png")) << indented_lines(r.console_errors);
}

// A report's own Content-Security-Policy blocking its own script: the charts would not draw.
TEST_F(BrowserSupport, ContentSecurityPolicyViolationIsReported) {
  const std::string page = dir_.write(
      "page.html",
      "<!doctype html><html><head><meta charset=\"utf-8\">"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'none'\"></head>"
      "<body><p>x</p><script>document.body.append(\"drawn\");</script></body></html>");
  const BrowserRender r = render_in_chromium(page, png(), 640, 480);
  EXPECT_RENDERED(r);
  EXPECT_TRUE(any_contains(r.console_errors, "Content-Security-Policy")) << indented_lines(r.console_errors) << r.log;
}

// The screenshot is the window: a tall document is whole in it when the window is as tall.
TEST_F(BrowserSupport, TallPageIsScreenshotWhole) {
  const BrowserRender r = render("<div style=\"height:2900px;background:linear-gradient(#fff,#036)\"></div><p>end</p>", 800, 3000);
  EXPECT_RENDERED(r);
  EXPECT_TRUE(r.console_errors.empty()) << indented_lines(r.console_errors) << r.log;
  EXPECT_EQ(r.png_width, 800);
  EXPECT_EQ(r.png_height, 3000);
}

TEST_F(BrowserSupport, MissingPageIsNotRendered) {
  const BrowserRender r = render_in_chromium((dir_.path() / "none.html").string(), png(), 640, 480);
  EXPECT_FALSE(r.ran);
  EXPECT_FALSE(r.png_written);
  EXPECT_NE(r.log.find("no such file"), std::string::npos) << r.log;
}

// The copy with the probe goes as it came: nothing is left beside the page.
TEST_F(BrowserSupport, LeavesOnlyTheScreenshot) {
  const BrowserRender r = render("<p>x</p>");
  EXPECT_RENDERED(r);
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"page.html", "page.png"}));
}

}  // namespace
}  // namespace roachrun::test
