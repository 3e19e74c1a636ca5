// time.sleep through a FakeStepContext: it waits as long as asked, ends early on Ctrl-C, and says
// how long it slept.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <roachrun/testing.hpp>

#include "steps.hpp"

namespace roachrun_time {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

roachrun::Params duration_ms(long long ms) { return roachrun::Params(roachrun::Value{{"duration", ms}}); }

TEST(Sleep, DurationIsTheFirstParameterSoTheShorthandSetsIt) {
  const roachrun::StepType step = sleep_step();
  ASSERT_FALSE(step.params.empty());
  EXPECT_EQ(step.params.front().name, "duration");
  EXPECT_EQ(step.params.front().type, roachrun::ParamType::duration);
  EXPECT_TRUE(step.params.front().required);
}

TEST(Sleep, WaitsTheDurationAndSaysSo) {
  roachrun::testing::FakeStepContext ctx;
  const auto start = Clock::now();
  sleep_step().run(ctx, duration_ms(300));
  const auto took = Clock::now() - start;
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 600ms);
  ASSERT_TRUE(ctx.result());
  const auto slept = (*ctx.result())["slept_ms"].get<long long>();
  EXPECT_GE(slept, 300);
  EXPECT_LT(slept, 600);
  EXPECT_EQ(ctx.printed(), "");
}

TEST(Sleep, ZeroReturnsAtOnce) {
  roachrun::testing::FakeStepContext ctx;
  sleep_step().run(ctx, duration_ms(0));
  EXPECT_LT((*ctx.result())["slept_ms"].get<long long>(), 50);
}

TEST(Sleep, CtrlCEndsItWithin50ms) {
  roachrun::testing::FakeStepContext ctx;
  Clock::time_point interrupted_at;
  std::thread ctrl_c([&] {
    std::this_thread::sleep_for(200ms);
    interrupted_at = Clock::now();
    ctx.interrupt();
  });
  EXPECT_THROW(sleep_step().run(ctx, duration_ms(60000)), roachrun::Interrupted);
  const auto after = Clock::now() - interrupted_at;
  ctrl_c.join();
  EXPECT_LT(after, 100ms) << "polls the interrupt every 50 ms";
  const auto slept = (*ctx.result())["slept_ms"].get<long long>();
  EXPECT_GE(slept, 200);
  EXPECT_LT(slept, 400);
}

}  // namespace
}  // namespace roachrun_time
