// The step types of the time plugin; plugin.cpp lists them.
#pragma once

#include <roachrun/step.hpp>

namespace roachrun_time {

roachrun::StepType sleep_step();  // time.sleep: wait `duration`, or until Ctrl-C

}  // namespace roachrun_time
