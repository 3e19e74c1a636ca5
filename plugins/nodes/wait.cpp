// nodes.wait: until delayed node actions are done and every running node is primary or standby.
#include <string>

#include <fmt/format.h>
#include <roachrun/roachrun.hpp>
#include <spdlog/spdlog.h>

#include "steps.hpp"

namespace roachrun_nodes {

namespace {

void wait(roachrun::StepContext& ctx, const roachrun::Params& p) {
  const std::vector<double> failovers = roachrun::local_nodes(ctx).wait_healthy(p.duration("timeout"));
  std::string times;
  for (const double t : failovers) times += (times.empty() ? "" : ", ") + fmt::format("{:.1f} s", t);
  ctx.log().info("the local target is healthy; {}",
                 failovers.empty() ? "no failover since the last nodes.wait" : "failover times: " + times);
  roachrun::Value seconds = roachrun::Value::array();
  for (const double t : failovers) seconds.push_back(t);
  ctx.set_result(roachrun::Value{{"failover_seconds", seconds}});
}

}  // namespace

roachrun::StepType wait_step() {
  roachrun::StepType step;
  step.name = "wait";
  step.doc = "Waits for delayed node actions and failovers to finish and every running node to be primary or standby "
             "(the single server: to accept connections)";
  step.params = {roachrun::optional_param("timeout", roachrun::ParamType::duration,
                                          "how long to wait before the step fails naming what is not ready", "60s")};
  step.run = wait;
  return step;
}

}  // namespace roachrun_nodes
