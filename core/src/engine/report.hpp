// What a `roachrun run` did, as plain data for machine-readable reports (--report FORMAT=FILE).
// Filled in as the run goes, so it can be written whatever way the run ends: all passed, a step
// failed, nothing valid, a target unreachable, or interrupted.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "engine/runner.hpp"

namespace spdlog {
class logger;
}

namespace roachrun {

// A scenario file that failed validation: nothing of the run ran.
struct InvalidFile {
  std::string file;
  std::vector<std::string> messages;  // "file:line:col: message", one per problem
};

struct RunRecord {
  std::chrono::system_clock::time_point started_at = std::chrono::system_clock::now();
  std::chrono::milliseconds duration{0};
  ExitCode exit_code = kExitOk;  // the run's, before the reports were written
  std::vector<ScenarioOutcome> scenarios;  // in the order of the command line
  std::vector<InvalidFile> invalid;
  std::string error;  // a failure outside any step (redacted), empty if none
};

enum class ReportFormat { junit, json, html };

struct ReportSpec {
  ReportFormat format;
  std::string file;
};

// "junit=FILE", "json=FILE" or "html=FILE". Throws UsageError for anything else.
ReportSpec parse_report_spec(const std::string& spec);

// Writes every report, creating missing parent directories. Returns false (and logs why) if one
// could not be written; the others are still written.
bool write_reports(const std::vector<ReportSpec>& specs, const RunRecord& record, spdlog::logger& log);

// "2019-07-24T15:58:40.123Z"
std::string iso8601_utc(std::chrono::system_clock::time_point t);

// "passed", "failed", "skipped"
const char* to_string(StepStatus status);

// A scenario is failed if a step failed (or it was interrupted), passed if a step passed and
// none failed, else skipped.
StepStatus scenario_status(const ScenarioOutcome& outcome);

}  // namespace roachrun
