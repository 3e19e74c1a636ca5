#include "engine/exit_status.hpp"

namespace roachrun {

ExitCode exit_code_for(ErrorKind kind) noexcept {
  for (const ExitCodeRow& row : kExitCodes)
    if (row.kind == kind) return row.code;
  return kExitInternal;
}

ExitCode exit_code_with_reports(ExitCode run, bool reports_written) noexcept {
  return run == kExitOk && !reports_written ? exit_code_for(ErrorKind::report) : run;
}

}  // namespace roachrun
