// The step types of the exec plugin; plugin.cpp lists them.
#pragma once

#include <roachrun/step.hpp>

namespace roachrun_exec {

roachrun::StepType run_step();  // exec.run: run a program (argv) or a shell command line (shell)

}  // namespace roachrun_exec
