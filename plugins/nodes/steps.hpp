// The step types of the nodes plugin; plugin.cpp lists them, one .cpp defines each kind.
#pragma once

#include <roachrun/local_nodes.hpp>
#include <roachrun/step.hpp>

namespace roachrun_nodes {

// nodes.kill, nodes.stop, nodes.start, nodes.restart: `action` on one node, now or `after` a delay
// (stop and restart: in `mode`, fast or immediate).
roachrun::StepType control_step(roachrun::NodeAction action);
roachrun::StepType wait_step();  // nodes.wait: until delayed actions are done and the target is healthy
roachrun::StepType show_step();  // nodes.show: one line per node on stdout

}  // namespace roachrun_nodes
