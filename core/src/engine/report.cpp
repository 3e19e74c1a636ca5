#include "engine/report.hpp"

#include <ctime>
#include <filesystem>
#include <fstream>

#include <spdlog/spdlog.h>

#include "engine/report_html.hpp"
#include "engine/report_json.hpp"
#include "engine/report_junit.hpp"
#include "roachrun/error.hpp"

namespace roachrun {

ReportSpec parse_report_spec(const std::string& spec) {
  const auto eq = spec.find('=');
  const std::string format = spec.substr(0, eq);
  if (eq == std::string::npos || eq + 1 == spec.size() || (format != "junit" && format != "json" && format != "html"))
    throw UsageError("--report expects junit=FILE, json=FILE or html=FILE, got '" + spec + "'");
  const ReportFormat kind = format == "junit" ? ReportFormat::junit : format == "json" ? ReportFormat::json : ReportFormat::html;
  return {kind, spec.substr(eq + 1)};
}

bool write_reports(const std::vector<ReportSpec>& specs, const RunRecord& record, spdlog::logger& log) {
  bool ok = true;
  for (const auto& spec : specs) {
    const std::filesystem::path path(spec.file);
    std::error_code ec;
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
    // Written next to the target and renamed, so a reader never sees half a report.
    const std::filesystem::path tmp = path.string() + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      if (out) {
        switch (spec.format) {
          case ReportFormat::junit: write_junit_report(out, record); break;
          case ReportFormat::json: write_json_report(out, record); break;
          case ReportFormat::html: write_html_report(out, record); break;
        }
        out.flush();
      }
      if (!out) {
        log.error("cannot write report {}", spec.file);
        std::filesystem::remove(tmp, ec);
        ok = false;
        continue;
      }
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
      log.error("cannot write report {}: {}", spec.file, ec.message());
      std::filesystem::remove(tmp, ec);
      ok = false;
      continue;
    }
    log.debug("wrote {} report {}",
              spec.format == ReportFormat::junit ? "JUnit" : spec.format == ReportFormat::json ? "JSON" : "HTML", spec.file);
  }
  return ok;
}

std::string iso8601_utc(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char full[48];
  std::snprintf(full, sizeof full, "%s.%03dZ", buf, static_cast<int>(ms));
  return full;
}

const char* to_string(StepStatus status) {
  switch (status) {
    case StepStatus::passed: return "passed";
    case StepStatus::failed: return "failed";
    case StepStatus::skipped: return "skipped";
  }
  return "skipped";
}

StepStatus scenario_status(const ScenarioOutcome& outcome) {
  bool passed = false;
  for (const auto& s : outcome.steps) {
    if (s.status == StepStatus::failed) return StepStatus::failed;
    passed = passed || s.status == StepStatus::passed;
  }
  if (outcome.exit_code != kExitOk) return StepStatus::failed;  // e.g. interrupted between two steps
  return passed ? StepStatus::passed : StepStatus::skipped;
}

}  // namespace roachrun
