// The plugin's only exported entry points: the factory and the ABI stamp.
#include <roachrun/plugin.hpp>

#include "step_types.hpp"

ROACHRUN_PLUGIN(roachrun_certs::describe)
