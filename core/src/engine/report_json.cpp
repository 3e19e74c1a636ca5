#include "engine/report_json.hpp"

#include <ostream>

#include "engine/redact.hpp"
#include "roachrun/sdk_version.hpp"

namespace roachrun {

namespace {

using Json = nlohmann::ordered_json;

Json step_json(const StepOutcome& step) {
  Json j;
  j["number"] = step.number;
  j["name"] = step.name;
  j["type"] = step.type;
  j["status"] = to_string(step.status);
  j["duration_ms"] = step.duration.count();
  j["attempts"] = step.transactions.attempts;
  j["retries"] = step.transactions.retries;
  j["backoff_ms"] = step.transactions.backoff.count();
  if (step.status == StepStatus::failed) {
    // "class" is the deprecated name of "type", kept so existing readers go on working.
    j["error"] = {{"type", step.error_type},
                  {"class", step.error_type},
                  {"sqlstate", step.sqlstate.empty() ? Json(nullptr) : Json(step.sqlstate)},
                  {"message", redactor().redact(step.message)}};
  } else {
    j["error"] = nullptr;
  }
  j["skip_reason"] = step.status == StepStatus::skipped ? Json(step.skip_reason) : Json(nullptr);
  // Since 3.4: where the step stands in a parallel block (null outside one), and when it started.
  j["block"] = step.block.empty() ? Json(nullptr) : Json(step.block);
  j["branch"] = step.branch.empty() ? Json(nullptr) : Json(step.branch);
  j["started_ms"] = step.started.count();
  // A step's own structured result (e.g. bank.workload's rates and latencies), as it gave it.
  if (!step.result.is_null()) j["result"] = step.result;
  return j;
}

}  // namespace

Json json_report(const RunRecord& record) {
  const Redactor& redact = redactor();
  Json j;
  j["roachrun_version"] = ROACHRUN_VERSION;
  j["sdk_version"] = std::to_string(ROACHRUN_SDK_VERSION_MAJOR) + "." + std::to_string(ROACHRUN_SDK_VERSION_MINOR);
  j["started_at"] = iso8601_utc(record.started_at);
  j["duration_ms"] = record.duration.count();
  j["exit_code"] = static_cast<int>(record.exit_code);
  j["error"] = record.error.empty() ? Json(nullptr) : Json(redact.redact(record.error));
  Json scenarios = Json::array();
  for (const auto& invalid : record.invalid) {
    Json messages = Json::array();
    for (const auto& m : invalid.messages) messages.push_back(redact.redact(m));
    scenarios.push_back({{"file", invalid.file},
                         {"name", nullptr},
                         {"status", "invalid"},
                         {"duration_ms", 0},
                         {"validation_errors", std::move(messages)},
                         {"steps", Json::array()}});
  }
  for (const auto& scenario : record.scenarios) {
    Json steps = Json::array();
    for (const auto& step : scenario.steps) steps.push_back(step_json(step));
    scenarios.push_back({{"file", scenario.file},
                         {"name", scenario.name},
                         {"target", redact.redact(scenario.target)},  // since 3.4.1
                         {"status", to_string(scenario_status(scenario))},
                         {"duration_ms", scenario.duration.count()},
                         {"validation_errors", Json::array()},
                         {"steps", std::move(steps)}});
  }
  j["scenarios"] = std::move(scenarios);
  return j;
}

void write_json_report(std::ostream& out, const RunRecord& record) {
  // A server message is not guaranteed to be UTF-8: replace what is not rather than throw.
  out << json_report(record).dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
}

}  // namespace roachrun
