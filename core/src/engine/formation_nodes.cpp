#include "engine/formation_nodes.hpp"

#include <algorithm>
#include <exception>
#include <functional>
#include <utility>

#include <spdlog/spdlog.h>

#include "engine/local_formation.hpp"
#include "engine/target.hpp"
#include "roachrun/error.hpp"

namespace roachrun {

namespace {

const char* verb(NodeAction action) {
  switch (action) {
    case NodeAction::kill: return "kill";
    case NodeAction::stop: return "stop";
    case NodeAction::start: return "start";
    case NodeAction::restart: return "restart";
  }
  return "?";
}

const char* done(NodeAction action) {
  switch (action) {
    case NodeAction::kill: return "killed";
    case NodeAction::stop: return "stopped";
    case NodeAction::start: return "started";
    case NodeAction::restart: return "restarted";
  }
  return "?";
}

// pg_auto_failover's states of a node that takes writes.
bool is_primary_state(const std::string& state) {
  return state == "primary" || state == "wait_primary" || state == "single" || state == "join_primary" ||
         state == "apply_settings";
}

std::string seconds_text(std::chrono::nanoseconds d) {
  return fmt::format("{:.1f} s", std::chrono::duration<double>(d).count());
}

// The number `name` spells ("2"), or 0.
int number_of(const std::string& name) {
  if (name.empty() || name.size() > 3 || name.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::stoi(name);
}

std::string pending_text(NodeAction action, const std::string& node, std::chrono::milliseconds delay) {
  return fmt::format("{} {} (after {})", verb(action), node, seconds_text(delay));
}

}  // namespace

FormationNodes::FormationNodes(LocalFormation& formation, spdlog::logger& log, const std::atomic<bool>& interrupted)
    : formation_(formation), log_(log), interrupted_(interrupted) {}

FormationNodes::~FormationNodes() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (worker_.joinable()) worker_.join();
}

std::string FormationNodes::endpoint(int node) const {
  const std::vector<int> ports = formation_.ports();
  const int port = node >= 1 && node <= static_cast<int>(ports.size()) ? ports[static_cast<std::size_t>(node - 1)] : 0;
  return formation_.host() + ":" + std::to_string(port);
}

std::vector<NodeStatus> FormationNodes::status() {
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

int FormationNodes::resolve(const std::string& node) {
  const int count = static_cast<int>(formation_.ports().size());
  if (const int n = number_of(node); n >= 1 && n <= count) return n;
  if (node == "primary" || node == "standby") {
    int primary = 0;
    try {
      primary = formation_.primary(kPrimaryLimit);
    } catch (const ConnectError& e) {
      throw StepError("no node of the formation is primary after waiting " + seconds_text(kPrimaryLimit) + ": " +
                      e.what());
    }
    if (node == "primary") return primary;
    for (const NodeStatus& s : status())
      if (s.running && s.number != primary) return s.number;
    throw StepError("no standby: every node but the primary (node " + std::to_string(primary) + ") is down");
  }
  throw StepError("no node '" + node + "' in the formation: give a number from 1 to " + std::to_string(count) +
                  ", primary or standby");
}

void FormationNodes::perform(NodeAction action, const std::string& name) {
  const int n = resolve(name);
  const std::vector<NodeStatus> nodes = status();
  const auto it = std::find_if(nodes.begin(), nodes.end(), [n](const NodeStatus& s) { return s.number == n; });
  const bool running = it != nodes.end() && it->running;
  const bool primary = running && (name == "primary" || it->role == "primary");
  const std::string label = "node " + std::to_string(n) + " (" + endpoint(n) + (primary ? ", the primary)" : ")");
  if (action == NodeAction::start && running)
    throw StepError("cannot start " + label + ": it is running (kill or stop it first)");
  if (action != NodeAction::start && !running)
    throw StepError(std::string("cannot ") + verb(action) + " " + label + ": it is not running" +
                    (action == NodeAction::restart ? " (start it instead)" : ""));

  const clock::time_point since = clock::now();
  try {
    switch (action) {
      case NodeAction::kill: formation_.kill(n); break;
      case NodeAction::stop: formation_.stop(n); break;
      case NodeAction::start: formation_.start(n); break;
      case NodeAction::restart:
        formation_.stop(n);
        formation_.start(n);
        break;
    }
  } catch (const ConnectError& e) {
    throw StepError(std::string("cannot ") + verb(action) + " " + label + ": " + e.what());
  }
  log_.debug("{} {}", label, done(action));  // LocalFormation says it at info
  if (primary && (action == NodeAction::kill || action == NodeAction::stop)) {
    std::lock_guard lock(mutex_);
    watches_.push_back({n, done(action), since});
    start_worker();
    changed_.notify_all();
  }
}

void FormationNodes::act(NodeAction action, const std::string& node, std::chrono::milliseconds delay) {
  {
    std::lock_guard lock(mutex_);
    throw_failure();
    if (delay > std::chrono::milliseconds::zero()) {
      pending_.push_back({clock::now() + delay, action, node, delay});
      log_.info("node action scheduled: {} {} in {}", verb(action), node, seconds_text(delay));
      start_worker();
      changed_.notify_all();
      return;
    }
  }
  perform(action, node);
}

std::vector<double> FormationNodes::wait_healthy(std::chrono::milliseconds limit) {
  const clock::time_point deadline = clock::now() + limit;
  std::unique_lock lock(mutex_);
  wait_until(lock, deadline, limit, [this] { return pending_.empty() && busy_ == 0; });
  if (interrupted_) throw Interrupted();  // what was pending was cancelled, not done
  lock.unlock();
  int primary = 0;
  try {
    formation_.wait_healthy(time_left(deadline));
    primary = formation_.primary(time_left(deadline));
  } catch (const ConnectError& e) {
    throw StepError("the formation is not healthy after " + seconds_text(limit) + ": " + e.what());
  }
  lock.lock();
  // Healthy with a primary: the worker sees each failover within a poll -- unless the lost
  // primary was started again and the monitor kept it, which is no failover.
  wait_until(lock, deadline, limit, [&] {
    return std::all_of(watches_.begin(), watches_.end(), [&](const Watch& w) { return w.lost == primary; });
  });
  for (const Watch& w : watches_)
    log_.info("node {} ({}) is the primary again, {} after it was {}: no other node took over", w.lost,
              endpoint(w.lost), seconds_text(clock::now() - w.since), w.how);
  watches_.clear();
  throw_failure();
  return std::exchange(failovers_, {});
}

void FormationNodes::wait_until(std::unique_lock<std::mutex>& lock, clock::time_point deadline,
                                std::chrono::milliseconds limit, const std::function<bool()>& done) {
  for (;;) {
    throw_failure();
    if (done()) return;
    if (interrupted_) throw Interrupted();
    const clock::time_point now = clock::now();
    if (now >= deadline)
      throw StepError("the formation is not settled after " + seconds_text(limit) + ": " + outstanding());
    changed_.wait_for(lock, std::min<clock::duration>(std::chrono::milliseconds(100), deadline - now));
  }
}

std::chrono::milliseconds FormationNodes::time_left(clock::time_point deadline) {
  return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()),
                  std::chrono::milliseconds(1));
}

void FormationNodes::start_worker() {
  if (!worker_.joinable()) worker_ = std::thread([this] { work(); });
}

void FormationNodes::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (stopping_ || interrupted_) {
      cancel_all(stopping_ ? "the scenario ended first" : "interrupted");
      return;
    }
    const clock::time_point now = clock::now();
    auto due = std::min_element(pending_.begin(), pending_.end(),
                                [](const Pending& a, const Pending& b) { return a.due < b.due; });
    if (due != pending_.end() && due->due <= now) {
      const Pending p = *due;
      pending_.erase(due);
      ++busy_;
      lock.unlock();
      std::string failure;
      try {
        perform(p.action, p.node);
      } catch (const Interrupted&) {
        // Ctrl-C stopped it; the run is unwinding and says so itself.
      } catch (const std::exception& e) {
        failure = "node action " + pending_text(p.action, p.node, p.delay) + " failed: " + e.what();
      }
      lock.lock();
      --busy_;
      if (!failure.empty()) record_failure(failure);
      changed_.notify_all();
      continue;
    }
    if (!watches_.empty()) {
      // Polled from a copy: the watches stay listed (wait_healthy() waits for them) until over.
      const std::vector<Watch> watches = watches_;
      lock.unlock();
      const std::vector<Watch> over = poll(watches);
      lock.lock();
      std::erase_if(watches_, [&over](const Watch& w) {
        return std::any_of(over.begin(), over.end(), [&w](const Watch& o) { return o.lost == w.lost && o.since == w.since; });
      });
      changed_.notify_all();
    }
    if (pending_.empty() && watches_.empty()) {
      // Nothing to do until an action is scheduled or the object goes; Ctrl-C has nothing to cancel.
      changed_.wait(lock, [this] { return stopping_ || !pending_.empty() || !watches_.empty(); });
      continue;
    }
    clock::duration sleep = std::chrono::milliseconds(100);  // the watches' poll, and Ctrl-C's latency
    for (const Pending& p : pending_) sleep = std::min<clock::duration>(sleep, p.due - clock::now());
    if (sleep > clock::duration::zero()) changed_.wait_for(lock, sleep);
  }
}

std::vector<FormationNodes::Watch> FormationNodes::poll(const std::vector<Watch>& watches) {
  std::vector<Watch> over;
  std::vector<std::string> failures;
  std::vector<double> times;
  for (const Watch& w : watches) {
    int primary = 0;
    try {
      primary = formation_.primary(std::chrono::milliseconds(100));
    } catch (const Error&) {
      // None takes writes yet: the failover is under way.
    }
    const auto took = clock::now() - w.since;
    if (primary != 0 && primary != w.lost) {
      log_.info("node {} ({}) took over as primary {} after node {} was {}", primary, endpoint(primary),
                seconds_text(took), w.lost, w.how);
      times.push_back(std::chrono::duration<double>(took).count());
      over.push_back(w);
    } else if (took > kFailoverLimit && primary == w.lost) {
      // Started again and kept by the monitor (wait_healthy() says so sooner): no failover.
      over.push_back(w);
    } else if (took > kFailoverLimit) {
      failures.push_back("no node took over as primary within " + seconds_text(kFailoverLimit) + " after node " +
                         std::to_string(w.lost) + " was " + w.how);
      over.push_back(w);
    }
  }
  std::lock_guard lock(mutex_);
  failovers_.insert(failovers_.end(), times.begin(), times.end());
  for (const auto& f : failures) record_failure(f);
  return over;
}

void FormationNodes::cancel_all(const std::string& why) {
  for (const Pending& p : pending_)
    log_.warn("node action {} not done: {}", pending_text(p.action, p.node, p.delay), why);
  for (const Watch& w : watches_)
    log_.warn("stopped waiting for a new primary after node {} was {}: {}", w.lost, w.how, why);
  pending_.clear();
  watches_.clear();
  changed_.notify_all();
}

void FormationNodes::record_failure(const std::string& message) {
  log_.error("{}", message);
  failure_ += (failure_.empty() ? "" : "; ") + message;
}

void FormationNodes::throw_failure() {
  if (failure_.empty()) return;
  throw StepError(std::exchange(failure_, {}));
}

std::string FormationNodes::outstanding() const {
  std::string text;
  const clock::time_point now = clock::now();
  for (const Pending& p : pending_)
    text += (text.empty() ? "" : ", ") + pending_text(p.action, p.node, p.delay) + " due in " +
            seconds_text(std::max<clock::duration>(p.due - now, clock::duration::zero()));
  if (busy_ > 0) text += (text.empty() ? "" : ", ") + std::string("a node action under way");
  for (const Watch& w : watches_)
    text += (text.empty() ? "" : ", ") + ("no new primary yet after node " + std::to_string(w.lost) + " was " + w.how);
  return text;
}

ScenarioNodes::ScenarioNodes(const Target& target, spdlog::logger& log, const std::atomic<bool>& interrupted)
    : target_(target),
      log_(log),
      interrupted_(interrupted),
      installed_(LocalNodesProvider{[this] { return nodes(); }, [this] { return target_.describe(); }}) {}

ScenarioNodes::~ScenarioNodes() = default;

LocalNodes* ScenarioNodes::nodes() {
  std::lock_guard lock(mutex_);
  if (!nodes_)
    if (LocalFormation* formation = target_.formation())
      nodes_ = std::make_unique<FormationNodes>(*formation, log_, interrupted_);
  return nodes_.get();
}

}  // namespace roachrun
