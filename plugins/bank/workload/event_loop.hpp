// One thread's event loop for bank.workload's event engine: many clients on one thread, each a
// fiber (Boost.Context) that runs the same blocking-style code as a client thread -- the SDK's
// Connection and retry engine -- and gives the thread up whenever it would wait. The loop is the
// thread's roachrun::IoWaiter: a wait for a socket parks the fiber on epoll, a sleep on a timer,
// and the loop runs whichever fiber is ready next.
#pragma once

#include <sys/epoll.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <queue>
#include <vector>

#include <roachrun/io_wait.hpp>

namespace roachrun_bank {

class EventLoop final : public roachrun::IoWaiter {
 public:
  EventLoop();
  ~EventLoop() override;
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Adds a fiber that runs `body` (which must not throw) when run() is called.
  void spawn(std::function<void()> body);
  // Runs the fibers until every one has returned. On the loop's own thread, with this loop
  // installed as its IoWaiter (roachrun::ScopedIoWaiter).
  void run();

  // IoWaiter, for the fibers: park the calling fiber. Outside a fiber they block the thread.
  bool wait(int fd, bool read, bool write, clock::time_point deadline) override;
  void sleep_until(clock::time_point until) override;

 private:
  struct Task;
  struct Timer {
    clock::time_point at;
    Task* task;
    std::uint64_t wait;  // the task's wait it ends (a stale timer is skipped)
    bool operator>(const Timer& other) const noexcept { return at > other.at; }
  };

  void resume(Task& task);
  void park(Task& task);  // back to the loop until the task is made ready
  void make_ready(Task& task, bool by_event);
  void arm(int fd, bool read, bool write);
  void poll_events(bool block);

  int epoll_;
  std::vector<std::unique_ptr<Task>> tasks_;
  std::deque<Task*> ready_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  std::vector<Task*> waiting_on_fd_;  // by descriptor
  std::vector<bool> registered_;      // by descriptor: added to epoll_ (ONESHOT, re-armed per wait)
  Task* current_ = nullptr;
  struct Main;  // the loop's own context while a fiber runs (and the sanitizers' view of it)
  std::unique_ptr<Main> main_;
};

}  // namespace roachrun_bank
