// The SDK's node control (<roachrun/local_nodes.hpp>) over the run's LocalFormation, and its
// installation for the scenario being run, so that roachrun::local_nodes(ctx) finds it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
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

class LocalFormation;
class Target;

// Kills, stops and starts the formation's nodes, now or after a delay. Delayed actions run on a
// thread of this object's, in the order they fall due; a failure of one is logged at once (error)
// and thrown as StepError by the next act() or wait_healthy(). When a primary is killed or
// stopped, the same thread watches for the next one and logs the failover time ("node 2
// (127.0.0.1:P) took over as primary 3.4 s after node 1 was killed"). Destroying the object
// (the end of the scenario) or Ctrl-C cancels what is still pending; the destructor joins the
// thread. REQUIRES: `formation` outlives this object and is safe to use from two threads.
class FormationNodes final : public LocalNodes {
 public:
  // How long after the loss of a primary the watch gives up on a successor.
  static constexpr std::chrono::seconds kFailoverLimit{120};
  // How long resolve("primary") waits for one (a failover may be under way).
  static constexpr std::chrono::seconds kPrimaryLimit{30};

  FormationNodes(LocalFormation& formation, spdlog::logger& log, const std::atomic<bool>& interrupted);
  ~FormationNodes() override;
  FormationNodes(const FormationNodes&) = delete;
  FormationNodes& operator=(const FormationNodes&) = delete;

  std::vector<NodeStatus> status() override;
  int resolve(const std::string& node) override;
  void act(NodeAction action, const std::string& node, std::chrono::milliseconds delay) override;
  std::vector<double> wait_healthy(std::chrono::milliseconds limit) override;

 private:
  using clock = std::chrono::steady_clock;
  struct Pending {
    clock::time_point due;
    NodeAction action;
    std::string node;
    std::chrono::milliseconds delay;
  };
  // A primary lost at `since`, until another node takes writes (or it is the primary again).
  struct Watch {
    int lost;
    std::string how;  // "killed", "stopped"
    clock::time_point since;
  };

  void perform(NodeAction action, const std::string& node);
  std::string endpoint(int node) const;
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

  LocalFormation& formation_;
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

// Node control for one scenario's run on `target`: while it lives, local_nodes(ctx) answers with
// a FormationNodes over target.formation() (made, and the formation started, on first use), or
// refuses with target.describe() when the target is no formation. Its destruction cancels the
// scenario's pending node actions.
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
  std::unique_ptr<FormationNodes> nodes_;
  LocalNodesInstalled installed_;  // after nodes_: cleared before nodes_ goes
};

}  // namespace roachrun
