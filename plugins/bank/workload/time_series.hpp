// The workload's run over time: one row per interval (1 s by default, the step's `interval`) of
// what the clients counted in it, the spans in which a client was without a connection, and the
// latency histogram of the whole run. The progress line is printed from the same rows, so the
// two never disagree. Memory grows with the run's length in intervals (a row is ~100 bytes, 360
// KB for an hour of 1 s rows), never with the number of transfers.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include <roachrun/faults.hpp>
#include <roachrun/params.hpp>

#include "latency_histogram.hpp"
#include "stats.hpp"

namespace roachrun_bank {

// One host's part of an interval (a target of several hosts only).
struct HostInterval {
  std::uint64_t committed = 0, failures = 0, reconnects = 0;
};

// What the clients did in [start_s, start_s + seconds) of the measured run.
struct Interval {
  double start_s = 0, seconds = 0;
  std::uint64_t committed = 0, declined = 0, retries = 0, failures = 0, reconnects = 0;
  // Of the transfers that ended in the interval (committed or declined), in ms. max is the top
  // of the highest histogram bucket used (within 3%), never above the run's largest latency.
  double p50_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0;
  std::vector<HostInterval> hosts;  // empty for a target of one host

  double transfers_per_second() const noexcept {
    return seconds > 0 ? static_cast<double>(committed + declined) / seconds : 0;
  }
};

// The figures of an interval: `now` minus `before` (two add_up()s; `now` the later), with the
// reconnects of each host from the retry engine's records (`faults_now` minus `faults_before`,
// by `endpoints`, the target's hosts in order) when there are several hosts.
Interval interval_between(double start_s, double seconds, const Totals& now, const Totals& before,
                          const std::vector<std::string>& endpoints, const roachrun::FaultRecords& faults_now,
                          const roachrun::FaultRecords& faults_before);

// Spans of the run in which at least one client was without a connection: from the start of the
// attempt that found its session lost to the new session. Written by the clients when they
// reconnect (rare: a mutex is fine), read by the main thread at the end. Overlapping spans merge
// (eight clients losing one server make one span); at most kMaxSpans are kept, beyond that the
// new span merges into its nearest neighbour, so a flapping target cannot grow it without bound.
class OutageSpans {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr std::size_t kMaxSpans = 256;

  struct Span {
    clock::time_point from, to;
    std::uint64_t sessions = 0;  // sessions replaced within it
  };

  void add(clock::time_point from, clock::time_point to);
  std::vector<Span> spans() const;  // in time order, disjoint

 private:
  mutable std::mutex mutex_;
  std::vector<Span> spans_;  // sorted by from, disjoint
};

// The time series as the JSON report's step result carries it (docs/report-schema.md):
// "interval_seconds", "time_series", "without_connection", "latency_histogram" and "chart" (what
// the HTML report draws of them). `start`: the measured run's start, to place the spans.
void add_time_series_json(roachrun::Value& result, std::chrono::milliseconds interval,
                          const std::vector<Interval>& series, const std::vector<OutageSpans::Span>& outages,
                          OutageSpans::clock::time_point start, const LatencyHistogram::Snapshot& latency);

}  // namespace roachrun_bank
