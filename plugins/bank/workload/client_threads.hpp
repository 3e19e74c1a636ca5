// The workload clients' threads: each client connects, then all start transferring together once
// every one is connected (so the clock, like pgbench's, leaves connection set-up out); stopped and
// joined on every way out of the step.
//
// Two engines run the same WorkloadClient code: `threads` (the default), one thread per client,
// blocking in libpq; `events`, a few threads (one per core unless told), each an EventLoop
// running its share of the clients as fibers over non-blocking sessions and epoll.
#pragma once

#include <atomic>
#include <chrono>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

#include "client.hpp"
#include "config.hpp"
#include "stats.hpp"

namespace roachrun_bank {

class ClientThreads {
 public:
  using clock = std::chrono::steady_clock;

  // `config.engine` and `config.threads` choose how the clients run.
  ClientThreads(RunControl& control, const WorkloadConfig& config);
  ~ClientThreads();
  ClientThreads(const ClientThreads&) = delete;
  ClientThreads& operator=(const ClientThreads&) = delete;

  // Starts every client: each connects at once. REQUIRES: the clients outlive this object, and
  // there are as many as config.clients.
  void start(const std::vector<std::unique_ptr<WorkloadClient>>& clients);
  // Waits until every client has connected (or failed to), then lets them all go.
  void wait_until_ready() { ready_.wait(); }
  void go() {
    if (!released_) go_.count_down();
    released_ = true;
  }
  bool running() const { return running_.load() > 0; }
  void stop_and_join();
  // When the last client finished its last transfer: the end of the measured run.
  clock::time_point last_end() const { return clock::time_point(clock::duration(last_end_.load())); }
  // The threads the clients run on.
  int thread_count() const noexcept { return static_cast<int>(threads_.size()); }

 private:
  // What a client does on either engine once its run() returned (or it never ran).
  void finished();
  void run_thread_per_client(WorkloadClient& client);
  void run_event_thread(std::vector<WorkloadClient*> clients);

  RunControl& control_;
  WorkloadEngine engine_;
  int threads_wanted_;
  std::vector<std::thread> threads_;
  std::atomic<int> running_{0};
  std::atomic<clock::rep> last_end_{0};
  std::latch ready_;
  std::latch go_{1};
  bool released_ = false;
};

}  // namespace roachrun_bank
