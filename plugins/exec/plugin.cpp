// The exec plugin: run programs from a scenario (a node stopped with `cockroach quit`, `kill`).
#include <roachrun/plugin.hpp>

#include "steps.hpp"

namespace {

roachrun::PluginInfo describe() {
  return {"exec", "Run programs and shell commands: their exit status checked, their output printed or kept",
          {roachrun_exec::run_step()}};
}

}  // namespace

ROACHRUN_PLUGIN(describe)
