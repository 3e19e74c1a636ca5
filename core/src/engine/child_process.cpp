#include "engine/child_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/shm.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>
#include <utility>

#include "engine/variables.hpp"
#include "roachrun/error.hpp"

namespace roachrun {

namespace fs = std::filesystem;

namespace {

struct Children {
  std::mutex mutex;
  bool abandoned = false;
};

Children& children() {
  static Children* c = new Children();  // never destroyed: the signal thread may outlive main
  return *c;
}

// The thread that forks the children with a parent-death signal (see spawn()): started on first
// use and never ended (nor destroyed), so the kernel sends that signal when the process dies and
// not when the thread that asked for the child ends -- a delayed node action's, a parallel
// branch's, that of a scenario that is over while the server it started again runs on.
class Forker {
 public:
  static Forker& instance() {
    static Forker* forker = new Forker();
    return *forker;
  }

  // fork() on the forker's thread; the child runs `in_child` there, which must exec or _exit.
  // Returns what fork() returned to the parent (-1 with errno set on failure).
  pid_t fork_there(const std::function<void()>& in_child) {
    std::lock_guard one_at_a_time(call_mutex_);
    std::unique_lock lock(mutex_);
    job_ = &in_child;
    done_ = false;
    changed_.notify_all();
    changed_.wait(lock, [this] { return done_; });
    errno = error_;
    return result_;
  }

 private:
  Forker() { std::thread([this] { serve(); }).detach(); }

  void serve() {
    std::unique_lock lock(mutex_);
    for (;;) {
      changed_.wait(lock, [this] { return job_ != nullptr; });
      const std::function<void()>* job = std::exchange(job_, nullptr);
      const pid_t pid = fork();
      if (pid == 0) {
        (*job)();  // the child touches nothing of the parent's locks: it execs or exits
        _exit(127);
      }
      result_ = pid;
      error_ = errno;
      done_ = true;
      changed_.notify_all();
    }
  }

  std::mutex call_mutex_;
  std::mutex mutex_;
  std::condition_variable changed_;
  const std::function<void()>* job_ = nullptr;
  bool done_ = false;
  pid_t result_ = -1;
  int error_ = 0;
};

}  // namespace

std::mutex& children_mutex() { return children().mutex; }

void abandon_children() { children().abandoned = true; }

std::unique_lock<std::mutex> lock_to_create() {
  std::unique_lock lock(children().mutex);
  if (children().abandoned) throw Interrupted();
  return lock;
}

bool collected(pid_t& pid, int* status) {
  if (pid <= 0) return true;
  int st = 0;
  const pid_t r = waitpid(pid, &st, WNOHANG);
  if (r == 0 || (r < 0 && errno == EINTR)) return false;
  if (r == pid && status) *status = st;
  pid = -1;
  return true;
}

bool group_empty(pid_t& group) {
  if (group <= 0) return true;
  while (waitpid(-group, nullptr, WNOHANG) > 0) {
  }
  if (kill(-group, 0) == 0 || errno != ESRCH) return false;
  group = -1;
  return true;
}



RunAs choose_identity() {
  RunAs who;
  if (geteuid() != 0) return who;
  for (const char* candidate : {"postgres", "nobody"}) {
    if (struct passwd* pw = getpwnam(candidate)) {
      who.switch_user = true;
      who.uid = pw->pw_uid;
      who.gid = pw->pw_gid;
      who.name = candidate;
      return who;
    }
  }
  throw ConnectError("local", "roachrun runs as root and PostgreSQL refuses to: no 'postgres' or 'nobody' user "
                              "exists to run the local server as. Create one (install postgresql-15) or run as "
                              "an ordinary user");
}

std::string log_tail(const fs::path& log_file, size_t max_lines) {
  std::ifstream in(log_file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::string out;
  for (size_t i = lines.size() > max_lines ? lines.size() - max_lines : 0; i < lines.size(); ++i)
    out += "\n    " + lines[i];
  return out;
}

pid_t spawn(const std::vector<std::string>& argv, const fs::path& log_file, const RunAs& who, int death_signal,
            const std::vector<std::string>& env, int stdin_fd, int stdout_fd, int stderr_fd) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> environment;
  for (const auto& e : env) environment.push_back(const_cast<char*>(e.c_str()));
  environment.push_back(nullptr);
  std::string log_path = log_file.string();
  pid_t parent = getpid();
  int exec_pipe[2];  // its write end closes when the child execs (or exits)
  if (pipe2(exec_pipe, O_CLOEXEC) != 0) throw ConnectError("local", std::string("pipe failed: ") + std::strerror(errno));

  // What the child does between fork and exec: no allocation, no lock (another thread of the
  // parent may have held one when it forked).
  const std::function<void()> child = [&] {
    close(exec_pipe[0]);
    setpgid(0, 0);
    // A Ctrl-C sent to roachrun's process group between fork and setpgid is pending here, blocked:
    // discard it (setting SIG_IGN does) rather than have the new server or initdb die of it.
    // SIGPIPE too: roachrun ignores it, and an ignored signal stays ignored across exec.
    struct sigaction action {};
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) {
      action.sa_handler = SIG_IGN;
      sigaction(sig, &action, nullptr);
      action.sa_handler = SIG_DFL;
      sigaction(sig, &action, nullptr);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);  // roachrun blocks signals for its signal thread
    if (who.switch_user) {
      if (setgroups(1, &who.gid) != 0 || setgid(who.gid) != 0 || setuid(who.uid) != 0) _exit(126);
    }
    // After the uid change: changing credentials clears the parent-death signal.
    if (death_signal != 0) {
      prctl(PR_SET_PDEATHSIG, death_signal);
      if (getppid() != parent) _exit(1);
    }
    int fd = stdout_fd >= 0 && stderr_fd >= 0 ? -1 : open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (stdout_fd >= 0 || fd >= 0) dup2(stdout_fd >= 0 ? stdout_fd : fd, STDOUT_FILENO);
    if (stderr_fd >= 0 || fd >= 0) dup2(stderr_fd >= 0 ? stderr_fd : fd, STDERR_FILENO);
    if (stdin_fd >= 0) {
      dup2(stdin_fd, STDIN_FILENO);  // the copy does not inherit O_CLOEXEC: it survives exec
    } else {
      int null_fd = open("/dev/null", O_RDONLY);
      if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    }
    if (env.empty()) execv(args[0], args.data());
    else execve(args[0], args.data(), environment.data());
    _exit(127);
  };
  const pid_t pid = death_signal != 0 ? Forker::instance().fork_there(child) : fork();
  if (pid == 0) child();  // a direct fork()'s child; it does not return
  if (pid < 0) {
    const int error = errno;
    close(exec_pipe[0]);
    close(exec_pipe[1]);
    throw ConnectError("local", std::string("fork failed: ") + std::strerror(error));
  }
  close(exec_pipe[1]);
  setpgid(pid, pid);  // also here: the group exists for kill(-pid) as soon as spawn() returns
  char byte;
  while (read(exec_pipe[0], &byte, 1) < 0 && errno == EINTR) {
  }
  close(exec_pipe[0]);
  return pid;
}

void remove_stale_shared_memory(const fs::path& pgdata) {
  std::ifstream pid_file(pgdata / "postmaster.pid");
  std::string line;
  for (int i = 0; i < 7 && std::getline(pid_file, line); ++i) {
  }
  std::istringstream fields(line);
  long key = 0;
  int shmid = -1;
  if (!(fields >> key >> shmid) || shmid < 0) return;
  struct shmid_ds info {};
  if (shmctl(shmid, IPC_STAT, &info) == 0 && info.shm_nattch == 0) shmctl(shmid, IPC_RMID, nullptr);
}

int pick_free_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw ConnectError("127.0.0.1", std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    throw ConnectError("127.0.0.1", std::string("cannot find a free port: ") + std::strerror(errno));
  }
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

void chown_tree(const fs::path& root, const RunAs& who) {
  if (!who.switch_user) return;
  if (chown(root.c_str(), who.uid, who.gid) != 0)
    throw ConnectError("local", "cannot hand " + root.string() + " to user " + who.name + ": " + std::strerror(errno));
  for (const auto& entry : fs::recursive_directory_iterator(root))
    if (lchown(entry.path().c_str(), who.uid, who.gid) != 0)
      throw ConnectError("local", "cannot hand " + entry.path().string() + " to user " + who.name + ": " +
                                      std::strerror(errno));
}

void make_run_directory(fs::path* dir) {
  const std::string base = process_env("TMPDIR").value_or("/tmp");
  std::string tmpl = (fs::path(base) / "roachrun-XXXXXX").string();
  auto lock = lock_to_create();
  if (!mkdtemp(tmpl.data()))
    throw ConnectError("local", "cannot create a temporary directory under " + base + ": " + std::strerror(errno));
  *dir = tmpl;
}

int wait_for_exit(pid_t& pid, pid_t& group, const std::atomic<bool>* interrupted) {
  int status = -1;  // not an exit: a child collected by abandon_all() is no success
  for (;;) {
    {
      std::lock_guard lock(children_mutex());
      if (collected(pid, &status)) {
        group_empty(group);
        return status;
      }
    }
    if (interrupted && *interrupted) throw Interrupted();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace roachrun
