// nodes.kill, nodes.stop, nodes.start, nodes.restart: one node, by number or role, now or later;
// a stop (and a restart's stop) fast or immediate.
#include <string>

#include <roachrun/roachrun.hpp>

#include "steps.hpp"

namespace roachrun_nodes {

namespace {

struct ActionInfo {
  const char* name;
  const char* doc;
};

ActionInfo info_of(roachrun::NodeAction action) {
  switch (action) {
    case roachrun::NodeAction::kill:
      return {"kill", "Kills a node's processes at once (SIGKILL), as a machine that dies"};
    case roachrun::NodeAction::stop:
      return {"stop", "Stops a node: a fast or immediate shutdown of its PostgreSQL (then its pg_autoctl)"};
    case roachrun::NodeAction::start:
      return {"start", "Starts a killed or stopped node again on its port; a formation's rejoins as a standby"};
    case roachrun::NodeAction::restart:
      return {"restart", "Stops a running node (fast or immediate) and starts it again"};
  }
  return {"?", ""};
}

bool stops(roachrun::NodeAction action) {
  return action == roachrun::NodeAction::stop || action == roachrun::NodeAction::restart;
}

// The names a node may have; whether the number is one of the target's is known only when the
// step runs (validation touches nothing).
void check_node(const roachrun::Params& p) {
  const std::string node = p.string("node");
  const bool number = !node.empty() && node.size() <= 3 && node.find_first_not_of("0123456789") == std::string::npos &&
                      std::stoi(node) >= 1;
  if (!number && node != "primary" && node != "standby")
    throw roachrun::ParamError("node", "parameter 'node' must be a node number (1, 2, ...), primary or standby, got '" +
                                           node + "'");
}

roachrun::StopMode mode_of(const std::string& mode) {
  if (mode == "fast") return roachrun::StopMode::fast;
  if (mode == "immediate") return roachrun::StopMode::immediate;
  throw roachrun::ParamError("mode", "parameter 'mode' must be fast or immediate, got '" + mode + "'");
}

}  // namespace

roachrun::StepType control_step(roachrun::NodeAction action) {
  const ActionInfo info = info_of(action);
  roachrun::StepType step;
  step.name = info.name;
  step.doc = info.doc;
  step.params = {
      roachrun::required_param("node", roachrun::ParamType::string,
                               "a node number (1 is the first host of the target; the single local server is node "
                               "1), primary (the node that takes writes now) or standby (the lowest-numbered other "
                               "running node)"),
      roachrun::optional_param("after", roachrun::ParamType::duration,
                               "do it this long after the step, while later steps run (0s: now, before the next step)",
                               "0s")};
  if (stops(action)) {
    // Only where it means something: `mode` on a kill or a start is an unknown parameter.
    step.params.push_back(roachrun::optional_param(
        "mode", roachrun::ParamType::string,
        "how its PostgreSQL shuts down, as pg_ctl stop -m: fast (sessions rolled back, a checkpoint) or immediate "
        "(everything quits at once; the next start recovers from the WAL, as after a crash)",
        "fast"));
    step.check = [](const roachrun::Params& p) {
      check_node(p);
      mode_of(p.string("mode"));
    };
  } else {
    step.check = check_node;
  }
  step.run = [action](roachrun::StepContext& ctx, const roachrun::Params& p) {
    const roachrun::StopMode mode = stops(action) ? mode_of(p.string("mode")) : roachrun::StopMode::fast;
    roachrun::act(roachrun::local_nodes(ctx), action, p.string("node"), p.duration("after"), mode);
  };
  return step;
}

}  // namespace roachrun_nodes
