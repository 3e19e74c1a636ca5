// Ctrl-C and SIGTERM: the first one sets the interrupted flag and cancels the statement in flight
// on every open Connection (the SDK's cancel registry: the core's, the steps' own, reconnected
// ones), so the run unwinds normally (rolling back, stopping the local server, removing its
// directory) and exits 130; connecting after it throws Interrupted. Sessions on CockroachDB before
// v22.1, which ignores cancel requests, are closed instead, with a word on stderr that their
// statements may still run on the server. A second one exits at once,
// after an immediate shutdown of the local server (or every node of the local formation) and the
// removal of its directory.
#pragma once

#include <atomic>

namespace roachrun {

class Interrupts {
 public:
  // Blocks SIGINT/SIGTERM/SIGHUP in the calling thread and starts the thread that waits for them.
  // REQUIRES: called from main() before any other thread starts, so every thread inherits the
  // mask. Idempotent.
  static Interrupts& install();
  // The instance, whether or not install() ran (tests use it without signals).
  static Interrupts& instance();

  const std::atomic<bool>& flag() const noexcept { return interrupted_; }
  // What a signal does: sets flag(), then cancels every connection's statement (in that order,
  // so whoever sees a statement fail with 57014 also sees the flag). Process-wide and for good:
  // later connects throw Interrupted.
  void interrupt() noexcept;

 private:
  Interrupts() = default;
  std::atomic<bool> interrupted_{false};
};

}  // namespace roachrun
