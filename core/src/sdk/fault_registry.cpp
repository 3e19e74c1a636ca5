#include "fault_registry.hpp"

#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "roachrun/connection.hpp"

namespace roachrun {

namespace {

// A reconnect whose try began before another one got back in sees the same outage, not a new one.
constexpr std::chrono::seconds kEcho{2};

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> parts;
  for (std::size_t start = 0;;) {
    const std::size_t comma = text.find(',', start);
    parts.emplace_back(text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) return parts;
    start = comma + 1;
  }
}

double seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Why `endpoint` refused, from a connect error's text. libpq says one line per host it tried
// ("connection to server at "H", port P failed: ..."): with several hosts the first line is
// another host's (a standby's "session is read-only"), not the lost one's "Connection refused".
std::string reason_at(const std::string& endpoint, std::string_view text) {
  const std::size_t colon = endpoint.rfind(':');
  const std::string at = "at \"" + endpoint.substr(0, colon) + "\", port " + endpoint.substr(colon + 1) + " failed: ";
  const std::string_view line = text.substr(0, text.find('\n'));
  if (line.find(at) != std::string_view::npos) return std::string(line);  // one host, or the lost one first
  if (const std::size_t found = text.find(at); found != std::string_view::npos) {
    const std::string_view rest = text.substr(found + at.size());
    return "cannot connect to " + endpoint + ": " + std::string(rest.substr(0, rest.find('\n')));
  }
  return std::string(line);
}

}  // namespace

FaultRegistry& FaultRegistry::instance() {
  static FaultRegistry registry;
  return registry;
}

bool FaultRegistry::open_outage(Endpoint& e, clock::time_point since) {
  if (e.down_since) return false;
  e.down_since = since;
  e.move_said = false;
  e.announced = !(e.back_at && clock::now() - *e.back_at < kEcho);
  if (e.announced) ++e.figures.outages;
  return e.announced;
}

void FaultRegistry::end_outage(const std::string& endpoint, Endpoint& e, spdlog::logger* log) {
  if (!e.down_since) return;
  if (e.announced && log) log->info("the target {} is back after {:.1f} s", endpoint, seconds(clock::now() - *e.down_since));
  e.down_since.reset();
  e.back_at = clock::now();
}

void FaultRegistry::refused(const std::string& lost, std::string_view reason, std::chrono::milliseconds budget,
                            clock::time_point noticed, spdlog::logger* log) {
  std::lock_guard lock(mutex_);
  if (open_outage(endpoints_[lost], noticed) && log)
    log->warn("lost the target {}: {}; reconnecting for up to {:.1f} s (retry: reconnect_budget)", lost,
              reason_at(lost, reason), static_cast<double>(budget.count()) / 1000.0);
}

void FaultRegistry::replaced(const std::string& lost, const std::string& got, bool skipped, clock::time_point noticed,
                             std::string_view reason, spdlog::logger* log) {
  std::lock_guard lock(mutex_);
  Endpoint& from = endpoints_[lost];
  ++from.figures.sessions_lost;
  from.figures.without_connection +=
      std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - noticed);
  if (got != lost) {
    ++from.figures.sessions_moved;
    // Its sessions moved on because it did not answer: an outage, though no reconnect failed.
    if (skipped && open_outage(from, noticed) && log) {
      log->warn("lost the target {}: {}; its sessions moved to {}", lost, reason, got);
      from.move_said = true;
    }
    // An outage said as a refusal ("reconnecting for up to ...") that ends with the sessions on
    // another host (a standby promoted in its place) never ends at `lost` itself: say once when
    // they got somewhere, which is the failover as the clients lived it.
    if (from.down_since && from.announced && !from.move_said && log) {
      log->info("the sessions of {} moved to {} after {:.1f} s", lost, got, seconds(clock::now() - *from.down_since));
      from.move_said = true;
    }
  }
  end_outage(got, endpoints_[got], log);
}

void FaultRegistry::connected(const std::string& endpoint, spdlog::logger* log) {
  std::lock_guard lock(mutex_);
  if (auto it = endpoints_.find(endpoint); it != endpoints_.end()) end_outage(endpoint, it->second, log);
}

FaultRecords FaultRegistry::snapshot() const {
  std::lock_guard lock(mutex_);
  FaultRecords out;
  for (const auto& [endpoint, e] : endpoints_) out[endpoint] = e.figures;
  return out;
}

bool passed_over(const Connection& conn, const std::string& lost, const std::string& got) {
  struct Free {
    void operator()(PQconninfoOption* o) const noexcept { PQconninfoFree(o); }
  };
  std::unique_ptr<PQconninfoOption, Free> info(PQconninfo(conn.native_handle()));
  if (!info) return false;
  std::vector<std::string> hosts, hostaddrs, ports;
  for (const PQconninfoOption* o = info.get(); o->keyword; ++o) {
    const std::string_view key = o->keyword, value = o->val ? o->val : "";
    if (key == "host") hosts = split_list(value);
    if (key == "hostaddr") hostaddrs = split_list(value);
    if (key == "port") ports = split_list(value);
    if (key == "load_balance_hosts" && value == "random") return false;  // libpq 16: the order says nothing
  }
  // A port left out is libpq's default, the one the new session reports too.
  const std::string default_port = got.substr(got.rfind(':') + 1);
  const std::size_t count = std::max(hosts.size(), hostaddrs.size());
  int lost_at = -1, got_at = -1;
  for (std::size_t i = 0; i < count; ++i) {
    std::string host = i < hosts.size() ? hosts[i] : std::string();
    if (host.empty() && i < hostaddrs.size()) host = hostaddrs[i];
    std::string port = ports.size() == 1 ? ports[0] : i < ports.size() ? ports[i] : std::string();
    if (port.empty()) port = default_port;
    const std::string endpoint = host + ":" + port;
    if (lost_at < 0 && endpoint == lost) lost_at = static_cast<int>(i);
    if (got_at < 0 && endpoint == got) got_at = static_cast<int>(i);
  }
  return lost_at >= 0 && got_at >= 0 && lost_at < got_at;
}

FaultRecords fault_records() { return FaultRegistry::instance().snapshot(); }

FaultRecords fault_records_since(const FaultRecords& earlier) {
  FaultRecords out;
  for (const auto& [endpoint, now] : fault_records()) {
    EndpointFaults d = now;
    if (auto it = earlier.find(endpoint); it != earlier.end()) {
      d.sessions_lost -= it->second.sessions_lost;
      d.sessions_moved -= it->second.sessions_moved;
      d.outages -= it->second.outages;
      d.without_connection -= it->second.without_connection;
    }
    if (d.sessions_lost || d.outages || d.without_connection.count()) out[endpoint] = d;
  }
  return out;
}

}  // namespace roachrun
