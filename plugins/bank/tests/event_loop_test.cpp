// workload/event_loop.hpp: fibers that wait through the loop run interleaved on one thread --
// sleeps overlap, a socket wakes the fiber waiting on it, a deadline ends a wait -- and the SDK's
// own waits (sleep_unless) go through the waiter installed.
#include "workload/event_loop.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <roachrun/io_wait.hpp>
#include <roachrun/retry.hpp>

namespace roachrun_bank {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

struct SocketPair {
  int fd[2]{-1, -1};
  SocketPair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fd), 0); }
  ~SocketPair() {
    ::close(fd[0]);
    ::close(fd[1]);
  }
};

TEST(EventLoop, SleepingFibersOverlapAndWakeInDeadlineOrder) {
  EventLoop loop;
  roachrun::ScopedIoWaiter installed(&loop);
  std::vector<int> order;
  const auto start = clock_type::now();
  for (int ms : {60, 20, 40})
    loop.spawn([&, ms] {
      loop.sleep_until(clock_type::now() + std::chrono::milliseconds(ms));
      order.push_back(ms);
    });
  loop.run();
  const auto elapsed = clock_type::now() - start;
  EXPECT_EQ(order, (std::vector<int>{20, 40, 60}));
  EXPECT_GE(elapsed, 60ms);
  EXPECT_LT(elapsed, 110ms) << "the sleeps ran one after another instead of together";
}

TEST(EventLoop, AFiberWaitingOnASocketWakesWhenAnotherFiberWrites) {
  EventLoop loop;
  roachrun::ScopedIoWaiter installed(&loop);
  SocketPair pair;
  std::vector<std::string> events;
  bool ready = false;
  loop.spawn([&] {
    events.push_back("reader waits");
    ready = loop.wait(pair.fd[0], true, false, clock_type::time_point::max());
    char c = 0;
    EXPECT_EQ(::read(pair.fd[0], &c, 1), 1);
    events.push_back(std::string("reader got ") + c);
  });
  loop.spawn([&] {
    loop.sleep_until(clock_type::now() + 10ms);
    events.push_back("writer writes");
    EXPECT_EQ(::write(pair.fd[1], "x", 1), 1);
  });
  loop.run();
  EXPECT_TRUE(ready);
  EXPECT_EQ(events, (std::vector<std::string>{"reader waits", "writer writes", "reader got x"}));
}

TEST(EventLoop, AWaitEndsAtItsDeadlineAndALaterEventDoesNotWakeTheFiberTwice) {
  EventLoop loop;
  roachrun::ScopedIoWaiter installed(&loop);
  SocketPair pair;
  bool first = true, second = false;
  int sleeps_done = 0;
  loop.spawn([&] {
    const auto start = clock_type::now();
    first = loop.wait(pair.fd[0], true, false, start + 30ms);
    EXPECT_GE(clock_type::now() - start, 30ms);
    // The write below comes while this fiber sleeps: the stale readiness must not end the sleep.
    loop.sleep_until(clock_type::now() + 40ms);
    ++sleeps_done;
    second = loop.wait(pair.fd[0], true, false, clock_type::now() + 1s);
  });
  loop.spawn([&] {
    loop.sleep_until(clock_type::now() + 45ms);
    EXPECT_EQ(::write(pair.fd[1], "x", 1), 1);
  });
  loop.run();
  EXPECT_FALSE(first);
  EXPECT_EQ(sleeps_done, 1);
  EXPECT_TRUE(second);  // the data is still there for the next wait
}

// A socket stays registered from one wait to the next, so the loop must hear when a number
// names another socket: libpq closes and opens sockets as it connects, and a new one may get a
// number just closed. The old registration went with the old socket.
TEST(EventLoop, ASocketAnnouncedAsNewUnderAnOldNumberIsRegisteredAgain) {
  EventLoop loop;
  roachrun::ScopedIoWaiter installed(&loop);
  SocketPair old_pair, new_pair;
  bool first = true, unannounced = true, announced = false;
  loop.spawn([&] {
    first = loop.wait(old_pair.fd[0], true, false, clock_type::now() + 10ms);  // registers it
    // The number now names the new pair's socket (the old one is closed), which has data.
    ASSERT_EQ(::dup2(new_pair.fd[0], old_pair.fd[0]), old_pair.fd[0]);
    ASSERT_EQ(::write(new_pair.fd[1], "x", 1), 1);
    unannounced = loop.wait(old_pair.fd[0], true, false, clock_type::now() + 30ms);
    ASSERT_EQ(roachrun::current_socket_renewal(), &loop) << "run() installs the loop as the thread's SocketRenewal";
    roachrun::current_socket_renewal()->socket_may_be_new(old_pair.fd[0]);
    announced = loop.wait(old_pair.fd[0], true, false, clock_type::now() + 1s);
  });
  loop.run();
  EXPECT_FALSE(first);
  EXPECT_FALSE(unannounced) << "without the announcement the wait cannot see the new socket";
  EXPECT_TRUE(announced);
  EXPECT_EQ(roachrun::current_socket_renewal(), nullptr);
}

// Edge-triggered: an arrival while the fiber is busy elsewhere must still end its next wait.
TEST(EventLoop, DataThatCameBetweenWaitsEndsTheNextWaitAtOnce) {
  EventLoop loop;
  roachrun::ScopedIoWaiter installed(&loop);
  SocketPair pair;
  bool first = false, second = false;
  auto second_took = clock_type::duration::max();
  loop.spawn([&] {
    first = loop.wait(pair.fd[0], true, false, clock_type::now() + 1s);
    char c = 0;
    EXPECT_EQ(::read(pair.fd[0], &c, 1), 1);
    loop.sleep_until(clock_type::now() + 30ms);  // the second byte comes meanwhile
    const auto start = clock_type::now();
    second = loop.wait(pair.fd[0], true, false, start + 1s);
    second_took = clock_type::now() - start;
  });
  loop.spawn([&] {
    EXPECT_EQ(::write(pair.fd[1], "x", 1), 1);
    loop.sleep_until(clock_type::now() + 10ms);
    EXPECT_EQ(::write(pair.fd[1], "y", 1), 1);
  });
  loop.run();
  EXPECT_TRUE(first);
  EXPECT_TRUE(second);
  EXPECT_LT(second_took, 100ms);
}

TEST(EventLoop, TheSdksSleepsGoThroughTheInstalledWaiter) {
  EventLoop loop;
  roachrun::ScopedIoWaiter installed(&loop);
  ASSERT_EQ(roachrun::current_io_waiter(), &loop);
  std::atomic<bool> stop{false};
  int slept = 0;
  const auto start = clock_type::now();
  for (int i = 0; i < 4; ++i)
    loop.spawn([&] {
      if (roachrun::sleep_unless(50ms, &stop)) ++slept;
    });
  loop.run();
  EXPECT_EQ(slept, 4);
  EXPECT_LT(clock_type::now() - start, 150ms) << "sleep_unless blocked the thread instead of parking the fiber";
}

// The retry engine backs off inside its catch block: a fiber parked there must still have its own
// exception when it resumes, whatever the other fibers caught and ended meanwhile.
std::string message_of_current_exception() {
  try {
    std::rethrow_exception(std::current_exception());
  } catch (const std::exception& e) {
    return e.what();
  }
}

TEST(EventLoop, EachFiberKeepsTheExceptionItIsHandlingAcrossSwitches) {
  EventLoop loop;
  roachrun::ScopedIoWaiter installed(&loop);
  std::string a_before, a_after, b_after;
  loop.spawn([&] {
    try {
      throw std::runtime_error("a");
    } catch (const std::exception&) {
      a_before = message_of_current_exception();
      loop.sleep_until(clock_type::now() + 20ms);  // meanwhile b catches its own and parks
      a_after = message_of_current_exception();
    }  // ends a's handler while b is still in its own
  });
  loop.spawn([&] {
    loop.sleep_until(clock_type::now() + 5ms);
    try {
      throw std::runtime_error("b");
    } catch (const std::exception& e) {
      loop.sleep_until(clock_type::now() + 40ms);
      b_after = message_of_current_exception() + "/" + e.what();
    }
  });
  loop.run();
  EXPECT_EQ(a_before, "a");
  EXPECT_EQ(a_after, "a");
  EXPECT_EQ(b_after, "b/b");
  EXPECT_EQ(std::uncaught_exceptions(), 0);
  EXPECT_EQ(std::current_exception(), nullptr);
}

TEST(EventLoop, ManyFibersEachFinishAndTheLoopCanRunAgain) {
  EventLoop loop;
  roachrun::ScopedIoWaiter installed(&loop);
  int done = 0;
  for (int i = 0; i < 500; ++i)
    loop.spawn([&] {
      loop.sleep_until(clock_type::now() + 1ms);
      ++done;
    });
  loop.run();
  EXPECT_EQ(done, 500);
  loop.spawn([&] { ++done; });  // a second round, as the event engine's start and run are
  loop.run();
  EXPECT_EQ(done, 501);
}

TEST(EventLoop, ASecondRunIsNotWokenByTheFirstRunsStaleTimers) {
  EventLoop loop;
  roachrun::ScopedIoWaiter installed(&loop);
  SocketPair pair;
  // The first run's wait ends by its socket long before its deadline, leaving a timer behind
  // whose task is freed when the run ends (under ASan, reading it is a use-after-free).
  bool by_socket = false;
  loop.spawn([&] { by_socket = loop.wait(pair.fd[0], true, false, clock_type::now() + 20ms); });
  loop.spawn([&] { EXPECT_EQ(::write(pair.fd[1], "x", 1), 1); });
  loop.run();
  EXPECT_TRUE(by_socket);
  char byte = 0;
  EXPECT_EQ(::read(pair.fd[0], &byte, 1), 1);
  // The second run's fibers wait past that deadline: each wait must end by its own socket or
  // deadline, never by the stale timer.
  std::vector<int> woken_early(8, 0);
  for (int i = 0; i < 8; ++i)
    loop.spawn([&, i] {
      const auto start = clock_type::now();
      const bool ready = loop.wait(pair.fd[0], true, false, start + 60ms);
      if (ready || clock_type::now() - start < 60ms) woken_early[static_cast<std::size_t>(i)] = 1;
    });
  loop.run();
  EXPECT_EQ(woken_early, std::vector<int>(8, 0));
}

}  // namespace
}  // namespace roachrun_bank
