// The scenario's named connections, opened on first use and kept for later steps. Ctrl-C
// cancels their statements as it does every Connection's (the SDK registers each one).
#pragma once

#include <map>
#include <string>

#include "engine/scenario.hpp"
#include "engine/target.hpp"
#include "roachrun/connection.hpp"

namespace spdlog {
class logger;
}

namespace roachrun {

class ConnectionPool {
 public:
  ConnectionPool(const Scenario& scenario, const Target& target, spdlog::logger& log);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Throws StepError for a name the scenario does not define, ConnectError if it cannot connect,
  // Interrupted after Ctrl-C.
  Connection& get(std::string_view name);
  LibpqOptions options(std::string_view name) const;

 private:
  const ConnectionDef& def(std::string_view name) const;

  const Scenario& scenario_;
  const Target& target_;
  spdlog::logger& log_;
  std::map<std::string, Connection, std::less<>> open_;  // a map: references stay valid as it grows
};

}  // namespace roachrun
