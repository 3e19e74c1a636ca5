#include "engine/report_junit.hpp"

#include <cstdio>
#include <ostream>

#include "engine/redact.hpp"

namespace roachrun {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence at text[i], or 0 if it is not one.
std::size_t utf8_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > text.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  if (n == 2 && c < 0xC2) return 0;                                       // overlong
  if (n == 3 && c == 0xE0 && byte(i + 1) < 0xA0) return 0;                // overlong
  if (n == 3 && c == 0xED && byte(i + 1) >= 0xA0) return 0;               // surrogates
  if (n == 3 && c == 0xEF && byte(i + 1) == 0xBF && byte(i + 2) >= 0xBE) return 0;  // U+FFFE/F
  if (n == 4 && (c > 0xF4 || (c == 0xF0 && byte(i + 1) < 0x90) || (c == 0xF4 && byte(i + 1) >= 0x90))) return 0;
  return n;
}

std::string seconds(std::chrono::milliseconds ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ms.count()) / 1000.0);
  return buf;
}

std::string attr(std::string_view name, std::string_view value) {
  return " " + std::string(name) + "=\"" + xml_escape(value) + "\"";
}

struct Counts {
  int tests = 0, failures = 0, errors = 0, skipped = 0;
  void add(const Counts& o) {
    tests += o.tests;
    failures += o.failures;
    errors += o.errors;
    skipped += o.skipped;
  }
  std::string attrs() const {
    return attr("tests", std::to_string(tests)) + attr("failures", std::to_string(failures)) +
           attr("errors", std::to_string(errors)) + attr("skipped", std::to_string(skipped));
  }
};

// A failed step is a <failure> when the step itself failed and an <error> when it could not run
// to its end for another reason (no connection, interrupted).
bool is_error(const StepOutcome& step) {
  return step.error_kind && *step.error_kind != ErrorKind::step;
}

Counts count(const ScenarioOutcome& scenario) {
  Counts c;
  for (const auto& step : scenario.steps) {
    ++c.tests;
    if (step.status == StepStatus::skipped) ++c.skipped;
    else if (step.status == StepStatus::failed) ++(is_error(step) ? c.errors : c.failures);
  }
  return c;
}

// The first line of a message, for the message attribute; the whole message is the element's text.
std::string first_line(const std::string& message) { return message.substr(0, message.find('\n')); }

void write_step(std::ostream& out, const ScenarioOutcome& scenario, const StepOutcome& step) {
  const Redactor& redact = redactor();
  out << "    <testcase" << attr("classname", scenario.name) << attr("name", std::to_string(step.number) + ". " + step.name)
      << attr("file", scenario.file) << attr("time", seconds(step.duration)) << ">\n";
  out << "      <properties>\n"
      << "        <property name=\"type\"" << attr("value", step.type) << "/>\n";
  if (!step.block.empty())
    out << "        <property name=\"block\"" << attr("value", step.block) << "/>\n"
        << "        <property name=\"branch\"" << attr("value", step.branch) << "/>\n";
  out
      << "        <property name=\"attempts\" value=\"" << step.transactions.attempts << "\"/>\n"
      << "        <property name=\"retries\" value=\"" << step.transactions.retries << "\"/>\n"
      << "        <property name=\"backoff_ms\" value=\"" << step.transactions.backoff.count() << "\"/>\n"
      << "      </properties>\n";
  if (step.status == StepStatus::failed) {
    const char* element = is_error(step) ? "error" : "failure";
    const std::string message = redact.redact(step.message);
    out << "      <" << element << attr("message", first_line(message))
        << attr("type", step.sqlstate.empty() ? step.error_type : step.sqlstate) << ">" << xml_escape(message) << "</"
        << element << ">\n";
  } else if (step.status == StepStatus::skipped) {
    out << "      <skipped" << attr("message", step.skip_reason) << "/>\n";
  }
  out << "    </testcase>\n";
}

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    switch (c) {
      case '&': out += "&amp;"; ++i; continue;
      case '<': out += "&lt;"; ++i; continue;
      case '>': out += "&gt;"; ++i; continue;
      case '"': out += "&quot;"; ++i; continue;
      case '\'': out += "&apos;"; ++i; continue;
      case '\n': out += "&#10;"; ++i; continue;
      case '\r': out += "&#13;"; ++i; continue;
      case '\t': out += "&#9;"; ++i; continue;
      default: break;
    }
    const std::size_t n = utf8_length(text, i);
    if (n == 0 || (n == 1 && static_cast<unsigned char>(c) < 0x20) || c == 0x7F) {
      out += kReplacement;
      ++i;
      continue;
    }
    out.append(text, i, n);
    i += n;
  }
  return out;
}

void write_junit_report(std::ostream& out, const RunRecord& record) {
  const Redactor& redact = redactor();
  const std::string timestamp = iso8601_utc(record.started_at);
  Counts total;
  for (const auto& s : record.scenarios) total.add(count(s));
  for (std::size_t i = 0; i < record.invalid.size(); ++i) total.add({1, 1, 0, 0});
  if (!record.error.empty()) total.add({1, 0, 1, 0});

  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites" << attr("name", "roachrun") << total.attrs() << attr("time", seconds(record.duration))
      << attr("timestamp", timestamp) << ">\n";
  for (const auto& invalid : record.invalid) {
    std::string messages;
    for (const auto& m : invalid.messages) messages += (messages.empty() ? "" : "\n") + redact.redact(m);
    const std::string summary = std::to_string(invalid.messages.size()) +
                                (invalid.messages.size() == 1 ? " problem: " : " problems, the first: ") +
                                (invalid.messages.empty() ? "" : first_line(redact.redact(invalid.messages.front())));
    out << "  <testsuite" << attr("name", invalid.file) << attr("file", invalid.file) << Counts{1, 1, 0, 0}.attrs()
        << attr("time", "0.000") << attr("timestamp", timestamp) << ">\n"
        << "    <testcase" << attr("classname", invalid.file) << attr("name", "validation") << attr("file", invalid.file)
        << attr("time", "0.000") << ">\n"
        << "      <failure" << attr("message", summary) << attr("type", "validation") << ">" << xml_escape(messages)
        << "</failure>\n"
        << "    </testcase>\n"
        << "  </testsuite>\n";
  }
  for (const auto& scenario : record.scenarios) {
    out << "  <testsuite" << attr("name", scenario.name) << attr("file", scenario.file) << count(scenario).attrs()
        << attr("time", seconds(scenario.duration)) << attr("timestamp", timestamp) << ">\n";
    for (const auto& step : scenario.steps) write_step(out, scenario, step);
    out << "  </testsuite>\n";
  }
  if (!record.error.empty()) {
    // A failure outside any step (a target that could not be set up, an interruption between
    // scenarios): a testsuite of its own, so CI shows it.
    const std::string message = redact.redact(record.error);
    out << "  <testsuite" << attr("name", "roachrun") << Counts{1, 0, 1, 0}.attrs() << attr("time", "0.000")
        << attr("timestamp", timestamp) << ">\n"
        << "    <testcase" << attr("classname", "roachrun") << attr("name", "run") << attr("time", "0.000") << ">\n"
        << "      <error" << attr("message", first_line(message)) << attr("type", "exit " + std::to_string(record.exit_code))
        << ">" << xml_escape(message) << "</error>\n"
        << "    </testcase>\n"
        << "  </testsuite>\n";
  }
  out << "</testsuites>\n";
}

}  // namespace roachrun
