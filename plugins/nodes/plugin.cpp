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

// Every step controls the server or nodes roachrun started: on a URL target it is refused before
// anything runs. The stop modes are offered to editors and checked at validation time.
roachrun::PluginDetails details() {
  const roachrun::ParamChoices modes{"mode", {"fast", "immediate"}};
  return {{{"kill", true, {}},
           {"stop", true, {modes}},
           {"start", true, {}},
           {"restart", true, {modes}},
           {"wait", true, {}},
           {"show", true, {}}}};
}

}  // namespace

ROACHRUN_PLUGIN(describe)
ROACHRUN_PLUGIN_DETAILS(details)
