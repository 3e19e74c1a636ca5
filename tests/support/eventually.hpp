// Waiting in a test for something another process does, with a bound.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace roachrun::test {

// Polls `done` every 10 ms until it is true (true) or `limit` has passed (false).
inline bool eventually(const std::function<bool()>& done, std::chrono::steady_clock::duration limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace roachrun::test
