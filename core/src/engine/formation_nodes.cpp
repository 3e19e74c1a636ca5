#include "engine/formation_nodes.hpp"

#include <utility>

#include <fmt/format.h>

#include "engine/local_formation.hpp"
#include "engine/server_nodes.hpp"
#include "engine/target.hpp"
#include "roachrun/error.hpp"

namespace roachrun {

namespace {

// pg_auto_failover's states of a node that takes writes.
bool is_primary_state(const std::string& state) {
  return state == "primary" || state == "wait_primary" || state == "single" || state == "join_primary" ||
         state == "apply_settings";
}

// The number `name` spells ("2"), or 0.
int number_of(const std::string& name) {
  if (name.empty() || name.size() > 3 || name.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::stoi(name);
}

}  // namespace

std::string FormationBackend::endpoint(int node) const {
  const std::vector<int> ports = formation_.ports();
  const int port = node >= 1 && node <= static_cast<int>(ports.size()) ? ports[static_cast<std::size_t>(node - 1)] : 0;
  return formation_.host() + ":" + std::to_string(port);
}

std::vector<NodeStatus> FormationBackend::status() {
  std::vector<FormationNode> nodes;
  try {
    nodes = formation_.nodes();
  } catch (const ConnectError& e) {
    throw StepError(std::string("cannot read the state of the formation's nodes: ") + e.what());
  }
  std::vector<NodeStatus> out;
  for (const FormationNode& n : nodes) {
    NodeStatus s;
    s.number = n.number;
    s.endpoint = endpoint(n.number);
    s.running = n.running;
    s.role = !n.running                         ? "down"
             : is_primary_state(n.reported_state) ? "primary"
             : n.reported_state == "secondary"    ? "standby"
                                                  : n.reported_state;
    out.push_back(std::move(s));
  }
  return out;
}

int FormationBackend::resolve(const std::string& node) {
  const int count = static_cast<int>(formation_.ports().size());
  if (const int n = number_of(node); n >= 1 && n <= count) return n;
  if (node == "primary" || node == "standby") {
    int primary = 0;
    try {
      primary = formation_.primary(kPrimaryLimit);
    } catch (const ConnectError& e) {
      throw StepError(fmt::format("no node of the formation is primary after waiting {:.1f} s: {}",
                                  std::chrono::duration<double>(kPrimaryLimit).count(), e.what()));
    }
    if (node == "primary") return primary;
    for (const NodeStatus& s : status())
      if (s.running && s.number != primary) return s.number;
    throw StepError("no standby: every node but the primary (node " + std::to_string(primary) + ") is down");
  }
  throw StepError("no node '" + node + "' in the formation: give a number from 1 to " + std::to_string(count) +
                  ", primary or standby");
}

void FormationBackend::kill(int node) { formation_.kill(node); }

void FormationBackend::stop(int node, StopMode mode) { formation_.stop(node, mode); }

void FormationBackend::start(int node) { formation_.start(node); }

int FormationBackend::primary(std::chrono::milliseconds limit) { return formation_.primary(limit); }

void FormationBackend::wait_healthy(std::chrono::milliseconds limit) { formation_.wait_healthy(limit); }

ScenarioNodes::ScenarioNodes(const Target& target, spdlog::logger& log, const std::atomic<bool>& interrupted)
    : target_(target),
      log_(log),
      interrupted_(interrupted),
      installed_(LocalNodesProvider{[this] { return nodes(); }, [this] { return target_.describe(); }}) {}

ScenarioNodes::~ScenarioNodes() = default;

LocalNodes* ScenarioNodes::nodes() {
  std::lock_guard lock(mutex_);
  if (!nodes_) {
    if (LocalFormation* formation = target_.formation())
      backend_ = std::make_unique<FormationBackend>(*formation);
    else if (LocalServer* server = target_.local_server())
      backend_ = std::make_unique<ServerBackend>(*server, interrupted_);
    if (backend_) nodes_ = std::make_unique<NodeControl>(*backend_, log_, interrupted_);
  }
  return nodes_.get();
}

}  // namespace roachrun
