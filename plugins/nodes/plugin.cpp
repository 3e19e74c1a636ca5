// The nodes plugin: kill, stop and start the nodes of the run's local target (its formation's
// nodes, or the single local server).
#include <roachrun/plugin.hpp>

#include "steps.hpp"

namespace {

roachrun::PluginInfo describe() {
  using roachrun::NodeAction;
  using namespace roachrun_nodes;
  return {"nodes",
          "Kill, stop and start the local target's server or nodes (target: local, or {url: local, nodes: 3})",
          {control_step(NodeAction::kill), control_step(NodeAction::stop), control_step(NodeAction::start),
           control_step(NodeAction::restart), wait_step(), show_step()}};
}

}  // namespace

ROACHRUN_PLUGIN(describe)
