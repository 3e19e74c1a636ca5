// Control of the nodes of the run's local formation (target: {url: local, nodes: N}): what
// CockroachDB's fault-tolerance tutorial does with `cockroach quit` and `kill -9`, for steps that
// kill, stop and start nodes while a workload runs. (SDK 3.2.)
//
// Nodes are named by number (1..N, the order of the target's host list) or by role: "primary"
// (the node that takes writes now) or "standby" (the lowest-numbered running node that is not the
// primary), resolved when the action happens.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "roachrun/export.hpp"

namespace roachrun {

class StepContext;

struct NodeStatus {
  int number = 0;
  std::string endpoint;  // "127.0.0.1:PORT", as Connection::endpoint() names a session there
  bool running = false;  // its processes run (not killed or stopped)
  // "primary" (takes writes), "standby" (a synchronous or caught-up secondary), "down" (not
  // running), or pg_auto_failover's state for a node in between ("catchingup", "draining", ...).
  std::string role;
};

enum class NodeAction { kill, stop, start, restart };

class ROACHRUN_API LocalNodes {
 public:
  virtual ~LocalNodes();
  virtual std::vector<NodeStatus> status() = 0;
  // The number of `node` ("1", "primary", "standby") now. Throws StepError for a name that is no
  // node, or when no node has the role (within 30 s for "primary", as during a failover).
  virtual int resolve(const std::string& node) = 0;
  // Does `action` to `node` after `delay` (zero: now, returning once it is done; else on a thread
  // of the core's, returning at once, so a later step -- a workload -- runs while it happens).
  // Throws StepError for a node that cannot take the action (start of a running node, kill of a
  // stopped one), and for the failure of an earlier delayed action not yet reported.
  virtual void act(NodeAction action, const std::string& node, std::chrono::milliseconds delay) = 0;
  // Waits until delayed actions are done and every running node is primary or standby (a
  // failover over, a started node caught up); throws StepError naming what is not after `limit`,
  // or the failure of a delayed action. Returns the failover times seen since the last call,
  // in seconds from the loss of a primary to the next primary taking writes.
  virtual std::vector<double> wait_healthy(std::chrono::milliseconds limit) = 0;
};

// The run's local formation, started now if the run has not connected yet. Throws StepError
// saying what the target is when it is not a local formation (`url: local` with `nodes:` of 2 or
// more): node control needs nodes roachrun started itself.
ROACHRUN_API LocalNodes& local_nodes(StepContext& ctx);

}  // namespace roachrun
