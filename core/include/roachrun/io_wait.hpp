// Waiting for a socket or a time without blocking the thread: the hook an event loop installs so
// that the SDK's blocking calls (Connection's statements and connects, the retry engine's backoff
// and reconnect waits) give the thread to other work instead of sleeping in the kernel.
//
// Without a waiter -- the default -- every call blocks its thread as libpq does. A step that runs
// many clients on a few threads (bank.workload's event engine) runs each client as a fiber and
// installs, on each of its threads, a waiter that switches to another ready fiber until the
// socket or the time comes. The SDK's code is the same either way: one retry engine, one
// Connection. (SDK 3.5.)
#pragma once

#include <chrono>

#include "roachrun/export.hpp"

namespace roachrun {

class IoWaiter {
 public:
  using clock = std::chrono::steady_clock;
  virtual ~IoWaiter() = default;
  // Returns once `fd` is readable (`read`) or writable (`write`) -- or closed, or in error, which
  // the caller's next libpq call reports -- true; false if `deadline` came first.
  virtual bool wait(int fd, bool read, bool write, clock::time_point deadline) = 0;
  // Returns at `until` (or a little later).
  virtual void sleep_until(clock::time_point until) = 0;
};

// The calling thread's waiter; nullptr (the default) means block.
ROACHRUN_API IoWaiter* current_io_waiter() noexcept;
// Installs `waiter` for the calling thread (nullptr: block again). A Connection opened under a
// waiter stays non-blocking; used on a thread without one, its waits block in poll(2).
ROACHRUN_API void set_current_io_waiter(IoWaiter* waiter) noexcept;

// For a waiter that keeps each socket registered from one wait to the next (an edge-triggered
// epoll set) instead of registering it anew for every wait, which costs a system call each time.
// Such a registration follows the socket, not its number: libpq closes and opens sockets while it
// connects (the next address or host, a retry without TLS), a reconnect opens a new session, and
// a new socket may get a number just closed. So before every wait on the socket of a session
// being connected, the SDK tells the thread's SocketRenewal, when one is installed, that the
// number may name a new socket. A connected session's socket stays the same until it is closed.
// Without one -- the default, and every waiter built for SDK 3.5 -- nothing is called. (SDK 3.6.)
class SocketRenewal {
 public:
  virtual ~SocketRenewal() = default;
  virtual void socket_may_be_new(int fd) noexcept = 0;
};

// The calling thread's SocketRenewal; nullptr (the default) means none.
ROACHRUN_API SocketRenewal* current_socket_renewal() noexcept;
ROACHRUN_API void set_current_socket_renewal(SocketRenewal* renewal) noexcept;

// Installs a waiter for a scope, restoring the one before.
class ScopedIoWaiter {
 public:
  explicit ScopedIoWaiter(IoWaiter* waiter) noexcept : before_(current_io_waiter()) { set_current_io_waiter(waiter); }
  ~ScopedIoWaiter() { set_current_io_waiter(before_); }
  ScopedIoWaiter(const ScopedIoWaiter&) = delete;
  ScopedIoWaiter& operator=(const ScopedIoWaiter&) = delete;

 private:
  IoWaiter* before_;
};

// Installs a SocketRenewal for a scope, restoring the one before. (SDK 3.6.)
class ScopedSocketRenewal {
 public:
  explicit ScopedSocketRenewal(SocketRenewal* renewal) noexcept : before_(current_socket_renewal()) {
    set_current_socket_renewal(renewal);
  }
  ~ScopedSocketRenewal() { set_current_socket_renewal(before_); }
  ScopedSocketRenewal(const ScopedSocketRenewal&) = delete;
  ScopedSocketRenewal& operator=(const ScopedSocketRenewal&) = delete;

 private:
  SocketRenewal* before_;
};

}  // namespace roachrun
