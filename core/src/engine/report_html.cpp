#include "engine/report_html.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/exit_status.hpp"
#include "engine/report_json.hpp"
#include "engine/report_junit.hpp"  // xml_escape
#include "engine/svg_chart.hpp"

namespace roachrun {

namespace {

using Json = nlohmann::ordered_json;

// Readers that never throw: a result is whatever a plugin handed over.
const Json& member(const Json& j, const char* key) {
  static const Json none;
  if (!j.is_object()) return none;
  const auto it = j.find(key);
  return it == j.end() ? none : *it;
}
double number(const Json& j, const char* key, double fallback = 0) {
  const Json& v = member(j, key);
  return v.is_number() ? v.get<double>() : fallback;
}
std::string text(const Json& j, const char* key) {
  const Json& v = member(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}
std::string esc(const std::string& s) { return xml_escape(s); }
// A chart in a box that scrolls sideways on a screen narrower than the chart's readable width.
std::string boxed(const std::string& svg) { return "<div class=\"chart-box\">" + svg + "</div>"; }

std::string fixed(double v, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}
// A count as the JSON has it (an integer), anything else with 3 decimals.
std::string figure(const Json& v) {
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  if (v.is_number()) return fixed(v.get<double>(), 3);
  return "";
}
std::string seconds_text(double ms) { return fixed(ms / 1000.0, ms < 10'000 ? 3 : 1) + " s"; }

const char* kStyle = R"(
:root { color-scheme: light; --ink: #1a1a1a; --muted: #555; --line: #d0d0d0; --pass: #0072B2; --fail: #B34700; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); background: #fff; }
main { max-width: 1240px; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.6em; margin: 0 0 4px; } h2 { font-size: 1.3em; margin: 28px 0 8px; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 1.1em; margin: 20px 0 6px; }
.outcome { display: inline-block; font-weight: 600; padding: 2px 10px; border: 2px solid; border-radius: 4px; }
.passed { color: var(--pass); } .failed, .invalid { color: var(--fail); } .skipped { color: var(--muted); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 12px 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; } table { border-collapse: collapse; margin: 8px 0; }
th, td { text-align: left; padding: 3px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f6f6; padding: 8px; border-left: 4px solid var(--fail); margin: 4px 0; }
.failure { margin: 10px 0; } .verdict { font-weight: 600; padding: 6px 10px; border: 2px solid; border-radius: 4px; display: inline-block; }
.chart-box { overflow-x: auto; margin: 6px 0 14px; }
svg.chart { width: 100%; min-width: 600px; height: auto; display: block; font-family: inherit; }
svg .chart-title { font-size: 17px; font-weight: 600; fill: var(--ink); } svg .legend { font-size: 13px; fill: var(--ink); }
svg .tick { font-size: 12px; fill: var(--muted); } svg .axis-label { font-size: 13px; fill: var(--ink); }
svg .axis { stroke: #333; stroke-width: 1; } svg .grid { stroke: #e4e4e4; stroke-width: 1; }
details { margin: 8px 0; } summary { cursor: pointer; color: var(--muted); }
@media (max-width: 700px) { body { font-size: 14px; } main { padding: 8px; } dl.facts { grid-template-columns: 1fr; } dl.facts dt { margin-top: 6px; } }
@media print { a { color: inherit; } details { display: block; } }
)";

const char* status_mark(const std::string& status) {
  if (status == "passed") return "\u2714 ";   // check mark: the status reads without colour
  if (status == "failed" || status == "invalid") return "\u2718 ";
  return "\u25CB ";
}

std::string status_span(const std::string& status) {
  return "<span class=\"" + esc(status) + "\">" + status_mark(status) + esc(status) + "</span>";
}

// --- charted results ---------------------------------------------------------------------------

struct Field {
  std::string field, label;
};
std::vector<Field> fields(const Json& list) {
  std::vector<Field> out;
  if (!list.is_array()) return out;
  for (const Json& f : list)
    if (!text(f, "field").empty()) out.push_back({text(f, "field"), text(f, "label").empty() ? text(f, "field") : text(f, "label")});
  return out;
}

bool charted(const Json& result) {
  return member(result, "time_series").is_array() && !member(result, "time_series").empty() &&
         member(result, "chart").is_object();
}

double series_end(const Json& rows) {
  double end = 0;
  for (const Json& r : rows) end = std::max(end, number(r, "start_s") + number(r, "seconds"));
  return end;
}

std::vector<svg::Band> bands_of(const Json& result, const Json& chart) {
  std::vector<svg::Band> out;
  const std::string field = text(member(chart, "bands"), "field");
  const Json& spans = member(result, field.c_str());
  if (field.empty() || !spans.is_array()) return out;
  const std::string label = text(member(chart, "bands"), "label");
  for (const Json& s : spans) {
    const double from = number(s, "from_s"), to = number(s, "to_s");
    out.push_back({from, to,
                   label + ": " + fixed(from, 3) + " s to " + fixed(to, 3) + " s (" + fixed(to - from, 3) + " s" +
                       (member(s, "sessions").is_number() ? ", " + figure(member(s, "sessions")) + " sessions" : "") + ")"});
  }
  return out;
}

void charted_section(std::ostream& out, const Json& step, const Json& result) {
  const Json& chart = member(result, "chart");
  const Json& rows = member(result, "time_series");
  const std::vector<Field> rates = fields(member(chart, "rates")), events = fields(member(chart, "events"));
  const std::string unit = text(chart, "rate_unit").empty() ? "per second" : text(chart, "rate_unit");
  const double x_max = series_end(rows);
  const double elapsed = number(result, "elapsed_seconds", x_max);
  const std::vector<svg::Band> bands = bands_of(result, chart);
  const std::string band_label = text(member(chart, "bands"), "label");

  out << "<section class=\"charted\" id=\"step-" << figure(member(step, "number")) << "-charts\"><h3>Step "
      << figure(member(step, "number")) << ": " << esc(text(step, "name")) << "</h3>";
  if (!text(chart, "title").empty()) out << "<p>" << esc(text(chart, "title")) << "</p>";

  // The verdict first: whether the run held is what a reader wants to know.
  const Json& verdict = member(chart, "verdict");
  if (verdict.is_object()) {
    const Json& ok = member(verdict, "ok");
    const std::string cls = ok.is_boolean() ? (ok.get<bool>() ? "passed" : "failed") : "skipped";
    out << "<p class=\"verdict " << cls << "\">" << status_mark(cls) << esc(text(verdict, "title")) << ": "
        << esc(text(verdict, "text")) << "</p>";
  }

  // The figures of the whole run, added up from the series (and the result's own latencies).
  out << "<div class=\"scroll\"><table class=\"figures\"><tr><th></th><th class=\"num\">in all</th><th class=\"num\">"
      << esc(unit) << "</th></tr>";
  for (const Field& f : rates) {
    double total = 0;
    for (const Json& r : rows) total += number(r, f.field.c_str());
    out << "<tr><td>" << esc(f.label) << "</td><td class=\"num\" data-field=\"" << esc(f.field) << "\">"
        << fixed(total, 0) << "</td><td class=\"num\">" << fixed(elapsed > 0 ? total / elapsed : 0, 1) << "</td></tr>";
  }
  for (const Field& f : events) {
    double total = 0;
    for (const Json& r : rows) total += number(r, f.field.c_str());
    out << "<tr><td>" << esc(f.label) << "</td><td class=\"num\" data-field=\"" << esc(f.field) << "\">"
        << fixed(total, 0) << "</td><td></td></tr>";
  }
  const Json& latency = member(result, "latency_ms");
  for (const char* q : {"p50", "p95", "p99", "max"})
    if (member(latency, q).is_number())
      out << "<tr><td>latency " << q << " (ms)</td><td class=\"num\" data-field=\"latency_ms." << q << "\">"
          << fixed(number(latency, q), 3) << "</td><td></td></tr>";
  out << "<tr><td>measured for (s)</td><td class=\"num\" data-field=\"elapsed_seconds\">" << fixed(elapsed, 3)
      << "</td><td></td></tr></table></div>";

  // Rates over time, with the events under them.
  svg::TimeChart throughput;
  throughput.title = "Throughput over time (" + unit + ", by " + fixed(number(result, "interval_seconds", 1), 1) + " s interval)";
  throughput.y_label = unit;
  throughput.x_max = x_max;
  throughput.bands = bands;
  throughput.band_label = band_label;
  for (const Field& f : rates) {
    svg::Series s{f.label, {}};
    for (const Json& r : rows) {
      const double secs = number(r, "seconds");
      s.points.push_back({number(r, "start_s") + secs / 2, secs > 0 ? number(r, f.field.c_str()) / secs : 0, secs <= 0});
    }
    throughput.series.push_back(std::move(s));
  }
  for (const Field& f : events) {
    svg::EventRow e{f.label, {}};
    for (const Json& r : rows)
      e.marks.push_back({number(r, "start_s"), number(r, "start_s") + number(r, "seconds"), number(r, f.field.c_str())});
    throughput.events.push_back(std::move(e));
  }
  out << boxed(svg::render(throughput));

  // Latency percentiles over time: a logarithmic axis, so an outage's seconds and a quiet
  // interval's milliseconds are both readable.
  svg::TimeChart lat;
  lat.title = "Latency over time (ms, logarithmic)";
  lat.y_label = "latency (ms)";
  lat.x_max = x_max;
  lat.log_y = true;
  lat.bands = bands;
  lat.band_label = band_label;
  for (const char* q : {"p50", "p95", "p99", "max"}) {
    svg::Series s{q, {}};
    for (const Json& r : rows) {
      const double v = number(member(r, "latency_ms"), q);
      s.points.push_back({number(r, "start_s") + number(r, "seconds") / 2, v, v <= 0});
    }
    lat.series.push_back(std::move(s));
  }
  out << boxed(svg::render(lat));

  // Per host, when the target has several.
  const Json& hosts = member(chart, "hosts");
  const std::string per_host = text(member(chart, "per_host_rate"), "field");
  if (hosts.is_array() && hosts.size() > 1 && !per_host.empty()) {
    svg::TimeChart by_host;
    by_host.title = "Throughput by host (" + text(member(chart, "per_host_rate"), "label") + ", " + unit + ")";
    by_host.y_label = unit;
    by_host.x_max = x_max;
    by_host.bands = bands;
    by_host.band_label = band_label;
    for (std::size_t h = 0; h < hosts.size(); ++h) {
      svg::Series s{hosts[h].is_string() ? hosts[h].get<std::string>() : "host " + std::to_string(h + 1), {}};
      for (const Json& r : rows) {
        const Json& list = member(r, "per_host");
        const double secs = number(r, "seconds");
        const double v = list.is_array() && h < list.size() ? number(list[h], per_host.c_str()) : 0;
        s.points.push_back({number(r, "start_s") + secs / 2, secs > 0 ? v / secs : 0, secs <= 0});
      }
      by_host.series.push_back(std::move(s));
    }
    out << boxed(svg::render(by_host));
  }

  // The histogram of the whole run.
  const Json& buckets = member(result, "latency_histogram");
  if (buckets.is_array() && !buckets.empty()) {
    svg::Histogram h;
    h.title = "Latency histogram (whole run)";
    h.x_label = "latency (ms, logarithmic)";
    h.y_label = "transfers";
    for (const Json& b : buckets) h.bins.push_back({number(b, "from_ms"), number(b, "to_ms"), number(b, "count")});
    for (const char* q : {"p50", "p99"})
      if (member(latency, q).is_number()) h.markers.emplace_back(q, number(latency, q));
    out << boxed(svg::render(h));
  }

  // The numbers behind the charts, for a screen reader, a copy and paste, or a closer look.
  out << "<details><summary>The time series (" << rows.size() << " intervals)</summary><div class=\"scroll\">"
      << "<table class=\"series\"><tr><th class=\"num\">from (s)</th><th class=\"num\">length (s)</th>";
  for (const Field& f : rates) out << "<th class=\"num\">" << esc(f.label) << "</th>";
  for (const Field& f : events) out << "<th class=\"num\">" << esc(f.label) << "</th>";
  out << "<th class=\"num\">p50 (ms)</th><th class=\"num\">p95</th><th class=\"num\">p99</th><th class=\"num\">max</th></tr>";
  for (const Json& r : rows) {
    out << "<tr><td class=\"num\">" << fixed(number(r, "start_s"), 3) << "</td><td class=\"num\">"
        << fixed(number(r, "seconds"), 3) << "</td>";
    for (const Field& f : rates) out << "<td class=\"num\">" << figure(member(r, f.field.c_str())) << "</td>";
    for (const Field& f : events) out << "<td class=\"num\">" << figure(member(r, f.field.c_str())) << "</td>";
    for (const char* q : {"p50", "p95", "p99", "max"})
      out << "<td class=\"num\">" << fixed(number(member(r, "latency_ms"), q), 3) << "</td>";
    out << "</tr>";
  }
  out << "</table></div></details></section>";
}

// --- scenarios ---------------------------------------------------------------------------------

void timeline(std::ostream& out, const Json& scenario) {
  svg::Timeline t;
  t.title = "Steps over time";
  int skipped = 0;
  for (const Json& step : member(scenario, "steps")) {
    const std::string status = text(step, "status");
    if (status == "skipped") {
      ++skipped;
      continue;
    }
    const double start = number(step, "started_ms") / 1000, end = start + number(step, "duration_ms") / 1000;
    std::string group = text(step, "block");
    if (!group.empty() && !text(step, "branch").empty()) group += " / " + text(step, "branch");
    t.bars.push_back({figure(member(step, "number")) + ". " + text(step, "name"), group, start, end,
                      status == "failed" ? svg::TimelineBar::Status::failed : svg::TimelineBar::Status::passed,
                      text(step, "name") + " (" + text(step, "type") + "): " + status + ", from " + fixed(start, 3) +
                          " s to " + fixed(end, 3) + " s"});
    t.x_max = std::max(t.x_max, end);
  }
  t.x_max = std::max(t.x_max, number(scenario, "duration_ms") / 1000);
  if (!t.bars.empty()) out << boxed(svg::render(t));
  if (skipped > 0) out << "<p class=\"skipped\">" << skipped << " step" << (skipped == 1 ? "" : "s") << " not run (see the table)</p>";
}

void steps_table(std::ostream& out, const Json& scenario) {
  out << "<div class=\"scroll\"><table class=\"steps\"><tr><th class=\"num\">#</th><th>step</th><th>type</th>"
         "<th>status</th><th class=\"num\">started (s)</th><th class=\"num\">took (s)</th><th class=\"num\">retries</th>"
         "<th>branch</th><th>note</th></tr>";
  for (const Json& step : member(scenario, "steps")) {
    const std::string status = text(step, "status");
    std::string branch = text(step, "block");
    if (!branch.empty()) branch += " / " + text(step, "branch");
    const Json& error = member(step, "error");
    std::string note = status == "skipped" ? text(step, "skip_reason") : "";
    if (error.is_object())
      note = text(error, "type") + (member(error, "sqlstate").is_string() ? " (SQLSTATE " + text(error, "sqlstate") + ")" : "");
    out << "<tr><td class=\"num\">" << figure(member(step, "number")) << "</td><td>" << esc(text(step, "name"))
        << "</td><td><code>" << esc(text(step, "type")) << "</code></td><td>" << status_span(status)
        << "</td><td class=\"num\">" << (status == "skipped" ? "" : fixed(number(step, "started_ms") / 1000, 3))
        << "</td><td class=\"num\">" << (status == "skipped" ? "" : fixed(number(step, "duration_ms") / 1000, 3))
        << "</td><td class=\"num\">" << figure(member(step, "retries")) << "</td><td>" << esc(branch) << "</td><td>"
        << esc(note) << "</td></tr>";
  }
  out << "</table></div>";
}

void failures(std::ostream& out, const Json& scenario) {
  bool any = false;
  for (const Json& step : member(scenario, "steps")) {
    const Json& error = member(step, "error");
    if (!error.is_object()) continue;
    if (!any) out << "<h3>Failures</h3>";
    any = true;
    out << "<div class=\"failure\"><p><strong>Step " << figure(member(step, "number")) << ": "
        << esc(text(step, "name")) << "</strong> (<code>" << esc(text(step, "type")) << "</code>) &#8212; "
        << esc(text(error, "type"));
    if (member(error, "sqlstate").is_string()) out << ", SQLSTATE <code>" << esc(text(error, "sqlstate")) << "</code>";
    out << "</p><pre>" << esc(text(error, "message")) << "</pre></div>";
  }
}

void scenario_section(std::ostream& out, const Json& scenario) {
  const std::string status = text(scenario, "status");
  const std::string name = text(scenario, "name").empty() ? text(scenario, "file") : text(scenario, "name");
  out << "<section class=\"scenario\"><h2>" << esc(name) << " " << status_span(status) << "</h2><dl class=\"facts\">"
      << "<dt>file</dt><dd><code>" << esc(text(scenario, "file")) << "</code></dd>";
  if (!text(scenario, "target").empty()) out << "<dt>target</dt><dd>" << esc(text(scenario, "target")) << "</dd>";
  out << "<dt>took</dt><dd>" << seconds_text(number(scenario, "duration_ms")) << "</dd></dl>";
  const Json& problems = member(scenario, "validation_errors");
  if (problems.is_array() && !problems.empty()) {
    out << "<h3>Validation errors</h3>";
    for (const Json& p : problems) out << "<pre>" << esc(p.is_string() ? p.get<std::string>() : p.dump()) << "</pre>";
  }
  timeline(out, scenario);
  steps_table(out, scenario);
  failures(out, scenario);
  for (const Json& step : member(scenario, "steps"))
    if (charted(member(step, "result"))) charted_section(out, step, member(step, "result"));
  out << "</section>";
}

}  // namespace

void write_html_report(std::ostream& out, const Json& report) {
  const int code = static_cast<int>(number(report, "exit_code"));
  const std::string outcome = outcome_text(code);
  const std::string cls = code == kExitOk ? "passed" : code == kExitInterrupted ? "skipped" : "failed";
  std::string names, targets;
  for (const Json& s : member(report, "scenarios")) {
    const std::string name = text(s, "name").empty() ? text(s, "file") : text(s, "name");
    names += (names.empty() ? "" : ", ") + name;
    const std::string target = text(s, "target");
    if (!target.empty() && targets.find(target) == std::string::npos) targets += (targets.empty() ? "" : "; ") + target;
  }
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>"
      << "<title>roachrun: " << esc(names) << " &#8212; " << esc(outcome) << "</title><style>" << kStyle
      << "</style></head><body>" << svg::definitions() << "<main><header><h1>roachrun report</h1>"
      << "<p class=\"outcome " << cls << "\">" << status_mark(cls) << esc(outcome) << " (exit " << code << ")</p>"
      << "<dl class=\"facts\"><dt>scenarios</dt><dd>" << esc(names) << "</dd>";
  if (!targets.empty()) out << "<dt>target</dt><dd>" << esc(targets) << "</dd>";
  out << "<dt>roachrun</dt><dd>" << esc(text(report, "roachrun_version")) << " (plugin SDK "
      << esc(text(report, "sdk_version")) << ")</dd><dt>started</dt><dd>" << esc(text(report, "started_at"))
      << "</dd><dt>took</dt><dd>" << seconds_text(number(report, "duration_ms")) << "</dd></dl>";
  if (!text(report, "error").empty()) out << "<pre>" << esc(text(report, "error")) << "</pre>";
  out << "</header>";
  for (const Json& s : member(report, "scenarios")) scenario_section(out, s);
  out << "</main></body></html>\n";
}

void write_html_report(std::ostream& out, const RunRecord& record) { write_html_report(out, json_report(record)); }

}  // namespace roachrun
