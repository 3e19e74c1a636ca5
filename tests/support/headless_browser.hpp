// Renders a local HTML file in headless Chromium (Debian's `chromium`, installed by
// `scripts/bootstrap.sh --tests`): a PNG screenshot of it, and the JavaScript errors and failed
// loads of the page, for the tests of the HTML report. Chromium runs with nothing of the user's:
// a throwaway profile and home, no network, a bounded time.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace roachrun::test {

struct BrowserRender {
  bool ran = false;          // Chromium started and exited with status 0 within the limit
  bool png_written = false;  // the screenshot exists and starts with the PNG signature
  int png_width = 0, png_height = 0;  // from the PNG's header: the window size asked for
  // What went wrong in the page: uncaught exceptions and unhandled promise rejections ("Uncaught
  // Error: bang (file:///.../page.html:12)"), console.error and failed console.assert calls
  // ("console.error: boom"), elements whose resource failed to load ("failed to load <img>
  // file:///.../missing.png": <img>, <script src>, <link>, SVG <image>, ...) and
  // Content-Security-Policy violations. Empty for a clean page.
  std::vector<std::string> console_errors;
  // The page's other console output (console.log, .info, .warn, .debug; Chromium's own
  // messages to the page's console), each as "message (source:line)". Not errors.
  std::vector<std::string> console_messages;
  // Chromium's command line and everything it printed (startup noise included: D-Bus, GPU), and
  // why a render failed: for failure messages.
  std::string log;
};

// Renders the local HTML file `html_path` in headless Chromium in a window of `width` x `height`
// CSS pixels (device scale 1, no scrollbars) and writes a screenshot of the window to `png_path`
// (replacing any file there). The screenshot is the window, not the document: for the whole of a
// tall document pass a `height` at least the document's. Chromium is killed if it has not
// finished within `limit` (ran is false then). The page is loaded from a copy written beside
// `html_path` (so relative URLs resolve as they would) with a small script added first that
// reports console.error calls and failed loads, and removed afterwards; sources in the result
// name the original file.
BrowserRender render_in_chromium(const std::string& html_path, const std::string& png_path, int width, int height,
                                 std::chrono::seconds limit = std::chrono::seconds(60));

// Whether Chromium is installed (scripts/bootstrap.sh --tests installs it).
bool chromium_available();

// The fixture of every test that renders in Chromium: without it the test skips, except under
// CI (CI set), where scripts/bootstrap.sh --tests has installed it and its absence is a failure.
class ChromiumTest : public ::testing::Test {
 protected:
  void SetUp() override;
};

// Items one per line, indented: console errors in a failure message.
std::string indented_lines(const std::vector<std::string>& items);

}  // namespace roachrun::test
