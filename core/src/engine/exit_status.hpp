// Process exit codes: the only place an outcome becomes a number. Every ErrorKind has one row in
// kExitCodes; the README's exit-code table lists the same rows. A code never means two things.
#pragma once

#include <array>

#include "roachrun/error.hpp"

namespace roachrun {

enum ExitCode : int {
  kExitOk = 0,                // every step passed
  kExitStepFailed = 1,        // a step failed
  kExitInvalid = 2,           // bad usage, invalid scenario or plugin: nothing ran
  kExitUnreachable = 3,       // the target could not be reached (or refused the connection)
  kExitReportNotWritten = 4,  // every step passed, but a report could not be written
  kExitInternal = 5,          // a bug in roachrun: an unexpected exception outside any step
  kExitInterrupted = 130,     // Ctrl-C / SIGTERM: 128 + SIGINT, what a shell expects
};

struct ExitCodeRow {
  ErrorKind kind;
  ExitCode code;
};

// The table. usage, validation and plugin share 2 on purpose: to the caller all three mean
// "nothing ran, fix the input".
inline constexpr std::array<ExitCodeRow, 8> kExitCodes = {{
    {ErrorKind::usage, kExitInvalid},
    {ErrorKind::validation, kExitInvalid},
    {ErrorKind::plugin, kExitInvalid},
    {ErrorKind::step, kExitStepFailed},
    {ErrorKind::connection, kExitUnreachable},
    {ErrorKind::report, kExitReportNotWritten},
    {ErrorKind::internal, kExitInternal},
    {ErrorKind::interrupted, kExitInterrupted},
}};

// The row of `kind` in kExitCodes (kExitInternal for a value not in the enum).
ExitCode exit_code_for(ErrorKind kind) noexcept;

// The process's code once the reports of a run that ended with `run` are written, or not: a
// report that could not be written turns a run that passed into kExitReportNotWritten. Any other
// outcome keeps its code: a failed step (1), nothing run (2), an unreachable target (3), an
// internal error (5) or an interruption (130) says more about the run than a missing file, which
// is logged as an error and whose absence a reader notices anyway.
ExitCode exit_code_with_reports(ExitCode run, bool reports_written) noexcept;

// What a code says of the run, for people (the HTML report's header): "passed", "a step
// failed", ... the README's exit-code table in a few words. "unknown exit code" otherwise.
const char* outcome_text(int code) noexcept;

}  // namespace roachrun
