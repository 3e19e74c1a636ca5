// roachrun/testing.hpp: the StepContext plugin authors run their steps with in unit tests. It
// captures what a step writes and refuses, clearly, what the test did not give it.
#include <gtest/gtest.h>

#include <string>

#include <spdlog/logger.h>

#include "roachrun/error.hpp"
#include "roachrun/testing.hpp"

namespace roachrun {
namespace {

using testing::FakeStepContext;

template <typename Op>
std::string error_of(Op op) {
  try {
    op();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(FakeStepContext, CapturesWhatTheStepWrites) {
  FakeStepContext ctx;
  StepContext& step = ctx;  // as a step sees it
  step.out() << "Balances at now\n";
  step.log().info("moved {} from {} to {}", 100, 1, 2);
  step.log().debug("details");
  step.set_result(Value{{"transfers", 3}});
  step.set_result(Value{{"transfers", 4}});
  step.progress("1.0 s, 12 transfers/s");

  EXPECT_EQ(ctx.printed(), "Balances at now\n");
  EXPECT_EQ(ctx.logged(), "info: moved 100 from 1 to 2\ndebug: details\n");
  ASSERT_TRUE(ctx.result().has_value());
  EXPECT_EQ(*ctx.result(), (Value{{"transfers", 4}})) << "a later set_result replaces an earlier one";
  EXPECT_EQ(ctx.progress_lines(), (std::vector<std::string>{"1.0 s, 12 transfers/s"}));
}

TEST(FakeStepContext, GivesWhatTheTestSetUp) {
  FakeStepContext ctx;
  EXPECT_FALSE(ctx.progress_enabled());
  EXPECT_FALSE(ctx.interrupted());
  EXPECT_TRUE(ctx.vars().empty());

  ctx.set_var("amount", "100");
  ctx.set_step_name("Transfer funds");
  ctx.set_scenario_file("bank.yaml");
  RetryPolicy policy;
  policy.max_retries = 7;
  ctx.set_retry_policy(policy);
  ctx.enable_progress();
  ctx.interrupt();

  EXPECT_EQ(ctx.vars().at("amount"), "100");
  EXPECT_EQ(ctx.step_name(), "Transfer funds");
  EXPECT_EQ(ctx.scenario_file(), "bank.yaml");
  EXPECT_EQ(ctx.retry_policy().max_retries, 7);
  EXPECT_TRUE(ctx.progress_enabled());
  EXPECT_TRUE(ctx.interrupted());
}

TEST(FakeStepContext, WithoutConnectionOptionsEveryConnectionIsAClearStepError) {
  FakeStepContext ctx;
  const std::string hint = "; give it connection options (FakeStepContext::set_connection_options)";
  EXPECT_EQ(error_of([&] { ctx.connection(); }), "this test context has no connection" + hint);
  EXPECT_EQ(error_of([&] { ctx.connection("app"); }), "this test context has no connection 'app'" + hint);
  EXPECT_EQ(error_of([&] { (void)ctx.connection_options("app"); }), "this test context has no connection 'app'" + hint);
  EXPECT_EQ(error_of([&] { ctx.transaction([](Connection&) {}); }), "this test context has no connection" + hint);
  EXPECT_THROW(ctx.connection(), StepError);
}

TEST(FakeStepContext, OpensAConnectionFromTheOptionsTheTestGave) {
  FakeStepContext ctx;
  // Port 1 on the loopback: nothing listens, so the attempt itself shows the options were used.
  const FakeStepContext::Options options = {{"host", "127.0.0.1"}, {"port", "1"}, {"connect_timeout", "2"}};
  ctx.set_connection_options(options, "app");
  EXPECT_EQ(ctx.connection_options("app"), options);
  EXPECT_THROW(ctx.connection("app"), ConnectError);
  EXPECT_NE(error_of([&] { ctx.connection(); }).find("no connection;"), std::string::npos)
      << "options of 'app' are not the step's own";
}

}  // namespace
}  // namespace roachrun
