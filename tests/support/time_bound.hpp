// Time bounds of the tests that say "this finishes at once" (hostile input, misbehaving plugins):
// a bound is about a hang, not a benchmark, so under the sanitizers -- whose instrumented code
// runs several times slower -- it is scaled, and only there.
#pragma once

#include <chrono>

namespace roachrun::test {

#ifdef ROACHRUN_SANITIZED
inline constexpr int kTimeBoundScale = 5;
#else
inline constexpr int kTimeBoundScale = 1;
#endif

// `bound` as the tests of this build must hold it.
template <typename Duration>
constexpr Duration time_bound(Duration bound) {
  return bound * kTimeBoundScale;
}
inline constexpr double time_bound(double seconds) { return seconds * kTimeBoundScale; }

}  // namespace roachrun::test
