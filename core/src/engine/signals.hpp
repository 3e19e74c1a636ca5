// Ctrl-C and SIGTERM: the first one sets the interrupted flag and cancels the statements in
// flight, so the run unwinds normally (rolling back, stopping the local server, removing its
// directory) and exits 130. A second one exits at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include <libpq-fe.h>

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
  void interrupt() noexcept;  // what a signal does; also for tests

  // Statements on `conn` are cancelled on interrupt until remove() is called with the token.
  std::uint64_t add(PGconn* conn);
  void remove(std::uint64_t token) noexcept;

 private:
  Interrupts() = default;
  std::atomic<bool> interrupted_{false};
  std::mutex mutex_;
  std::unordered_map<std::uint64_t, PGcancel*> cancels_;
  std::uint64_t next_ = 1;
};

}  // namespace roachrun
