// The SDK's side of io_wait.hpp's SocketRenewal: under a thread's waiter, every wait on the
// socket of a session being connected is announced to the thread's SocketRenewal first (libpq may
// have opened a new socket under an old number), and a connected session's waits are not. The
// event engine's side (registrations kept between waits) is in plugins/bank/tests.
#include <gtest/gtest.h>
#include <poll.h>

#include <algorithm>
#include <cstdint>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "roachrun/io_wait.hpp"
#include "support/test_server.hpp"

namespace roachrun::test {
namespace {

// Waits in poll(2) as the SDK does without a waiter, and writes down each call.
class RecordingWaiter final : public IoWaiter, public SocketRenewal {
 public:
  std::vector<std::string> calls;

  bool wait(int fd, bool read, bool write, clock::time_point deadline) override {
    calls.push_back("wait " + std::to_string(fd));
    pollfd p{fd, static_cast<short>((read ? POLLIN : 0) | (write ? POLLOUT : 0)), 0};
    const int ms = deadline == clock::time_point::max()
                       ? -1
                       : static_cast<int>(std::max<std::int64_t>(
                             0, std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now()).count()));
    return ::poll(&p, 1, ms) != 0;
  }
  void sleep_until(clock::time_point until) override { std::this_thread::sleep_until(until); }
  void socket_may_be_new(int fd) noexcept override { calls.push_back("new " + std::to_string(fd)); }
};

TEST(SocketRenewal, EveryWaitWhileConnectingIsAnnouncedFirstAndNoWaitAfter) {
  RecordingWaiter waiter;
  ScopedIoWaiter installed(&waiter);
  ScopedSocketRenewal renewal(&waiter);
  Connection conn = TestServer::get().connect();
  const std::vector<std::string> connecting = waiter.calls;
  ASSERT_GE(connecting.size(), 2u) << "the connect never waited through the waiter";
  ASSERT_EQ(connecting.size() % 2, 0u);
  for (std::size_t i = 0; i < connecting.size(); i += 2) {
    ASSERT_EQ(connecting[i].rfind("new ", 0), 0u) << "call " << i << ": " << connecting[i];
    EXPECT_EQ(connecting[i + 1], "wait " + connecting[i].substr(4)) << "call " << i + 1;
  }

  waiter.calls.clear();
  EXPECT_EQ(conn.exec_simple("SELECT 1").integer(0, 0), 1);
  ASSERT_FALSE(waiter.calls.empty()) << "the statement did not wait through the waiter";
  for (const std::string& call : waiter.calls) EXPECT_EQ(call.rfind("wait ", 0), 0u) << call;
}

// A waiter built for SDK 3.5 installs no SocketRenewal: its sessions connect and run as before.
TEST(SocketRenewal, AWaiterWithoutOneConnectsAndRunsAsBefore) {
  RecordingWaiter waiter;
  ScopedIoWaiter installed(&waiter);
  ASSERT_EQ(current_socket_renewal(), nullptr);
  Connection conn = TestServer::get().connect();
  EXPECT_FALSE(waiter.calls.empty()) << "the connect did not wait through the waiter";
  EXPECT_EQ(conn.exec_simple("SELECT 1").integer(0, 0), 1);
}

}  // namespace
}  // namespace roachrun::test
