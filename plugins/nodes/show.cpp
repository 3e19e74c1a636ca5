// nodes.show: the local target's nodes, one line each: "node 1  127.0.0.1:PORT  primary".
#include <ostream>

#include <roachrun/roachrun.hpp>

#include "steps.hpp"

namespace roachrun_nodes {

namespace {

void show(roachrun::StepContext& ctx, const roachrun::Params&) {
  for (const roachrun::NodeStatus& node : roachrun::local_nodes(ctx).status())
    ctx.out() << "node " << node.number << "  " << node.endpoint << "  " << node.role << "\n";
}

}  // namespace

roachrun::StepType show_step() {
  roachrun::StepType step;
  step.name = "show";
  step.doc = "Prints each node of the local target (the single server: node 1) with its address and role (primary, "
             "standby, down, ...)";
  step.run = show;
  return step;
}

}  // namespace roachrun_nodes
