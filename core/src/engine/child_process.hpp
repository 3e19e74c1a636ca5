// The child processes of the local targets (initdb, postgres, pg_autoctl) and the plugin scanner:
// started in their own process group (the servers as an unprivileged user when roachrun is root),
// collected without blocking, and all of them under one lock shared with the second Ctrl-C.
//
// The second Ctrl-C runs abandon_all() (LocalServer's, LocalFormation's) on the signal thread
// while the main thread may be anywhere in start() or stop(). What the two share -- directories,
// children not yet collected -- changes only under children_mutex(), and children are forked and
// directories made under it too: abandon_all() never misses one, and never signals a pid that was
// collected (and may already belong to another process).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace roachrun {

std::mutex& children_mutex();
// From now on lock_to_create() throws Interrupted: the process is about to exit and would leave
// behind whatever it started. REQUIRES: children_mutex() held.
void abandon_children();
// The lock under which a directory is made or a child forked; throws Interrupted once
// abandon_children() ran.
std::unique_lock<std::mutex> lock_to_create();

// Whether the child `pid` has ended, collecting it if so (`pid` becomes -1, `*status` its wait
// status unless another thread collected it). REQUIRES: children_mutex() held.
bool collected(pid_t& pid, int* status = nullptr);
// Whether no process is left in the process group `group` (then it becomes -1). Its members that
// are our children are collected on the way: their own children are too, once they are gone, as
// roachrun is their subreaper (PR_SET_CHILD_SUBREAPER, set by the first start()). REQUIRES:
// children_mutex() held.
bool group_empty(pid_t& group);

// Checks `done` (with `lock` held) every 10 ms for at most `limit`, releasing the lock between
// checks so the other thread (stop() or abandon_all()) is never kept waiting long.
template <typename Done>
bool poll(std::unique_lock<std::mutex>& lock, std::chrono::steady_clock::duration limit, Done done) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    lock.unlock();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    lock.lock();
  }
}

// The identity the servers run as: ourselves, or an unprivileged user when we are root.
struct RunAs {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;
};
// `postgres`, else `nobody` when roachrun runs as root (PostgreSQL refuses to run as root);
// throws ConnectError if neither exists.
RunAs choose_identity();

// The last `max_lines` lines of `log_file`, each on a new line indented for an error message.
std::string log_tail(const std::filesystem::path& log_file, size_t max_lines = 15);

// Starts `argv` as a child with stdout/stderr appended to `log_file`, as `who`, in its own process
// group (so a Ctrl-C at the terminal reaches roachrun, which then stops the server in order),
// and sent `death_signal` if roachrun is killed outright (0: none). The kernel sends that signal
// when the *thread* that forked the child ends, so such a child is forked by a thread that lasts
// as long as the process: a server started again by a delayed node action, or from a parallel
// branch, must not die when that thread ends. `env`
// ("NAME=value"), when not empty, is the child's whole environment; `stdin_fd` (-1: /dev/null)
// its standard input; `stdout_fd` and `stderr_fd`, when given, its stdout and stderr instead of
// `log_file` (both given: `log_file` is not opened). Returns once the child runs `argv` (exec
// succeeded, or it exited 127 if exec failed): a signal sent to it from then on reaches the
// program, not the forked copy of roachrun, which would block it and then drop it with the
// terminal's. REQUIRES: lock_to_create() held.
pid_t spawn(const std::vector<std::string>& argv, const std::filesystem::path& log_file, const RunAs& who,
            int death_signal, const std::vector<std::string>& env = {}, int stdin_fd = -1, int stdout_fd = -1,
            int stderr_fd = -1);

// A new directory roachrun-XXXXXX under $TMPDIR (else /tmp), made under lock_to_create() so that
// abandon_all() either sees it or nothing is made: `*dir` is set before the lock is released.
// Throws ConnectError if it cannot be made, Interrupted after abandon_children().
void make_run_directory(std::filesystem::path* dir);

// Waits for the child `pid` (and then its process group `group`, which it waited for) to end,
// polling every 10 ms; returns its wait status (-1 if another thread collected it). Throws
// Interrupted as soon as `*interrupted` is set, leaving the child to the caller's cleanup.
int wait_for_exit(pid_t& pid, pid_t& group, const std::atomic<bool>* interrupted);

// A postmaster killed outright leaves its System V shared memory block behind (PostgreSQL removes
// it only on a shutdown it sees). Its id is on the 7th line of `pgdata`/postmaster.pid; the block
// is removed if nobody is attached any more, so killed servers do not use up the system's
// segments. Nothing to do after a clean shutdown (no pid file).
void remove_stale_shared_memory(const std::filesystem::path& pgdata);

// A port on 127.0.0.1 that was free a moment ago. Another process may take it before the server
// binds it; callers retry with a new one.
int pick_free_port();

// Hands `root` and everything under it to `who` (nothing to do unless who.switch_user).
void chown_tree(const std::filesystem::path& root, const RunAs& who);

}  // namespace roachrun
