#include "engine/node_control.hpp"

#include <algorithm>
#include <exception>
#include <functional>
#include <utility>

#include <spdlog/spdlog.h>

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

std::string seconds_text(std::chrono::nanoseconds d) {
  return fmt::format("{:.1f} s", std::chrono::duration<double>(d).count());
}

bool stops(NodeAction action) { return action == NodeAction::stop || action == NodeAction::restart; }

std::string pending_text(NodeAction action, const std::string& node, std::chrono::milliseconds delay, StopMode mode) {
  return fmt::format("{} {} ({}after {})", verb(action), node,
                     stops(action) && mode == StopMode::immediate ? "immediate, " : "", seconds_text(delay));
}

}  // namespace

NodeControl::NodeControl(NodeBackend& backend, spdlog::logger& log, const std::atomic<bool>& interrupted)
    : backend_(backend), log_(log), interrupted_(interrupted) {}

NodeControl::~NodeControl() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (worker_.joinable()) worker_.join();
}

std::vector<NodeStatus> NodeControl::status() { return backend_.status(); }

int NodeControl::resolve(const std::string& node) { return backend_.resolve(node); }

void NodeControl::perform(NodeAction action, const std::string& name, StopMode mode) {
  const int n = resolve(name);
  const std::vector<NodeStatus> nodes = status();
  const auto it = std::find_if(nodes.begin(), nodes.end(), [n](const NodeStatus& s) { return s.number == n; });
  const bool running = it != nodes.end() && it->running;
  const bool primary = running && (name == "primary" || it->role == "primary");
  const std::string label = "node " + std::to_string(n) + " (" + backend_.endpoint(n) + (primary ? ", the primary)" : ")");
  if (action == NodeAction::start && running)
    throw StepError("cannot start " + label + ": it is running (kill or stop it first)");
  if (action != NodeAction::start && !running)
    throw StepError(std::string("cannot ") + verb(action) + " " + label + ": it is not running" +
                    (action == NodeAction::restart ? " (start it instead)" : ""));

  const clock::time_point since = clock::now();
  try {
    switch (action) {
      case NodeAction::kill: backend_.kill(n); break;
      case NodeAction::stop: backend_.stop(n, mode); break;
      case NodeAction::start: backend_.start(n); break;
      case NodeAction::restart:
        backend_.stop(n, mode);
        backend_.start(n);
        break;
    }
  } catch (const ConnectError& e) {
    throw StepError(std::string("cannot ") + verb(action) + " " + label + ": " + e.what());
  }
  log_.debug("{} {}", label, done(action));  // the backend says it at info
  if (primary && backend_.fails_over() && (action == NodeAction::kill || action == NodeAction::stop)) {
    std::lock_guard lock(mutex_);
    watches_.push_back({n, done(action), since});
    start_worker();
    changed_.notify_all();
  }
}

void NodeControl::act(NodeAction action, const std::string& node, std::chrono::milliseconds delay) {
  act(action, node, delay, StopMode::fast);
}

void NodeControl::act(NodeAction action, const std::string& node, std::chrono::milliseconds delay, StopMode mode) {
  {
    std::lock_guard lock(mutex_);
    throw_failure();
    if (delay > std::chrono::milliseconds::zero()) {
      pending_.push_back({clock::now() + delay, action, node, delay, mode});
      log_.info("node action scheduled: {} {}{} in {}", verb(action), node,
                stops(action) && mode == StopMode::immediate ? " (immediate)" : "", seconds_text(delay));
      start_worker();
      changed_.notify_all();
      return;
    }
  }
  perform(action, node, mode);
}

std::vector<double> NodeControl::wait_healthy(std::chrono::milliseconds limit) {
  const clock::time_point deadline = clock::now() + limit;
  std::unique_lock lock(mutex_);
  wait_until(lock, deadline, limit, [this] { return pending_.empty() && busy_ == 0; });
  if (interrupted_) throw Interrupted();  // what was pending was cancelled, not done
  lock.unlock();
  int primary = 0;
  try {
    backend_.wait_healthy(time_left(deadline));
    if (backend_.fails_over()) primary = backend_.primary(time_left(deadline));
  } catch (const ConnectError& e) {
    throw StepError(backend_.name() + " is not healthy after " + seconds_text(limit) + ": " + e.what());
  }
  lock.lock();
  // Healthy with a primary: the worker sees each failover within a poll -- unless the lost
  // primary was started again and the monitor kept it, which is no failover.
  wait_until(lock, deadline, limit, [&] {
    return std::all_of(watches_.begin(), watches_.end(), [&](const Watch& w) { return w.lost == primary; });
  });
  for (const Watch& w : watches_)
    log_.info("node {} ({}) is the primary again, {} after it was {}: no other node took over", w.lost,
              backend_.endpoint(w.lost), seconds_text(clock::now() - w.since), w.how);
  watches_.clear();
  throw_failure();
  return std::exchange(failovers_, {});
}

void NodeControl::wait_until(std::unique_lock<std::mutex>& lock, clock::time_point deadline,
                                std::chrono::milliseconds limit, const std::function<bool()>& done) {
  for (;;) {
    throw_failure();
    if (done()) return;
    if (interrupted_) throw Interrupted();
    const clock::time_point now = clock::now();
    if (now >= deadline)
      throw StepError(backend_.name() + " is not settled after " + seconds_text(limit) + ": " + outstanding());
    changed_.wait_for(lock, std::min<clock::duration>(std::chrono::milliseconds(100), deadline - now));
  }
}

std::chrono::milliseconds NodeControl::time_left(clock::time_point deadline) {
  return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()),
                  std::chrono::milliseconds(1));
}

void NodeControl::start_worker() {
  if (!worker_.joinable()) worker_ = std::thread([this] { work(); });
}

void NodeControl::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (stopping_ || interrupted_) {
      // Ctrl-C first: it is also why the scenario ended, when both are seen.
      cancel_all(interrupted_ ? "interrupted" : "the scenario ended first");
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
        perform(p.action, p.node, p.mode);
      } catch (const Interrupted&) {
        // Ctrl-C stopped it; the run is unwinding and says so itself.
      } catch (const std::exception& e) {
        failure = "node action " + pending_text(p.action, p.node, p.delay, p.mode) + " failed: " + e.what();
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

std::vector<NodeControl::Watch> NodeControl::poll(const std::vector<Watch>& watches) {
  std::vector<Watch> over;
  std::vector<std::string> failures;
  std::vector<double> times;
  for (const Watch& w : watches) {
    int primary = 0;
    try {
      primary = backend_.primary(std::chrono::milliseconds(100));
    } catch (const Error&) {
      // None takes writes yet: the failover is under way.
    }
    const auto took = clock::now() - w.since;
    if (primary != 0 && primary != w.lost) {
      log_.info("node {} ({}) took over as primary {} after node {} was {}", primary, backend_.endpoint(primary),
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

void NodeControl::cancel_all(const std::string& why) {
  for (const Pending& p : pending_)
    log_.warn("node action {} not done: {}", pending_text(p.action, p.node, p.delay, p.mode), why);
  for (const Watch& w : watches_)
    log_.warn("stopped waiting for a new primary after node {} was {}: {}", w.lost, w.how, why);
  pending_.clear();
  watches_.clear();
  changed_.notify_all();
}

void NodeControl::record_failure(const std::string& message) {
  log_.error("{}", message);
  failure_ += (failure_.empty() ? "" : "; ") + message;
}

void NodeControl::throw_failure() {
  if (failure_.empty()) return;
  throw StepError(std::exchange(failure_, {}));
}

std::string NodeControl::outstanding() const {
  std::string text;
  const clock::time_point now = clock::now();
  for (const Pending& p : pending_)
    text += (text.empty() ? "" : ", ") + pending_text(p.action, p.node, p.delay, p.mode) + " due in " +
            seconds_text(std::max<clock::duration>(p.due - now, clock::duration::zero()));
  if (busy_ > 0) text += (text.empty() ? "" : ", ") + std::string("a node action under way");
  for (const Watch& w : watches_)
    text += (text.empty() ? "" : ", ") + ("no new primary yet after node " + std::to_string(w.lost) + " was " + w.how);
  return text;
}

}  // namespace roachrun
