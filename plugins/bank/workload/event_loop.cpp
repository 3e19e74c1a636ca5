#include "event_loop.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include <boost/context/fiber.hpp>
#include <boost/context/preallocated.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>

// Fiber switches are announced to the sanitizers, whose view of "the stack" would otherwise be
// wrong after every switch (false reports on the exceptions a retried transfer throws).
#if defined(__SANITIZE_ADDRESS__)
#define ROACHRUN_FIBER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ROACHRUN_FIBER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define ROACHRUN_FIBER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ROACHRUN_FIBER_TSAN 1
#endif
#endif
#ifdef ROACHRUN_FIBER_ASAN
#include <sanitizer/asan_interface.h>
#endif
#ifdef ROACHRUN_FIBER_TSAN
#include <sanitizer/tsan_interface.h>
#endif

// The C++ runtime keeps the exceptions being handled per thread (the Itanium ABI's
// __cxa_eh_globals: the stack of caught exceptions, the count of uncaught ones). A fiber that
// parks inside a catch block -- the retry engine backs off and reconnects in its handler --
// would otherwise have its exception ended by another fiber's handler on the same thread, and
// then read a destroyed one. So each fiber keeps its own copy, swapped in and out around every
// switch (as Folly's fibers do).
namespace __cxxabiv1 {
struct __cxa_eh_globals;
extern "C" __cxa_eh_globals* __cxa_get_globals() noexcept;
}  // namespace __cxxabiv1

namespace roachrun_bank {

namespace ctx = boost::context;

namespace {
struct ExceptionState {  // the layout of __cxa_eh_globals (libstdc++ and libc++abi, x86-64)
  void* caught_exceptions = nullptr;
  unsigned int uncaught_exceptions = 0;
};
ExceptionState& thread_exception_state() noexcept {
  return *reinterpret_cast<ExceptionState*>(__cxxabiv1::__cxa_get_globals());
}
}  // namespace

namespace {
// A client's deepest stack is a TLS handshake or an exception unwinding through libpq's callers:
// tens of KiB. Pages are touched only as used; the guard page turns an overflow into a crash.
#if defined(ROACHRUN_FIBER_ASAN) || defined(ROACHRUN_FIBER_TSAN)
constexpr std::size_t kStackSize = 1024 * 1024;  // instrumented frames are several times larger
#else
constexpr std::size_t kStackSize = 256 * 1024;
#endif
}  // namespace

struct EventLoop::Task {
  std::function<void()> body;
  std::uint64_t id = 0;  // unique in the loop's life: a Watch's owner (addresses are reused)
  ctx::fiber fiber;  // the task's context while it is suspended
  std::uint64_t wait = 0;
  bool by_event = false;  // how the last wait ended
  bool queued = false;
  bool done = false;
  ExceptionState exceptions;  // the task's while it is suspended
  void* stack_bottom = nullptr;
  std::size_t stack_size = 0;
#ifdef ROACHRUN_FIBER_ASAN
  void* fake_stack = nullptr;
#endif
#ifdef ROACHRUN_FIBER_TSAN
  void* tsan_fiber = nullptr;
#endif
};

struct EventLoop::Main {
  ctx::fiber fiber;  // the loop's context while a task runs
  const void* stack_bottom = nullptr;
  std::size_t stack_size = 0;
#ifdef ROACHRUN_FIBER_ASAN
  void* fake_stack = nullptr;
#endif
#ifdef ROACHRUN_FIBER_TSAN
  void* tsan_fiber = nullptr;
#endif
};

EventLoop::EventLoop() : epoll_(epoll_create1(EPOLL_CLOEXEC)), main_(std::make_unique<Main>()) {
  if (epoll_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
}

EventLoop::~EventLoop() { ::close(epoll_); }

void EventLoop::spawn(std::function<void()> body) {
  auto task = std::make_unique<Task>();
  task->body = std::move(body);
  task->id = next_task_id_++;
  Task* t = task.get();
  ctx::protected_fixedsize_stack allocator(kStackSize);
  const ctx::stack_context stack = allocator.allocate();
  // The stack's extent, for the sanitizers: sp is its top.
  t->stack_bottom = static_cast<char*>(stack.sp) - stack.size;
  t->stack_size = stack.size;
  t->fiber = ctx::fiber(std::allocator_arg, ctx::preallocated(stack.sp, stack.size, stack), allocator,
                        [this, t](ctx::fiber&& loop) {
    main_->fiber = std::move(loop);
#ifdef ROACHRUN_FIBER_ASAN
    __sanitizer_finish_switch_fiber(nullptr, &main_->stack_bottom, &main_->stack_size);
#endif
    try {
      t->body();
    } catch (const ctx::detail::forced_unwind&) {
      throw;  // a fiber destroyed while suspended unwinds through here
    } catch (...) {
      // body() must not throw; if it does, the fiber ends and the loop goes on.
    }
    t->done = true;
#ifdef ROACHRUN_FIBER_ASAN
    __sanitizer_start_switch_fiber(nullptr, main_->stack_bottom, main_->stack_size);  // this stack ends
#endif
#ifdef ROACHRUN_FIBER_TSAN
    __tsan_switch_to_fiber(main_->tsan_fiber, 0);
#endif
    return std::move(main_->fiber);
  });
#ifdef ROACHRUN_FIBER_TSAN
  t->tsan_fiber = __tsan_create_fiber(0);
#endif
  tasks_.push_back(std::move(task));
  make_ready(*t, false);
}

void EventLoop::make_ready(Task& task, bool by_event) {
  if (task.queued || task.done) return;
  ++task.wait;  // whatever else was to end this wait is stale now
  task.by_event = by_event;
  task.queued = true;
  ready_.push_back(&task);
}

void EventLoop::resume(Task& task) {
  current_ = &task;
#ifdef ROACHRUN_FIBER_ASAN
  __sanitizer_start_switch_fiber(&main_->fake_stack, task.stack_bottom, task.stack_size);
#endif
#ifdef ROACHRUN_FIBER_TSAN
  if (!main_->tsan_fiber) main_->tsan_fiber = __tsan_get_current_fiber();
  __tsan_switch_to_fiber(task.tsan_fiber, 0);
#endif
  ExceptionState& exceptions = thread_exception_state();
  const ExceptionState loops = exceptions;
  exceptions = task.exceptions;
  task.fiber = std::move(task.fiber).resume();
#ifdef ROACHRUN_FIBER_ASAN
  __sanitizer_finish_switch_fiber(main_->fake_stack, nullptr, nullptr);
#endif
  task.exceptions = exceptions;
  exceptions = loops;
  current_ = nullptr;
}

void EventLoop::park(Task& task) {
  task.queued = false;
#ifdef ROACHRUN_FIBER_ASAN
  __sanitizer_start_switch_fiber(&task.fake_stack, main_->stack_bottom, main_->stack_size);
#endif
#ifdef ROACHRUN_FIBER_TSAN
  __tsan_switch_to_fiber(main_->tsan_fiber, 0);
#endif
  main_->fiber = std::move(main_->fiber).resume();
#ifdef ROACHRUN_FIBER_ASAN
  const void* bottom = nullptr;
  std::size_t size = 0;
  __sanitizer_finish_switch_fiber(task.fake_stack, &bottom, &size);
  main_->stack_bottom = bottom;
  main_->stack_size = size;
#endif
}

EventLoop::Watch& EventLoop::watch(int fd) {
  const auto index = static_cast<std::size_t>(fd);
  if (index >= watches_.size()) watches_.resize(index + 1);
  return watches_[index];
}

void EventLoop::register_socket(int fd) {
  epoll_event event{};
  // Edge-triggered: an event each time the socket becomes readable (each arrival) or writable.
  // Adding (or modifying) checks the socket's state at once, so what is already there is seen.
  event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  event.data.fd = fd;
  // EEXIST: the number is registered under this loop and still open: the registration is
  // renewed (and the socket's state checked again).
  if (epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event) != 0 &&
      (errno != EEXIST || epoll_ctl(epoll_, EPOLL_CTL_MOD, fd, &event) != 0))
    throw std::system_error(errno, std::generic_category(), "epoll_ctl on descriptor " + std::to_string(fd));
}

namespace {
constexpr std::uint32_t kEnded = EPOLLERR | EPOLLHUP | EPOLLRDHUP;  // every wait ends at once from then on
}  // namespace

bool EventLoop::wait(int fd, bool read, bool write, clock::time_point deadline) {
  Task* task = current_;
  if (!task) {  // not in a fiber (the loop's own thread outside run()): block
    pollfd p{fd, static_cast<short>((read ? POLLIN : 0) | (write ? POLLOUT : 0)), 0};
    const auto ms = deadline == clock::time_point::max()
                        ? -1
                        : static_cast<int>(std::max<std::int64_t>(
                              0, std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now()).count()));
    return ::poll(&p, 1, ms) != 0;
  }
  if (fd < 0) return true;  // no socket: let libpq report it
  const std::uint32_t wanted = (read ? EPOLLIN : 0u) | (write ? EPOLLOUT : 0u);
  {
    Watch& w = watch(fd);
    // A socket is registered by the task that waits on it. Another task's, or one announced as
    // possibly new (socket_may_be_new), may be another socket under a number used before.
    if (w.owner != task->id) {
      register_socket(fd);
      w = Watch{nullptr, task->id, 0, 0};
    } else if (w.pending & (wanted | kEnded)) {
      w.pending &= ~wanted;  // an edge that came before this wait: the caller tries again
      return true;
    }
    w.waiter = task;
    w.wanted = wanted;
  }
  if (deadline != clock::time_point::max()) timers_.push({deadline, task, task->wait});
  park(*task);
  Watch& w = watch(fd);  // watches_ may have grown meanwhile
  if (w.waiter == task) w.waiter = nullptr;  // timed out: a later event is kept as pending
  return task->by_event;
}

void EventLoop::socket_may_be_new(int fd) noexcept {
  if (fd >= 0 && static_cast<std::size_t>(fd) < watches_.size()) watches_[static_cast<std::size_t>(fd)].owner = 0;
}

void EventLoop::sleep_until(clock::time_point until) {
  Task* task = current_;
  if (!task) {
    std::this_thread::sleep_until(until);
    return;
  }
  timers_.push({until, task, task->wait});
  park(*task);
}

void EventLoop::poll_events(bool block) {
  int timeout = 0;
  if (block && !timers_.empty()) {
    timeout = static_cast<int>(std::max<std::int64_t>(
        0, std::chrono::ceil<std::chrono::milliseconds>(timers_.top().at - clock::now()).count()));
  } else if (block) {
    timeout = -1;
  }
  epoll_event events[64];
  const int n = epoll_wait(epoll_, events, 64, timeout);
  if (n < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "epoll_wait");
  for (int i = 0; i < n; ++i) {
    Watch& w = watch(events[i].data.fd);
    const std::uint32_t what = events[i].events;
    if (w.waiter && (what & (w.wanted | kEnded))) {
      Task* task = w.waiter;
      w.waiter = nullptr;
      w.pending |= what & ~w.wanted;
      make_ready(*task, true);
    } else {
      w.pending |= what;
    }
  }
  const auto now = clock::now();
  while (!timers_.empty() && timers_.top().at <= now) {
    const Timer timer = timers_.top();
    timers_.pop();
    if (timer.task->wait == timer.wait) make_ready(*timer.task, false);
  }
}

void EventLoop::run() {
  // The loop's registrations are only right if it hears of every socket that may be new.
  roachrun::ScopedSocketRenewal renewal(this);
  std::size_t live = 0;
  for (const auto& task : tasks_) live += task->done ? 0 : 1;
  while (live > 0) {
    // Run what is ready (a bounded round, so sockets that became ready meanwhile are seen), then
    // look for events: without waiting while work remains, else until the next timer.
    for (std::size_t round = ready_.size(); round > 0 && !ready_.empty(); --round) {
      Task* task = ready_.front();
      ready_.pop_front();
      resume(*task);
      if (task->done) {
        --live;
#ifdef ROACHRUN_FIBER_TSAN
        __tsan_destroy_fiber(task->tsan_fiber);
        task->tsan_fiber = nullptr;
#endif
      }
    }
    if (live == 0) break;
    poll_events(ready_.empty());
  }
  // The finished fibers' stacks go back now, not when the loop does. Every task has ended, so
  // the timers left (a wait that its socket ended first) are stale and would point at freed
  // tasks in the next run -- or at a new task allocated at the same address.
  timers_ = {};
  for (Watch& w : watches_) w.waiter = nullptr;
  std::erase_if(tasks_, [](const std::unique_ptr<Task>& task) { return task->done; });
}

}  // namespace roachrun_bank
