// time.sleep: waits, looking at the interrupt at least every 50 ms so Ctrl-C ends it at once.
#include <algorithm>
#include <chrono>
#include <thread>

#include <roachrun/roachrun.hpp>

#include "steps.hpp"

namespace roachrun_time {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kPollStep{50};

void run(roachrun::StepContext& ctx, const roachrun::Params& p) {
  const auto start = Clock::now();
  const auto until = start + p.duration("duration");
  auto slept = [&] { return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count(); };
  for (;;) {
    if (ctx.interrupted().load()) {
      ctx.set_result({{"slept_ms", slept()}});
      throw roachrun::Interrupted();
    }
    const auto now = Clock::now();
    if (now >= until) break;
    std::this_thread::sleep_for(std::min<Clock::duration>(kPollStep, until - now));
  }
  ctx.set_result({{"slept_ms", slept()}});
}

}  // namespace

roachrun::StepType sleep_step() {
  return roachrun::StepType{
      .name = "sleep",
      .doc = "Wait for a duration (time.sleep: 3s); Ctrl-C ends it at once",
      .params = {roachrun::required_param("duration", roachrun::ParamType::duration,
                                          "how long: 250ms, 3s, 1.5m (a bare number is seconds)")},
      .run = run,
      .check = {},
  };
}

}  // namespace roachrun_time
