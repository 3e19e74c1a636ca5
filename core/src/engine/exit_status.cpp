#include "engine/exit_status.hpp"

namespace roachrun {

ExitCode exit_code_for(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::usage:
    case ErrorKind::validation:
    case ErrorKind::plugin: return kExitInvalid;
    case ErrorKind::step: return kExitStepFailed;
    case ErrorKind::connection: return kExitUnreachable;
    case ErrorKind::interrupted: return kExitInterrupted;
  }
  return kExitStepFailed;
}

}  // namespace roachrun
