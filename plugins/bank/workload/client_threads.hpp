// The workload clients' threads: each connects, then all start transferring together once every
// one is connected (so the clock, like pgbench's, leaves connection set-up out); stopped and
// joined on every way out of the step.
#pragma once

#include <atomic>
#include <chrono>
#include <latch>
#include <thread>
#include <vector>

#include "client.hpp"
#include "stats.hpp"

namespace roachrun_bank {

class ClientThreads {
 public:
  using clock = std::chrono::steady_clock;

  ClientThreads(RunControl& control, int clients) : control_(control), ready_(clients) {}
  ~ClientThreads() {
    go();
    stop_and_join();
  }
  ClientThreads(const ClientThreads&) = delete;
  ClientThreads& operator=(const ClientThreads&) = delete;

  // REQUIRES: `client` outlives this object.
  void start(WorkloadClient& client) {
    running_.fetch_add(1);
    threads_.emplace_back([this, &client] {
      const bool connected = client.connect();
      ready_.count_down();
      go_.wait();
      if (connected) client.run();
      const auto end = clock::now().time_since_epoch().count();
      auto last = last_end_.load();
      while (end > last && !last_end_.compare_exchange_weak(last, end)) {
      }
      running_.fetch_sub(1);
    });
  }
  // Waits until every client has connected (or failed to), then lets them all go.
  void wait_until_ready() { ready_.wait(); }
  void go() {
    if (!released_) go_.count_down();
    released_ = true;
  }
  bool running() const { return running_.load() > 0; }
  void stop_and_join() {
    control_.stop();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }
  // When the last client finished its last transfer: the end of the measured run.
  clock::time_point last_end() const { return clock::time_point(clock::duration(last_end_.load())); }

 private:
  RunControl& control_;
  std::vector<std::thread> threads_;
  std::atomic<int> running_{0};
  std::atomic<clock::rep> last_end_{0};
  std::latch ready_;
  std::latch go_{1};
  bool released_ = false;
};

}  // namespace roachrun_bank
