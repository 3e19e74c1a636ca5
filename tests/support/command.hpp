// Runs the roachrun executable as a user would, capturing stdout, stderr and the exit code.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace roachrun::test {

struct CommandResult {
  int exit_code = -1;  // the exit status, or 128 + signal number if it was killed
  std::string out;
  std::string err;
};

// A started process; wait() collects it. Output is drained concurrently so it never blocks.
class RunningCommand {
 public:
  RunningCommand(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {});
  // Any program (not the build's roachrun), started in `cwd` (empty: this process's).
  RunningCommand(const std::string& program, const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env, const std::string& cwd);
  ~RunningCommand();
  RunningCommand(const RunningCommand&) = delete;
  RunningCommand& operator=(const RunningCommand&) = delete;

  pid_t pid() const noexcept { return pid_; }
  void signal(int sig) const;
  // stderr so far (for waiting until the process reaches some point).
  std::string err_so_far() const;
  CommandResult wait();
  // Whether the process has not exited yet. It is only looked at (not collected), so pid()
  // cannot be reused meanwhile.
  bool running() const;
  // wait(), but at most `limit`: a process still running then is killed (SIGKILL) and, if
  // `killed` is given, *killed says so.
  CommandResult wait_for(std::chrono::milliseconds limit, bool* killed = nullptr);

 private:
  void start(const std::string& program, const std::vector<std::string>& args,
             const std::map<std::string, std::string>& env, const std::string& cwd);

  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
  std::string out_, err_;
  mutable std::mutex mutex_;
  std::thread reader_;
  bool waited_ = false;
  int status_ = 0;
};

// roachrun with `args` (the binary is prepended), to completion.
CommandResult roachrun(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {});

// `program` with `args` in `cwd` (empty: this process's), to completion.
CommandResult run_program(const std::string& program, const std::vector<std::string>& args,
                          const std::map<std::string, std::string>& env = {}, const std::string& cwd = "");

// Bundled plugins of this build: pass as {"--plugin-dir", plugin_dir()} is not needed (the
// binary finds them beside itself) but a test may use it to be explicit.
std::string plugin_dir();

}  // namespace roachrun::test
