// exec.run: one program (argv) or shell command line (shell), its exit status checked, its stdout
// printed and kept, its stderr logged and kept; bounded by a timeout and by Ctrl-C.
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <filesystem>
#include <ostream>
#include <string>

#include <roachrun/roachrun.hpp>
#include <spdlog/spdlog.h>

#include "command.hpp"
#include "command_text.hpp"
#include "program_path.hpp"
#include "run_command.hpp"
#include "steps.hpp"

extern char** environ;

namespace roachrun_exec {

namespace {

std::string signal_text(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return std::to_string(sig) + (abbrev ? std::string(" (SIG") + abbrev + ")" : std::string());
}

roachrun::Value signal_value(const std::optional<int>& sig) {
  if (!sig) return nullptr;
  const char* abbrev = sigabbrev_np(*sig);
  return abbrev ? roachrun::Value(std::string("SIG") + abbrev) : roachrun::Value(*sig);
}

// The last non-empty line of what the command wrote to stderr, for the failure message (the rest
// is in the log above it).
std::string last_line(const std::string& err) {
  std::size_t end = err.find_last_not_of("\r\n \t");
  if (end == std::string::npos) return "";
  const std::size_t start = err.find_last_of('\n', end);
  std::string line = err.substr(start == std::string::npos ? 0 : start + 1, end + 1 - (start == std::string::npos ? 0 : start + 1));
  if (line.size() > 300) line = line.substr(0, 300) + "...";
  return valid_utf8(line);
}

roachrun::Value result_of(const CommandOutcome& o) {
  roachrun::Value r = roachrun::Value::object();
  r["exit_status"] = o.exit_status ? roachrun::Value(*o.exit_status) : roachrun::Value(nullptr);
  r["signal"] = signal_value(o.signal);
  r["stdout"] = valid_utf8(o.out.text());
  r["stderr"] = valid_utf8(o.err.text());
  r["duration_ms"] = o.duration.count();
  if (o.out.truncated()) r["stdout_truncated"] = true;
  if (o.err.truncated()) r["stderr_truncated"] = true;
  return r;
}

// Why the step fails, or "" when the command did what was expected of it.
std::string failure_of(const Command& c, const CommandOutcome& o, std::int64_t expected, std::int64_t timeout_ms) {
  const std::string cmd = "command " + c.text;
  if (o.stopped == CommandOutcome::Stop::timeout)
    return cmd + " timed out after " + duration_text(timeout_ms) + " (stopped with SIGTERM" +
           (o.killed ? ", then SIGKILL 2 s later" : "") + "; raise 'timeout' if it needs longer)";
  std::string failure;
  if (o.signal)
    failure = cmd + " was killed by signal " + signal_text(*o.signal) + " (expected exit status " + std::to_string(expected) + ")";
  else if (o.exit_status && *o.exit_status != expected)
    failure = cmd + " exited with status " + std::to_string(*o.exit_status) + ", expected " + std::to_string(expected);
  if (failure.empty()) return failure;
  if (const std::string line = last_line(o.err.text()); !line.empty()) failure += "; its stderr ended with: " + line;
  return failure;
}

void check(const roachrun::Params& p) { check_command(p, environ); }

void run(roachrun::StepContext& ctx, const roachrun::Params& p) {
  const Command c = command_of(p, environ);
  if (!c.cwd.empty() && !std::filesystem::is_directory(c.cwd))
    throw roachrun::StepError("cannot run command " + c.text + ": working directory '" + c.cwd +
                              "' is not a directory (a relative cwd is relative to roachrun's working directory, " +
                              std::filesystem::current_path().string() + ")");
  // Looked for again: an earlier step may have changed what is there since validation.
  const ProgramLookup found = find_program(c.argv.front(), c.path_list, c.cwd);
  if (!found.path) throw roachrun::StepError("cannot run command " + c.text + ": " + found.problem);

  SpawnSpec spec;
  spec.program = *found.path;
  spec.argv = c.argv;
  spec.env = c.env;
  spec.cwd = c.cwd;
  const bool print = p.boolean("print");
  const auto timeout = p.duration("timeout");
  if (ctx.interrupted().load()) throw roachrun::Interrupted();
  ctx.log().debug("running {}{}", c.text, c.cwd.empty() ? "" : " in " + c.cwd);

  std::ostream& out = ctx.out();
  spdlog::logger& log = ctx.log();
  LineSplitter stderr_lines([&](std::string_view line) { log.info("{}: {}", c.name, valid_utf8(line)); });
  OutputSinks sinks;
  if (print)
    sinks.stdout_bytes = [&](std::string_view chunk) {
      out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      out.flush();
    };
  sinks.stderr_bytes = [&](std::string_view chunk) { stderr_lines.feed(chunk); };

  const CommandOutcome o = run_command(spec, timeout, ctx.interrupted(), sinks);
  stderr_lines.finish();
  ctx.set_result(result_of(o));
  log.debug("{} ended after {} ms: {}", c.text, o.duration.count(),
            o.exit_status ? "exit status " + std::to_string(*o.exit_status)
                          : o.signal ? "signal " + signal_text(*o.signal) : std::string("?"));
  if (o.stopped == CommandOutcome::Stop::interrupt) {
    log.warn("interrupted: stopped command {} (SIGTERM{})", c.text, o.killed ? ", then SIGKILL" : "");
    throw roachrun::Interrupted();
  }
  if (const std::string failure = failure_of(c, o, p.integer("expect_status"), timeout.count()); !failure.empty())
    throw roachrun::StepError(failure);
}

}  // namespace

roachrun::StepType run_step() {
  using roachrun::ParamType;
  roachrun::ParamSpec expect_status =
      roachrun::optional_param("expect_status", ParamType::integer, "the exit status that means success", 0);
  expect_status.min = 0;
  expect_status.max = 255;
  return roachrun::StepType{
      .name = "run",
      .doc = "Run a program (argv) or a shell command line (shell); fail unless it exits with expect_status",
      .params =
          {
              roachrun::optional_param("argv", ParamType::string_list,
                                       "the program and its arguments, run without a shell: [cockroach, node, drain, '1']"),
              roachrun::optional_param("shell", ParamType::string, "a command line run by /bin/sh -c (instead of argv)"),
              roachrun::optional_param("env", ParamType::map,
                                       "environment variables added to roachrun's (null removes one)"),
              roachrun::optional_param("cwd", ParamType::string,
                                       "working directory (relative to roachrun's); default roachrun's"),
              roachrun::optional_param("timeout", ParamType::duration,
                                       "then SIGTERM to its process group, SIGKILL 2 s later, and the step fails", "60s"),
              expect_status,
              roachrun::optional_param("print", ParamType::boolean,
                                       "copy its stdout to roachrun's stdout (false: only kept in the result)", true),
          },
      .run = run,
      .check = check,
  };
}

}  // namespace roachrun_exec
