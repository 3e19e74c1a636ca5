// Reads an HTML report the way a strict reader would: as XML with libxml2 (no network, no
// entities from outside), which the report's markup is written to satisfy. What the tests look
// at: parse errors, every src/href, scripts, and the figures cells (data-field) of each charted
// step, in page order.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace roachrun::test {

struct HtmlPage {
  std::vector<std::string> errors;  // the parser's, empty for a well-formed page
  std::string title;
  std::vector<std::string> links;  // every src and href attribute's value
  int scripts = 0;                 // <script> elements
  int svgs = 0;                    // <svg> elements
  int bands = 0;                   // shaded bands (class="band")
  // Per charted section (section class="charted", in page order): data-field -> cell text.
  std::vector<std::map<std::string, std::string>> figures;
  std::string text;  // all text content, for "does it say X"
};

HtmlPage read_html_page(const std::string& markup);
HtmlPage read_html_file(const std::string& path);

}  // namespace roachrun::test
