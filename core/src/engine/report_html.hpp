// The run as one self-contained HTML page for people (--report html=FILE): the run's header, a
// timeline of every scenario's steps, the failures, and for each step whose result carries a
// time series (docs/report-schema.md, "Charted results") its charts: rates over time with the
// events marked on the time axis and outages as bands, latency percentiles over time, the
// latency histogram, and the step's verdict.
//
// It is drawn from the JSON report's document (json_report), so the two always say the same
// numbers, redacted the same way. Inline CSS and SVG only: no script, no font, no image, nothing
// fetched from anywhere, so it reads offline and in a CI artifact viewer. The markup is also
// well-formed XML (every element closed, numeric entities only), so any XML parser can check it.
#pragma once

#include <iosfwd>

#include <nlohmann/json.hpp>

#include "engine/report.hpp"

namespace roachrun {

void write_html_report(std::ostream& out, const RunRecord& record);
// The page of a JSON report document (for tests, and for drawing a report written earlier).
void write_html_report(std::ostream& out, const nlohmann::ordered_json& report);

}  // namespace roachrun
