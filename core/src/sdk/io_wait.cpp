#include "roachrun/io_wait.hpp"

namespace roachrun {

namespace {
// Per thread: an event loop's waiter serves only the fibers it runs.
thread_local IoWaiter* current = nullptr;
thread_local SocketRenewal* current_renewal = nullptr;
}  // namespace

IoWaiter* current_io_waiter() noexcept { return current; }
void set_current_io_waiter(IoWaiter* waiter) noexcept { current = waiter; }
SocketRenewal* current_socket_renewal() noexcept { return current_renewal; }
void set_current_socket_renewal(SocketRenewal* renewal) noexcept { current_renewal = renewal; }

}  // namespace roachrun
