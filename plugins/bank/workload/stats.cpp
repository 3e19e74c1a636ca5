#include "stats.hpp"

#include <algorithm>

namespace roachrun_bank {

void FailureLog::add(const std::string& sqlstate, const std::string& message) {
  std::lock_guard lock(mutex_);
  ++counts_[sqlstate.empty() ? "unknown" : sqlstate];
  if (first_.empty()) first_ = message;
}

std::map<std::string, std::uint64_t> FailureLog::by_sqlstate() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

std::string FailureLog::first_message() const {
  std::lock_guard lock(mutex_);
  return first_;
}

void RunControl::fail(std::exception_ptr error, bool during_run) {
  {
    std::lock_guard lock(mutex_);
    if (!fatal_) {
      fatal_ = std::move(error);
      fatal_during_run_ = during_run;
    }
  }
  stop();
}

bool RunControl::fatal_during_run() const {
  std::lock_guard lock(mutex_);
  return fatal_during_run_;
}

std::exception_ptr RunControl::fatal() const {
  std::lock_guard lock(mutex_);
  return fatal_;
}

void add_up(const std::vector<std::unique_ptr<ClientStats>>& clients, Totals& out) {
  out = Totals{};
  for (const auto& c : clients) {
    out.committed += c->committed.get();
    out.declined += c->declined.get();
    out.retries += c->retries.get();
    out.failures += c->failures.get();
    out.unfinished += c->unfinished.get();
    out.backoff_us += c->backoff_us.get();
    out.reconnects += c->reconnects.get();
    out.longest_without_connection =
        std::max(out.longest_without_connection, static_cast<double>(c->longest_without_us.get()) / 1e6);
    c->latency.read_into(out.latency);
    if (out.hosts.size() < c->by_host.size()) out.hosts.resize(c->by_host.size());
    for (std::size_t h = 0; h < c->by_host.size(); ++h) {
      const HostCounters& in = c->by_host[h];
      HostTotals& host = out.hosts[h];
      host.committed += in.committed.get();
      host.ambiguous_committed += in.ambiguous_committed.get();
      host.ambiguous_not_committed += in.ambiguous_not_committed.get();
      host.given_up += in.given_up.get();
      host.moved_in += in.sessions_moved_in.get();
      out.ambiguous_committed += in.ambiguous_committed.get();
      out.ambiguous_not_committed += in.ambiguous_not_committed.get();
    }
  }
}

void add_faults(Totals& out, const std::vector<std::string>& endpoints, const roachrun::FaultRecords& faults) {
  if (out.hosts.size() < endpoints.size()) out.hosts.resize(endpoints.size());
  for (std::size_t h = 0; h < endpoints.size(); ++h) out.hosts[h].endpoint = endpoints[h];
  for (const auto& [endpoint, f] : faults) {
    // An init-capture: clang before 16 cannot capture a structured binding (the sanitizer build).
    auto it = std::find_if(out.hosts.begin(), out.hosts.end(), [&ep = endpoint](const HostTotals& h) { return h.endpoint == ep; });
    if (it == out.hosts.end()) it = out.hosts.insert(out.hosts.end(), HostTotals{.endpoint = endpoint});
    it->reconnects += f.sessions_lost;
    it->outages += f.outages;
    it->moved_away += f.sessions_moved;
    out.moved += f.sessions_moved;
    it->seconds_without_connection += std::chrono::duration<double>(f.without_connection).count();
    out.outages += f.outages;
    out.seconds_without_connection += std::chrono::duration<double>(f.without_connection).count();
  }
}

}  // namespace roachrun_bank

namespace roachrun_bank {

std::uint64_t failures_so_far(const std::vector<std::unique_ptr<ClientStats>>& clients) {
  std::uint64_t n = 0;
  for (const auto& c : clients) n += c->failures.get();
  return n;
}

}  // namespace roachrun_bank
