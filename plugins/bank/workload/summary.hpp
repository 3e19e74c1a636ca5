// What bank.workload shows of a run: the progress line on stderr, the summary on stdout, and the
// result object of the JSON report. All three read the same Totals.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>

#include <roachrun/params.hpp>

#include "audit.hpp"
#include "config.hpp"
#include "stats.hpp"
#include "time_series.hpp"

namespace roachrun_bank {

// The audit after the run, or why there is none.
struct AuditOutcome {
  std::optional<AuditReport> report;
  std::string could_not;  // why there is no report
  // "ok (...)" / what is wrong / "could not run: ..."
  std::string text(std::int64_t initial_balance) const;
};

// What the summary and the result are made of.
struct RunSummary {
  const WorkloadConfig& config;
  int hosts = 1;
  double elapsed_seconds = 0;
  const Totals& total;
  const std::map<std::string, std::uint64_t>& failures_by_sqlstate;
  const AuditOutcome& audit;
};

// One progress line: the last interval's rate and latencies (a row of the time series, so the
// line and the report agree), the run's retries and failures so far (`now`).
std::string progress_line(double elapsed_s, const Interval& last, const Totals& now);
// The summary the step prints: protocol, transfers, latency, retries, faults (when there were
// any), failures, one line per host (when there are several), audit.
void print_summary(std::ostream& out, const RunSummary& run);
// The same as the JSON report's step result (docs/report-schema.md).
roachrun::Value summary_json(const RunSummary& run);

}  // namespace roachrun_bank
