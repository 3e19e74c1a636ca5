// Control of the nodes of the run's local target: what CockroachDB's fault-tolerance tutorial
// does with `cockroach quit` and `kill -9`, for steps that kill, stop and start nodes while a
// workload runs. (SDK 3.2; the single local server and StopMode: SDK 3.4.)
//
// The nodes are those of the local formation (target: {url: local, nodes: N}), or the single
// local server (target: local), which is node 1 and the primary. Nodes are named by number (1..N,
// the order of the target's host list) or by role: "primary" (the node that takes writes now) or
// "standby" (the lowest-numbered running node that is not the primary), resolved when the action
// happens.
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

// How a stop (or the stop of a restart) shuts a node's PostgreSQL down, as `pg_ctl stop -m` does:
// fast (SIGINT: sessions are ended and their transactions rolled back, then a checkpoint) or
// immediate (SIGQUIT: every process quits at once, no checkpoint; the next start recovers from the
// WAL, as after a crash). (SDK 3.4.)
enum class StopMode { fast, immediate };

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

// The nodes of the run's local target (its formation, or its single server), started now if the
// run has not connected yet. Throws StepError saying what the target is when it is not the local
// target (a URL): node control needs nodes roachrun started itself.
ROACHRUN_API LocalNodes& local_nodes(StepContext& ctx);

// nodes.act(action, node, delay), a stop or restart shutting the node down in `mode`
// (LocalNodes::act stops in StopMode::fast; kill and start ignore the mode). Throws as act()
// does, and StepError for StopMode::immediate on a LocalNodes that has no modes (not the host's).
// (SDK 3.4.)
ROACHRUN_API void act(LocalNodes& nodes, NodeAction action, const std::string& node, std::chrono::milliseconds delay,
                      StopMode mode);

}  // namespace roachrun
