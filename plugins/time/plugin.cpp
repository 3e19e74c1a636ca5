// The time plugin: waiting as a step (between the steps of a parallel branch, before a restart).
#include <roachrun/plugin.hpp>

#include "steps.hpp"

namespace {

roachrun::PluginInfo describe() { return {"time", "Wait in a scenario: time.sleep, ended early by Ctrl-C", {roachrun_time::sleep_step()}}; }

}  // namespace

ROACHRUN_PLUGIN(describe)
