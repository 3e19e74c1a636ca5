// The SDK's node control (<roachrun/local_nodes.hpp>) over the nodes of a local target -- the
// formation's (formation_nodes.hpp) or the single server (server_nodes.hpp): what is the same for
// both, naming a node, refusing an action it cannot take, delayed actions and their failures,
// and the watch for a new primary after the primary of a formation was lost.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "roachrun/local_nodes.hpp"
#include "sdk/local_nodes_slot.hpp"

namespace spdlog {
class logger;
}

namespace roachrun {

// The nodes of one local target, as NodeControl drives them. REQUIRES: safe to use from two
// threads (the scenario's and NodeControl's own, for delayed actions).
class NodeBackend {
 public:
  virtual ~NodeBackend() = default;
  // What messages call the whole: "the formation", "the local server".
  virtual std::string name() const = 0;
  virtual std::string endpoint(int node) const = 0;  // "127.0.0.1:PORT"
  // Every node now. Throws StepError if that cannot be known.
  virtual std::vector<NodeStatus> status() = 0;
  // As LocalNodes::resolve.
  virtual int resolve(const std::string& node) = 0;
  // The actions on one running (kill, stop) or stopped (start) node; each logs what it did at
  // info and throws ConnectError if it cannot be done.
  virtual void kill(int node) = 0;
  virtual void stop(int node, StopMode mode) = 0;
  virtual void start(int node) = 0;
  // Whether another node takes over when the primary is lost: then NodeControl watches for it.
  virtual bool fails_over() const = 0;
  // The node that takes writes, waiting up to `limit` for one; throws ConnectError.
  virtual int primary(std::chrono::milliseconds limit) = 0;
  // Until every running node is healthy (see LocalNodes::wait_healthy); throws ConnectError or
  // StepError naming what is not after `limit`.
  virtual void wait_healthy(std::chrono::milliseconds limit) = 0;
};

// Kills, stops and starts the backend's nodes, now or after a delay. Delayed actions run on a
// thread of this object's, in the order they fall due; a failure of one is logged at once (error)
// and thrown as StepError by the next act() or wait_healthy(). When a primary that fails over is
// killed or stopped, the same thread watches for the next one and logs the failover time ("node 2
// (127.0.0.1:P) took over as primary 3.4 s after node 1 was killed"). Destroying the object (the
// end of the scenario) or Ctrl-C cancels what is still pending; the destructor joins the thread.
// REQUIRES: `backend` outlives this object.
class NodeControl final : public LocalNodes, public LocalNodesWithModes {
 public:
  // How long after the loss of a primary the watch gives up on a successor.
  static constexpr std::chrono::seconds kFailoverLimit{120};

  NodeControl(NodeBackend& backend, spdlog::logger& log, const std::atomic<bool>& interrupted);
  ~NodeControl() override;
  NodeControl(const NodeControl&) = delete;
  NodeControl& operator=(const NodeControl&) = delete;

  std::vector<NodeStatus> status() override;
  int resolve(const std::string& node) override;
  void act(NodeAction action, const std::string& node, std::chrono::milliseconds delay) override;
  void act(NodeAction action, const std::string& node, std::chrono::milliseconds delay, StopMode mode) override;
  std::vector<double> wait_healthy(std::chrono::milliseconds limit) override;

 private:
  using clock = std::chrono::steady_clock;
  struct Pending {
    clock::time_point due;
    NodeAction action;
    std::string node;
    std::chrono::milliseconds delay;
    StopMode mode;
  };
  // A primary lost at `since`, until another node takes writes (or it is the primary again).
  struct Watch {
    int lost;
    std::string how;  // "killed", "stopped"
    clock::time_point since;
  };

  void perform(NodeAction action, const std::string& node, StopMode mode);
  void start_worker();  // REQUIRES: mutex_ held
  void work();
  // One look at the watches: logs and records the failovers that are over (or failed); returns
  // those watches. Called without mutex_.
  std::vector<Watch> poll(const std::vector<Watch>& watches);
  // Waits on `lock` (of mutex_) until `done`, throwing a delayed action's failure, Interrupted,
  // or StepError naming what is outstanding at `deadline` (`limit` after the call began).
  void wait_until(std::unique_lock<std::mutex>& lock, clock::time_point deadline, std::chrono::milliseconds limit,
                  const std::function<bool()>& done);
  static std::chrono::milliseconds time_left(clock::time_point deadline);
  void cancel_all(const std::string& why);  // REQUIRES: mutex_ held
  void record_failure(const std::string& message);  // REQUIRES: mutex_ held
  void throw_failure();                              // REQUIRES: mutex_ held
  std::string outstanding() const;                   // REQUIRES: mutex_ held

  NodeBackend& backend_;
  spdlog::logger& log_;
  const std::atomic<bool>& interrupted_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Pending> pending_;
  std::vector<Watch> watches_;
  int busy_ = 0;  // delayed actions being performed now
  std::vector<double> failovers_;  // seconds, since the last wait_healthy()
  std::string failure_;            // of delayed actions and watches, not yet thrown
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace roachrun
