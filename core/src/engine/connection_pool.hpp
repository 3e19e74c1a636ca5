// The scenario's named connections, opened on first use and kept for later steps. Ctrl-C
// cancels their statements as it does every Connection's (the SDK registers each one). A kept
// connection found lost when a step asks for it (the server restarted between steps) is replaced
// within the step's retry.reconnect_budget; so is a first connection refused once the target has
// answered in this run. A target that never answered fails at once.
#pragma once

#include <atomic>
#include <map>
#include <string>

#include "engine/scenario.hpp"
#include "engine/target.hpp"
#include "roachrun/connection.hpp"
#include "roachrun/retry.hpp"

namespace spdlog {
class logger;
}

namespace roachrun {

class ConnectionPool {
 public:
  ConnectionPool(const Scenario& scenario, const Target& target, spdlog::logger& log);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Throws StepError for a name the scenario does not define, ConnectError if it cannot connect
  // (past `policy.reconnect_budget` if the target answered before), Interrupted after Ctrl-C or
  // once *interrupted is set while it waits.
  Connection& get(std::string_view name, const RetryPolicy& policy, const std::atomic<bool>* interrupted);
  LibpqOptions options(std::string_view name) const;

 private:
  const ConnectionDef& def(std::string_view name) const;

  const Scenario& scenario_;
  const Target& target_;
  spdlog::logger& log_;
  std::map<std::string, Connection, std::less<>> open_;  // a map: references stay valid as it grows
  bool answered_ = false;  // some connection of this run got in: a refusal now is an outage
};

}  // namespace roachrun
