// One child process of exec.run: started with posix_spawn in a process group of its own, its
// stdout and stderr on pipes, its stdin /dev/null, and none of roachrun's signal state.
//
// roachrun blocks SIGINT/SIGTERM/SIGHUP in every thread (a signal thread waits for them) and
// ignores SIGPIPE; a blocked mask and ignored dispositions survive exec, so the child gets an empty
// mask and default dispositions, or it could not be stopped by the very signals we send it. Its
// own process group keeps a terminal's Ctrl-C away from it (roachrun decides when it stops) and
// lets us signal whatever it started too. No file descriptor of roachrun but the three leaks into
// it, whatever another thread opens meanwhile.
//
// Owned by one thread; the destructor never leaves a zombie: a child still running then is killed
// with its group (SIGKILL) and collected.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "unique_fd.hpp"

namespace roachrun_exec {

struct SpawnSpec {
  std::string program;             // a path (found on PATH beforehand): nothing is searched here
  std::vector<std::string> argv;   // argv[0] included
  std::vector<std::string> env;    // the whole environment, "NAME=value"
  std::string cwd;                 // "" = roachrun's working directory
};

class Child {
 public:
  // Throws roachrun::StepError naming the program and the reason when it cannot be started.
  explicit Child(const SpawnSpec& spec);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const noexcept { return pid_; }
  // The read ends of its stdout and stderr (non-blocking); reset() one once it reached EOF.
  UniqueFd& stdout_pipe() noexcept { return out_; }
  UniqueFd& stderr_pipe() noexcept { return err_; }

  // Whether the child has ended, collecting it if so (never blocks). Then status() is its wait status.
  bool ended();
  int status() const noexcept { return status_; }
  // False only if something else in the process collected it (then status() means nothing).
  bool status_known() const noexcept { return status_known_; }
  // `sig` to every process of its group; nothing once the group is gone.
  void signal_group(int sig) noexcept;
  // Whether no process of its group is left. Members that ended are collected on the way (they are
  // ours when roachrun is a subreaper, as it is with a local target).
  bool group_empty() noexcept;

 private:
  pid_t pid_ = -1;
  bool ended_ = false;
  int status_ = 0;
  bool status_known_ = true;
  UniqueFd out_, err_;
};

}  // namespace roachrun_exec
