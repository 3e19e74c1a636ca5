#include "time_series.hpp"

#include <algorithm>
#include <iterator>

namespace roachrun_bank {

namespace {

std::uint64_t minus(std::uint64_t now, std::uint64_t before) { return now > before ? now - before : 0; }

double seconds_between(OutageSpans::clock::time_point from, OutageSpans::clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// The engine's count of sessions lost on `endpoint`, in a record.
std::uint64_t sessions_lost(const roachrun::FaultRecords& faults, const std::string& endpoint) {
  const auto it = faults.find(endpoint);
  return it == faults.end() ? 0 : it->second.sessions_lost;
}

}  // namespace

Interval interval_between(double start_s, double seconds, const Totals& now, const Totals& before,
                          const std::vector<std::string>& endpoints, const roachrun::FaultRecords& faults_now,
                          const roachrun::FaultRecords& faults_before) {
  Interval row;
  row.start_s = start_s;
  row.seconds = seconds;
  row.committed = minus(now.committed, before.committed);
  row.declined = minus(now.declined, before.declined);
  row.retries = minus(now.retries, before.retries);
  row.failures = minus(now.failures, before.failures);
  row.reconnects = minus(now.reconnects, before.reconnects);
  LatencyHistogram::Snapshot latency = now.latency;
  latency.subtract(before.latency);
  row.p50_ms = latency.quantile(0.50) / 1000;
  row.p95_ms = latency.quantile(0.95) / 1000;
  row.p99_ms = latency.quantile(0.99) / 1000;
  row.max_ms = latency.highest() / 1000;
  if (endpoints.size() > 1) {
    row.hosts.resize(endpoints.size());
    for (std::size_t h = 0; h < endpoints.size(); ++h) {
      const HostTotals none;
      const HostTotals& a = h < now.hosts.size() ? now.hosts[h] : none;
      const HostTotals& b = h < before.hosts.size() ? before.hosts[h] : none;
      row.hosts[h].committed = minus(a.committed, b.committed);
      row.hosts[h].failures = minus(a.given_up, b.given_up);
      row.hosts[h].reconnects =
          minus(sessions_lost(faults_now, endpoints[h]), sessions_lost(faults_before, endpoints[h]));
    }
  }
  return row;
}

void OutageSpans::add(clock::time_point from, clock::time_point to) {
  if (to < from) std::swap(from, to);
  std::lock_guard lock(mutex_);
  Span span{from, to, 1};
  // Fold in every span it overlaps or touches, then insert it in order.
  auto first = std::lower_bound(spans_.begin(), spans_.end(), from,
                                [](const Span& s, clock::time_point t) { return s.to < t; });
  auto last = first;
  while (last != spans_.end() && last->from <= to) {
    span.from = std::min(span.from, last->from);
    span.to = std::max(span.to, last->to);
    span.sessions += last->sessions;
    ++last;
  }
  first = spans_.erase(first, last);
  spans_.insert(first, span);
  if (spans_.size() <= kMaxSpans) return;
  // Over the bound: merge the two neighbours closest in time (the smallest gap loses least).
  std::size_t best = 0;
  for (std::size_t i = 1; i + 1 < spans_.size(); ++i)
    if (spans_[i + 1].from - spans_[i].to < spans_[best + 1].from - spans_[best].to) best = i;
  spans_[best].to = spans_[best + 1].to;
  spans_[best].sessions += spans_[best + 1].sessions;
  spans_.erase(spans_.begin() + static_cast<std::ptrdiff_t>(best) + 1);
}

std::vector<OutageSpans::Span> OutageSpans::spans() const {
  std::lock_guard lock(mutex_);
  return spans_;
}

void add_time_series_json(roachrun::Value& result, std::chrono::milliseconds interval,
                          const std::vector<Interval>& series, const std::vector<OutageSpans::Span>& outages,
                          OutageSpans::clock::time_point start, const LatencyHistogram::Snapshot& latency) {
  roachrun::Value rows = roachrun::Value::array();
  for (const Interval& row : series) {
    roachrun::Value j = {
        {"start_s", row.start_s},
        {"seconds", row.seconds},
        {"committed", row.committed},
        {"declined", row.declined},
        {"retries", row.retries},
        {"failures", row.failures},
        {"reconnects", row.reconnects},
        {"latency_ms", {{"p50", row.p50_ms}, {"p95", row.p95_ms}, {"p99", row.p99_ms}, {"max", row.max_ms}}},
    };
    if (!row.hosts.empty()) {
      roachrun::Value hosts = roachrun::Value::array();
      for (const HostInterval& h : row.hosts)
        hosts.push_back({{"committed", h.committed}, {"failures", h.failures}, {"reconnects", h.reconnects}});
      j["per_host"] = std::move(hosts);
    }
    rows.push_back(std::move(j));
  }
  roachrun::Value spans = roachrun::Value::array();
  for (const OutageSpans::Span& s : outages)
    spans.push_back({{"from_s", std::max(0.0, seconds_between(start, s.from))},
                     {"to_s", std::max(0.0, seconds_between(start, s.to))},
                     {"sessions", s.sessions}});
  // Only the buckets used: a run's latencies fill a few dozen of the 1056.
  roachrun::Value buckets = roachrun::Value::array();
  for (int i = 0; i < LatencyHistogram::kBuckets; ++i)
    if (latency.counts[static_cast<std::size_t>(i)] > 0)
      buckets.push_back({{"from_ms", (i < 64 ? i : LatencyHistogram::bucket_upper(i - 1)) / 1000.0},
                         {"to_ms", LatencyHistogram::bucket_upper(i) / 1000.0},
                         {"count", latency.counts[static_cast<std::size_t>(i)]}});
  result["interval_seconds"] = std::chrono::duration<double>(interval).count();
  result["time_series"] = std::move(rows);
  result["without_connection"] = std::move(spans);
  result["latency_histogram"] = std::move(buckets);
}

}  // namespace roachrun_bank
