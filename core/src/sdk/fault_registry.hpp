// The process's record of lost sessions and outages by endpoint, kept by the retry engine
// (retry.cpp) and read through roachrun/faults.hpp. It also says each outage once on the log,
// however many connections run into it.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "roachrun/faults.hpp"

namespace spdlog {
class logger;
}

namespace roachrun {

class Connection;

class FaultRegistry {
 public:
  using clock = std::chrono::steady_clock;

  static FaultRegistry& instance();

  // A reconnect to replace a session lost on `lost` was refused (`reason`: the connect error's
  // text): an outage of `lost` begins, unless one is open. Said once, with what `lost` itself
  // answered: "lost the target ...; reconnecting for up to ...".
  void refused(const std::string& lost, std::string_view reason, std::chrono::milliseconds budget,
               clock::time_point noticed, spdlog::logger* log);
  // The session lost on `lost` (noticed then) was replaced by one on `got`. `skipped`: the
  // reconnect tried `lost` first and it did not answer (the new session is on a later host of the
  // list), which is an outage of `lost`: "lost the target ...: ...; its sessions moved to ...".
  // A session that gets in where an outage is open ends it ("the target ... is back after ...").
  void replaced(const std::string& lost, const std::string& got, bool skipped, clock::time_point noticed,
                std::string_view reason, spdlog::logger* log);

  // A new session (not a replacement: Connection::open through an outage) got in at
  // `endpoint`: ends an outage open there.
  void connected(const std::string& endpoint, spdlog::logger* log);

  FaultRecords snapshot() const;

 private:
  struct Endpoint {
    EndpointFaults figures;
    std::optional<clock::time_point> down_since;  // an outage is open
    bool announced = false;                       // ... and was said on the log
    bool move_said = false;                       // ... and that its sessions moved (failover)
    std::optional<clock::time_point> back_at;     // when the last one ended
  };
  // Opens an outage of `e` unless one is open; true if it is a new one to count and say.
  bool open_outage(Endpoint& e, clock::time_point since);
  void end_outage(const std::string& endpoint, Endpoint& e, spdlog::logger* log);

  mutable std::mutex mutex_;
  std::map<std::string, Endpoint> endpoints_;
};

// After `conn` reconnected: whether libpq, trying the target's hosts in order, passed over
// `lost` to get to `got` (so `lost` did not answer). False when it cannot tell (the hosts are
// tried in random order, or `lost` is not in the list).
bool passed_over(const Connection& conn, const std::string& lost, const std::string& got);

}  // namespace roachrun
