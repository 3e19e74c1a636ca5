// The single local server (target: local) as node control sees it: one node, node 1, the primary
// while it runs; nothing takes over while it is down. Its stop, kill and start are LocalServer's
// own (the same start as the run's first), on the same port and data directory.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "engine/node_control.hpp"

namespace roachrun {

class LocalServer;

// REQUIRES: `server` outlives this object.
class ServerBackend final : public NodeBackend {
 public:
  // `interrupted`: Ctrl-C, which ends wait_healthy().
  ServerBackend(LocalServer& server, const std::atomic<bool>& interrupted) : server_(server), interrupted_(interrupted) {}

  std::string name() const override { return "the local server"; }
  std::string endpoint(int node) const override;
  std::vector<NodeStatus> status() override;
  // "1" and "primary" are the server; anything else (a standby, node 2) is a StepError.
  int resolve(const std::string& node) override;
  void kill(int node) override;
  void stop(int node, StopMode mode) override;
  void start(int node) override;
  bool fails_over() const override { return false; }
  int primary(std::chrono::milliseconds limit) override;
  // Until the server accepts connections; a StepError at once if it is stopped (nothing would
  // start it).
  void wait_healthy(std::chrono::milliseconds limit) override;

 private:
  LocalServer& server_;
  const std::atomic<bool>& interrupted_;
};

}  // namespace roachrun
