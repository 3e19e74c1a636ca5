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

const char* outcome_text(int code) noexcept {
  switch (code) {
    case kExitOk: return "passed";
    case kExitStepFailed: return "a step failed";
    case kExitInvalid: return "invalid: nothing ran";
    case kExitUnreachable: return "the target could not be reached";
    case kExitReportNotWritten: return "passed, but a report could not be written";
    case kExitInternal: return "internal error";
    case kExitInterrupted: return "interrupted";
    default: return "unknown exit code";
  }
}

}  // namespace roachrun
