#include "summary.hpp"

#include <algorithm>
#include <cstdio>
#include <ostream>

namespace roachrun_bank {

namespace {

double ms(double micros) { return micros / 1000.0; }

std::string fixed(double v, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, v);
  return buffer;
}

// "1 outage", "2 outages".
std::string count(std::uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// What went wrong and how it was answered, for the totals' line and each host's: the parts
// with something to say, joined by ", ". `moved`: the sessions that changed hosts, said as
// "N sessions moved away" (a host's lost ones), "N sessions moved in" or "N sessions moved to
// another host" (the totals); `longest`: the longest one client went without a session (the
// totals only; 0 leaves it out).
std::string fault_parts(double seconds_without_connection, double longest, std::uint64_t moved, const char* moved_how,
                        std::uint64_t ambiguous_committed, std::uint64_t ambiguous_not_committed) {
  std::string out;
  const auto add = [&out](const std::string& part) { out += (out.empty() ? "" : ", ") + part; };
  if (seconds_without_connection > 0)
    add(fixed(seconds_without_connection, 3) + " s without a connection" +
        (longest > 0 ? " (longest " + fixed(longest, 3) + " s for one client)" : ""));
  if (moved > 0) add(count(moved, "session moved ", "sessions moved ") + moved_how);
  if (ambiguous_committed + ambiguous_not_committed > 0)
    add(count(ambiguous_committed + ambiguous_not_committed, "ambiguous commit", "ambiguous commits") + " (" +
        std::to_string(ambiguous_committed) + " committed, " + std::to_string(ambiguous_not_committed) +
        " not committed)");
  return out;
}

void print_host(std::ostream& out, const HostTotals& host) {
  out << "host " << host.endpoint << ": " << host.committed << " committed, "
      << count(host.reconnects, "reconnect", "reconnects") << ", " << count(host.outages, "outage", "outages");
  std::string faults = fault_parts(host.seconds_without_connection, 0, host.moved_away, "away",
                                   host.ambiguous_committed, host.ambiguous_not_committed);
  if (host.moved_in > 0)
    faults = count(host.moved_in, "session moved in", "sessions moved in") + (faults.empty() ? "" : ", " + faults);
  if (!faults.empty()) out << ", " << faults;
  if (host.given_up > 0) out << ", " << host.given_up << " given up";
  out << "\n";
}

roachrun::Value host_json(const HostTotals& host) {
  return {
      {"endpoint", host.endpoint},
      {"committed", host.committed},
      {"reconnects", host.reconnects},
      {"outages", host.outages},
      {"sessions_moved_away", host.moved_away},
      {"sessions_moved_in", host.moved_in},
      {"seconds_without_connection", host.seconds_without_connection},
      {"ambiguous_committed", host.ambiguous_committed},
      {"ambiguous_not_committed", host.ambiguous_not_committed},
      {"given_up", host.given_up},
  };
}

// What the HTML report draws of the result (docs/report-schema.md, "Charted results"): which
// fields of the time series are rates and which are events, the band, the verdict.
roachrun::Value chart_json(const RunSummary& run) {
  const auto field = [](const char* name, const char* label) { return roachrun::Value{{"field", name}, {"label", label}}; };
  roachrun::Value chart = {
      {"title", "bank.workload: protocol " + std::string(to_string(run.config.protocol)) + ", " +
                    std::to_string(run.config.clients) + (run.config.clients == 1 ? " client, " : " clients, ") +
                    std::to_string(run.config.accounts) + " accounts"},
      {"rates", {field("committed", "committed"), field("declined", "declined (insufficient funds)")}},
      {"rate_unit", "transfers/s"},
      {"events", {field("retries", "retries"), field("failures", "failures"), field("reconnects", "reconnects")}},
      {"bands", {{"field", "without_connection"}, {"label", "a client without a connection"}}},
      {"verdict",
       {{"title", "audit"},
        {"ok", run.audit.report ? roachrun::Value(run.audit.report->ok()) : roachrun::Value(nullptr)},
        {"text", run.audit.text(run.config.initial_balance)}}},
  };
  if (run.hosts > 1) {
    // The time series' per_host rows are by the target's hosts, the first run.hosts of these.
    roachrun::Value hosts = roachrun::Value::array();
    for (int h = 0; h < run.hosts && h < static_cast<int>(run.total.hosts.size()); ++h)
      hosts.push_back(run.total.hosts[static_cast<std::size_t>(h)].endpoint);
    chart["hosts"] = std::move(hosts);
    chart["per_host_rate"] = field("committed", "committed");
  }
  return chart;
}

double rate_of(const RunSummary& run) {
  return static_cast<double>(run.total.committed + run.total.declined) / run.elapsed_seconds;
}

}  // namespace

std::string AuditOutcome::text(std::int64_t initial_balance) const {
  return report ? describe(*report, initial_balance) : "could not run: " + could_not;
}

std::string progress_line(double elapsed_s, const Interval& last, const Totals& now) {
  return "progress: " + fixed(elapsed_s, 1) + " s, " + fixed(last.transfers_per_second(), 1) +
         " transfers/s, lat p50 " + fixed(last.p50_ms, 3) + " ms p99 " + fixed(last.p99_ms, 3) + " ms, retries " +
         std::to_string(now.retries) + ", failures " + std::to_string(now.failures);
}

void print_summary(std::ostream& out, const RunSummary& run) {
  const WorkloadConfig& config = run.config;
  const Totals& total = run.total;
  out << "workload: protocol " << to_string(config.protocol);
  if (config.in_flight > 1) out << " (" << config.in_flight << " in flight per connection)";
  out << ", " << config.clients
      << (config.clients == 1 ? " client" : " clients");
  if (run.hosts > 1) out << " over " << run.hosts << " hosts";
  out << ", " << config.accounts << " accounts, isolation "
      << roachrun::to_string(config.retry.isolation) << ", " << fixed(run.elapsed_seconds, 1) << " s\n";
  out << "transfers: " << total.committed << " committed (" << fixed(rate_of(run), 1) << "/s), " << total.declined
      << " declined (insufficient funds)";
  if (total.unfinished > 0) out << ", " << total.unfinished << " unfinished at stop";
  out << "\n";
  out << "latency: p50 " << fixed(ms(total.latency.quantile(0.50)), 3) << " ms, p95 "
      << fixed(ms(total.latency.quantile(0.95)), 3) << " ms, p99 " << fixed(ms(total.latency.quantile(0.99)), 3)
      << " ms, max " << fixed(ms(static_cast<double>(total.latency.max)), 3) << " ms\n";
  out << "retries: " << total.retries << " (backoff " << fixed(static_cast<double>(total.backoff_us) / 1e6, 3) << " s)";
  if (total.reconnects > 0) out << ", reconnects: " << total.reconnects;
  out << "\n";
  // Said only when something went wrong: a quiet run keeps its six lines.
  std::string faults = fault_parts(total.seconds_without_connection, total.longest_without_connection, total.moved,
                                   "to another host", total.ambiguous_committed, total.ambiguous_not_committed);
  if (total.outages > 0) faults = count(total.outages, "outage", "outages") + (faults.empty() ? "" : ", " + faults);
  if (!faults.empty()) out << "faults: " << faults << "\n";
  out << "failures: " << total.failures;
  if (!run.failures_by_sqlstate.empty()) {
    out << " (";
    bool first = true;
    for (const auto& [state, count] : run.failures_by_sqlstate) out << (first ? "" : ", ") << state << ": " << count, first = false;
    out << ")";
  }
  out << "\n";
  if (total.hosts.size() > 1)
    for (const HostTotals& host : total.hosts) print_host(out, host);
  out << "audit: " << run.audit.text(config.initial_balance) << "\n";
}

roachrun::Value summary_json(const RunSummary& run) {
  const WorkloadConfig& config = run.config;
  const Totals& total = run.total;
  roachrun::Value failures = roachrun::Value::object();
  for (const auto& [state, count] : run.failures_by_sqlstate) failures[state] = count;
  roachrun::Value per_host = roachrun::Value::array();
  for (const HostTotals& host : total.hosts) per_host.push_back(host_json(host));
  return {
      {"protocol", to_string(config.protocol)},
      {"in_flight", config.in_flight},
      {"engine", to_string(config.engine)},
      {"threads", config.engine == WorkloadEngine::threads ? config.clients : std::min(config.threads, config.clients)},
      {"clients", config.clients},
      {"hosts", run.hosts},
      {"accounts", config.accounts},
      {"initial_balance", config.initial_balance},
      {"isolation", roachrun::to_string(config.retry.isolation)},
      {"distribution", to_string(config.distribution)},
      {"seed", config.seed},
      {"elapsed_seconds", run.elapsed_seconds},
      {"committed", total.committed},
      {"declined", total.declined},
      {"unfinished", total.unfinished},
      {"transfers_per_second", rate_of(run)},
      {"latency_ms",
       {{"p50", ms(total.latency.quantile(0.50))},
        {"p95", ms(total.latency.quantile(0.95))},
        {"p99", ms(total.latency.quantile(0.99))},
        {"max", ms(static_cast<double>(total.latency.max))}}},
      {"retries", total.retries},
      {"backoff_seconds", static_cast<double>(total.backoff_us) / 1e6},
      {"reconnects", total.reconnects},
      {"outages", total.outages},
      {"sessions_moved", total.moved},
      {"seconds_without_connection", total.seconds_without_connection},
      {"longest_without_connection_seconds", total.longest_without_connection},
      {"ambiguous_committed", total.ambiguous_committed},
      {"ambiguous_not_committed", total.ambiguous_not_committed},
      {"failures", total.failures},
      {"failures_by_sqlstate", std::move(failures)},
      {"per_host", std::move(per_host)},
      {"audit", run.audit.report ? to_json(*run.audit.report)
                                 : roachrun::Value{{"ok", nullptr}, {"could_not_run", run.audit.could_not}}},
      {"chart", chart_json(run)},
  };
}

}  // namespace roachrun_bank
