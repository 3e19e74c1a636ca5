// Process exit codes: the only place an ErrorKind becomes a number. Documented in the README;
// a code never means two things.
#pragma once

#include "roachrun/error.hpp"

namespace roachrun {

enum ExitCode : int {
  kExitOk = 0,           // every step passed
  kExitStepFailed = 1,   // a step failed
  kExitInvalid = 2,      // bad usage, invalid scenario or plugin: nothing ran
  kExitUnreachable = 3,  // the target could not be reached (or refused the connection)
  kExitInterrupted = 130,
};

ExitCode exit_code_for(ErrorKind kind) noexcept;

}  // namespace roachrun
