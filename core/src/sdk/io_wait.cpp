#include "roachrun/io_wait.hpp"

namespace roachrun {

namespace {
// Per thread: an event loop's waiter serves only the fibers it runs.
thread_local IoWaiter* current = nullptr;
}  // namespace

IoWaiter* current_io_waiter() noexcept { return current; }
void set_current_io_waiter(IoWaiter* waiter) noexcept { current = waiter; }

}  // namespace roachrun
