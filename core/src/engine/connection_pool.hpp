// The scenario's named connections, opened on first use and kept for later steps, each
// registered for cancellation on Ctrl-C.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "engine/scenario.hpp"
#include "engine/signals.hpp"
#include "engine/target.hpp"
#include "roachrun/connection.hpp"

namespace spdlog {
class logger;
}

namespace roachrun {

class ConnectionPool {
 public:
  ConnectionPool(const Scenario& scenario, const Target& target, Interrupts& interrupts, spdlog::logger& log);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Throws StepError for a name the scenario does not define, ConnectError if it cannot connect.
  Connection& get(std::string_view name);
  LibpqOptions options(std::string_view name) const;

 private:
  struct Open {
    Connection connection;
    std::uint64_t cancel_token;
  };
  const ConnectionDef& def(std::string_view name) const;

  const Scenario& scenario_;
  const Target& target_;
  Interrupts& interrupts_;
  spdlog::logger& log_;
  std::map<std::string, std::unique_ptr<Open>, std::less<>> open_;
};

}  // namespace roachrun
