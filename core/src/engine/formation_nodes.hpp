// Node control over the run's local target, installed for the scenario being run so that
// roachrun::local_nodes(ctx) finds it: the formation's nodes (FormationBackend, here) or the
// single server (ServerBackend, server_nodes.hpp), driven by NodeControl (node_control.hpp).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/node_control.hpp"
#include "sdk/local_nodes_slot.hpp"

namespace spdlog {
class logger;
}

namespace roachrun {

class LocalFormation;
class Target;

// The nodes of a pg_auto_failover formation: numbered as the target's host list, primary and
// standby by the monitor's view, a lost primary replaced by a standby. REQUIRES: `formation`
// outlives this object.
class FormationBackend final : public NodeBackend {
 public:
  // How long resolve("primary") waits for one (a failover may be under way).
  static constexpr std::chrono::seconds kPrimaryLimit{30};

  explicit FormationBackend(LocalFormation& formation) : formation_(formation) {}

  std::string name() const override { return "the formation"; }
  std::string endpoint(int node) const override;
  std::vector<NodeStatus> status() override;
  int resolve(const std::string& node) override;
  void kill(int node) override;
  void stop(int node, StopMode mode) override;
  void start(int node) override;
  bool fails_over() const override { return true; }
  int primary(std::chrono::milliseconds limit) override;
  void wait_healthy(std::chrono::milliseconds limit) override;

 private:
  LocalFormation& formation_;
};

// Node control for one scenario's run on `target`: while it lives, local_nodes(ctx) answers with
// a NodeControl over target.formation() or target.local_server() (made, and the formation or
// server started, on first use), or refuses with target.describe() when the target is not the
// local target. Its destruction cancels the scenario's pending node actions.
class ScenarioNodes {
 public:
  ScenarioNodes(const Target& target, spdlog::logger& log, const std::atomic<bool>& interrupted);
  ~ScenarioNodes();
  ScenarioNodes(const ScenarioNodes&) = delete;
  ScenarioNodes& operator=(const ScenarioNodes&) = delete;

 private:
  LocalNodes* nodes();

  const Target& target_;
  spdlog::logger& log_;
  const std::atomic<bool>& interrupted_;
  std::mutex mutex_;
  std::unique_ptr<NodeBackend> backend_;
  std::unique_ptr<NodeControl> nodes_;  // after backend_: goes first
  LocalNodesInstalled installed_;       // after nodes_: cleared before nodes_ goes
};

}  // namespace roachrun
