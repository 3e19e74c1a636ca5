#include "child.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <roachrun/error.hpp>

namespace roachrun_exec {

namespace {

// A pipe whose both ends are close-on-exec and numbered 3 or more: the file actions below put the
// write end on 1 or 2, which must not be where the other end already is (roachrun started with
// stdin or stdout closed).
void make_pipe(UniqueFd& read_end, UniqueFd& write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw roachrun::StepError(std::string("cannot create a pipe for the command: ") + std::strerror(errno));
  UniqueFd r(fds[0]), w(fds[1]);
  for (UniqueFd* end : {&r, &w}) {
    if (end->get() >= 3) continue;
    const int moved = fcntl(end->get(), F_DUPFD_CLOEXEC, 3);
    if (moved < 0) throw roachrun::StepError(std::string("cannot create a pipe for the command: ") + std::strerror(errno));
    *end = UniqueFd(moved);
  }
  fcntl(r.get(), F_SETFL, fcntl(r.get(), F_GETFL) | O_NONBLOCK);
  read_end = std::move(r);
  write_end = std::move(w);
}

// posix_spawn's attribute and file-action objects, destroyed however spawning ends.
struct SpawnObjects {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnObjects() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnObjects() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnObjects(const SpawnObjects&) = delete;
  SpawnObjects& operator=(const SpawnObjects&) = delete;
};

std::vector<char*> c_strings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

Child::Child(const SpawnSpec& spec) {
  UniqueFd out_write, err_write;
  make_pipe(out_, out_write);
  make_pipe(err_, err_write);

  SpawnObjects o;
  // In the child, in this order: stdout and stderr onto the pipes (dup2 clears close-on-exec), stdin
  // from /dev/null, the working directory, then every other descriptor closed.
  posix_spawn_file_actions_adddup2(&o.actions, out_write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&o.actions, err_write.get(), STDERR_FILENO);
  posix_spawn_file_actions_addopen(&o.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (!spec.cwd.empty()) posix_spawn_file_actions_addchdir_np(&o.actions, spec.cwd.c_str());
  posix_spawn_file_actions_addclosefrom_np(&o.actions, 3);

  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  // glibc's sigfillset leaves out its two internal signals (32 and 33: SIGCANCEL, SIGSETXID), and
  // its posix_spawn sets those to SIG_IGN in the child when the parent handles them (every
  // threaded process does) -- and an ignored signal stays ignored across exec. Put them in the
  // set by hand (Linux's sigset_t: bit sig-1 of the first word) so the child gets default
  // dispositions for all of them.
  static_assert(sizeof(all.__val[0]) * 8 >= 64);
  all.__val[0] |= (1UL << 31) | (1UL << 32);
  posix_spawnattr_setsigmask(&o.attr, &none);
  posix_spawnattr_setsigdefault(&o.attr, &all);
  posix_spawnattr_setpgroup(&o.attr, 0);  // a group of its own, numbered by its pid
  posix_spawnattr_setflags(&o.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

  std::vector<char*> argv = c_strings(spec.argv);
  std::vector<char*> envp = c_strings(spec.env);
  // glibc's posix_spawn reports a failed exec (or chdir) as its own result, not as a child that
  // exits 127: nothing to collect then.
  const int rc = posix_spawn(&pid_, spec.program.c_str(), &o.actions, &o.attr, argv.data(), envp.data());
  if (rc != 0) {
    pid_ = -1;
    throw roachrun::StepError("cannot start '" + spec.program + "'" +
                              (spec.cwd.empty() ? "" : " in '" + spec.cwd + "'") + ": " + std::strerror(rc));
  }
}

Child::~Child() {
  if (pid_ <= 0) return;
  if (!ended()) {
    signal_group(SIGKILL);
    int st = 0;
    while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
    ended_ = true;
  }
  group_empty();  // collects members that ended, if they are ours
}

bool Child::ended() {
  if (ended_) return true;
  int st = 0;
  const pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = st;
    ended_ = true;
  } else if (r < 0 && errno == ECHILD) {
    ended_ = true;  // collected by someone else: nothing is known of its status
    status_known_ = false;
  }
  return ended_;
}

void Child::signal_group(int sig) noexcept {
  // The group number stays taken while a member lives; once it is gone, ESRCH.
  if (pid_ > 0) kill(-pid_, sig);
}

bool Child::group_empty() noexcept {
  if (pid_ <= 0) return true;
  while (waitpid(-pid_, nullptr, WNOHANG) > 0) {
  }
  return kill(-pid_, 0) != 0 && errno == ESRCH;
}

}  // namespace roachrun_exec
