// The sql plugin: plain SQL for what no dedicated step covers.
#include <roachrun/plugin.hpp>

#include "steps.hpp"

namespace {

roachrun::PluginInfo describe() {
  return {"sql", "Run SQL statements, scripts and queries", {roachrun_sql::exec_step(), roachrun_sql::query_step()}};
}

}  // namespace

ROACHRUN_PLUGIN(describe)
