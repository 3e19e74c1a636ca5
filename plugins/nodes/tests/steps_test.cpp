// The nodes plugin's step types without roachrun: what validation accepts (it touches nothing),
// and that outside a run on the local target every step refuses, saying what it needs.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include <roachrun/roachrun.hpp>
#include <roachrun/testing.hpp>

#include "steps.hpp"

namespace roachrun_nodes {
namespace {

using roachrun::NodeAction;

// As validation hands them to run(): durations in milliseconds.
roachrun::Params node_params(const std::string& node, std::int64_t after_ms = 0) {
  return roachrun::Params(roachrun::Value{{"node", node}, {"after", after_ms}});
}

TEST(NodesSteps, ControlStepsAreNamedAfterTheirActionWithNodeAndAfter) {
  const std::pair<NodeAction, std::string> actions[] = {
      {NodeAction::kill, "kill"}, {NodeAction::stop, "stop"}, {NodeAction::start, "start"}, {NodeAction::restart, "restart"}};
  for (const auto& [action, name] : actions) {
    const roachrun::StepType step = control_step(action);
    EXPECT_EQ(step.name, name);
    const bool stops = action == NodeAction::stop || action == NodeAction::restart;
    ASSERT_EQ(step.params.size(), stops ? 3u : 2u) << name << ": mode only on a stop or restart";
    EXPECT_EQ(step.params[0].name, "node") << "the first parameter: `nodes.kill: primary` names the node";
    EXPECT_TRUE(step.params[0].required);
    EXPECT_EQ(step.params[1].name, "after");
    EXPECT_EQ(step.params[1].type, roachrun::ParamType::duration);
    EXPECT_EQ(step.params[1].default_value, "0s");
    if (!stops) continue;
    EXPECT_EQ(step.params[2].name, "mode");
    EXPECT_EQ(step.params[2].type, roachrun::ParamType::string);
    EXPECT_EQ(step.params[2].default_value, "fast");
  }
  EXPECT_EQ(wait_step().params.at(0).default_value, "60s");
  EXPECT_TRUE(show_step().params.empty());
}

TEST(NodesSteps, CheckAcceptsNumbersAndRoles) {
  const roachrun::StepType step = control_step(NodeAction::kill);
  for (const char* node : {"1", "3", "9", "12", "primary", "standby"})
    EXPECT_NO_THROW(step.check(node_params(node))) << node;
}

TEST(NodesSteps, CheckRejectsAnythingElseNamingTheParameter) {
  const roachrun::StepType step = control_step(NodeAction::stop);
  for (const char* node : {"0", "", "leader", "Primary", "-1", "1.5", "node1", "1234"}) {
    try {
      step.check(node_params(node));
      ADD_FAILURE() << "'" << node << "' accepted";
    } catch (const roachrun::ParamError& e) {
      EXPECT_EQ(e.param(), "node");
      EXPECT_EQ(std::string(e.what()), std::string("parameter 'node' must be a node number (1, 2, ...), primary or "
                                                   "standby, got '") + node + "'");
    }
  }
}

TEST(NodesSteps, TheModeIsFastOrImmediate) {
  for (const NodeAction action : {NodeAction::stop, NodeAction::restart}) {
    const roachrun::StepType step = control_step(action);
    for (const char* mode : {"fast", "immediate"})
      EXPECT_NO_THROW(step.check(roachrun::Params(roachrun::Value{{"node", "1"}, {"after", 0}, {"mode", mode}})))
          << mode;
    for (const char* mode : {"smart", "", "Fast", "immediately"}) {
      try {
        step.check(roachrun::Params(roachrun::Value{{"node", "1"}, {"after", 0}, {"mode", mode}}));
        ADD_FAILURE() << "'" << mode << "' accepted";
      } catch (const roachrun::ParamError& e) {
        EXPECT_EQ(e.param(), "mode");
        EXPECT_EQ(std::string(e.what()), std::string("parameter 'mode' must be fast or immediate, got '") + mode + "'");
      }
    }
  }
}

TEST(NodesSteps, OutsideARunEveryStepRefusesSayingWhatItNeeds) {
  const std::string refused =
      "node control needs roachrun's own local target (target: local, or {url: local, nodes: 3}), whose server or "
      "nodes it started; this run's target is unknown (no scenario is running)";
  for (const roachrun::StepType& step : {control_step(NodeAction::kill), control_step(NodeAction::start)}) {
    roachrun::testing::FakeStepContext ctx;
    try {
      step.run(ctx, node_params("primary", 1000));
      ADD_FAILURE() << step.name << " ran";
    } catch (const roachrun::StepError& e) {
      EXPECT_EQ(std::string(e.what()), refused);
    }
  }
  roachrun::testing::FakeStepContext ctx;
  EXPECT_THROW(wait_step().run(ctx, roachrun::Params(roachrun::Value{{"timeout", 60000}})), roachrun::StepError);
  EXPECT_THROW(show_step().run(ctx, roachrun::Params(roachrun::Value::object())), roachrun::StepError);
  EXPECT_EQ(ctx.printed(), "");
}

TEST(NodesSteps, AfterCtrlCTheyStopAtOnce) {
  roachrun::testing::FakeStepContext ctx;
  ctx.interrupt();
  EXPECT_THROW(show_step().run(ctx, roachrun::Params(roachrun::Value::object())), roachrun::Interrupted);
}

}  // namespace
}  // namespace roachrun_nodes
