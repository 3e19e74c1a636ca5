// One thread's event loop for bank.workload's event engine: many clients on one thread, each a
// fiber (Boost.Context) that runs the same blocking-style code as a client thread -- the SDK's
// Connection and retry engine -- and gives the thread up whenever it would wait. The loop is the
// thread's roachrun::IoWaiter: a wait for a socket parks the fiber on epoll, a sleep on a timer,
// and the loop runs whichever fiber is ready next. Sockets stay registered (edge-triggered) from
// one wait to the next; the SDK's roachrun::SocketRenewal calls say when one may be new.
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

class EventLoop final : public roachrun::IoWaiter, public roachrun::SocketRenewal {
 public:
  EventLoop();
  ~EventLoop() override;
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Adds a fiber that runs `body` (which must not throw) when run() is called.
  void spawn(std::function<void()> body);
  // Runs the fibers until every one has returned. On the loop's own thread, with this loop
  // installed as its IoWaiter (roachrun::ScopedIoWaiter); run() installs it as the thread's
  // SocketRenewal itself.
  void run();

  // IoWaiter, for the fibers: park the calling fiber. Outside a fiber they block the thread.
  bool wait(int fd, bool read, bool write, clock::time_point deadline) override;
  void sleep_until(clock::time_point until) override;
  // SocketRenewal: `fd` may now name a socket other than the one registered under it (libpq
  // closed one and opened another, which got the same number): the next wait registers it anew.
  void socket_may_be_new(int fd) noexcept override;

 private:
  struct Task;
  struct Timer {
    clock::time_point at;
    Task* task;
    std::uint64_t wait;  // the task's wait it ends (a stale timer is skipped)
    bool operator>(const Timer& other) const noexcept { return at > other.at; }
  };

  // A descriptor's state. Each socket is registered once, edge-triggered, by the first task that
  // waits on it, and stays registered while it is open: no system call per wait but the
  // epoll_wait shared by all. An edge that came while nobody waited for it is kept in `pending`,
  // so that a later wait for it returns at once (libpq then reads, or finds nothing and waits
  // again) instead of missing it.
  struct Watch {
    Task* waiter = nullptr;     // the task parked on the descriptor, if any
    std::uint64_t owner = 0;    // Task::id of the task that registered it; 0: register anew
    std::uint32_t wanted = 0;   // the waiter's EPOLLIN / EPOLLOUT
    std::uint32_t pending = 0;  // events that came while nobody waited for them
  };

  void resume(Task& task);
  void park(Task& task);  // back to the loop until the task is made ready
  void make_ready(Task& task, bool by_event);
  Watch& watch(int fd);
  void register_socket(int fd);
  void poll_events(bool block);

  int epoll_;
  std::vector<std::unique_ptr<Task>> tasks_;
  std::uint64_t next_task_id_ = 1;
  std::deque<Task*> ready_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  std::vector<Watch> watches_;  // by descriptor
  Task* current_ = nullptr;
  struct Main;  // the loop's own context while a fiber runs (and the sanitizers' view of it)
  std::unique_ptr<Main> main_;
};

}  // namespace roachrun_bank
