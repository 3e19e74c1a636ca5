// A throwaway PostgreSQL server for one run: initdb into a new temporary directory with the
// superuser `root` (as on CockroachDB), listening only on 127.0.0.1 on a free port, stopped and
// its directory removed when the object is destroyed -- after a failed step or Ctrl-C too.
//
// PostgreSQL refuses to run as root; when roachrun runs as root the server runs as the
// unprivileged `postgres` system user (or `nobody`).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "roachrun/local_nodes.hpp"  // StopMode

namespace spdlog {
class logger;
}

namespace roachrun {

struct LocalServerOptions {
  std::string superuser = "root";
  // Databases created once the server is up (CockroachDB has `defaultdb`).
  std::vector<std::string> databases = {"defaultdb"};
  // Extra postgresql.conf settings, e.g. {"deadlock_timeout", "100ms"}.
  std::vector<std::pair<std::string, std::string>> settings;
  // pg_hba.conf lines for TCP connections; the default trusts every user from 127.0.0.1, as an
  // insecure CockroachDB node does.
  std::vector<std::string> hba = {"host all all 127.0.0.1/32 trust"};
  // Files copied into the data directory (owned by the server's user, mode 0600) before start,
  // e.g. the TLS key and certificates: {source, name in the data directory}.
  std::vector<std::pair<std::filesystem::path, std::string>> files;
  // Set on Ctrl-C (Interrupts::flag()): start() then stops waiting for initdb or the server and
  // throws Interrupted. Null: start() is not interruptible.
  const std::atomic<bool>* interrupted = nullptr;
};

class LocalServer {
 public:
  // Throws ConnectError if the server cannot be set up or does not come up; the message carries
  // the tail of the server's log. Throws Interrupted at once on Ctrl-C (options.interrupted),
  // having stopped what it started and removed the directory.
  static std::unique_ptr<LocalServer> start(const LocalServerOptions& options, spdlog::logger& log);
  ~LocalServer();
  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;

  const std::string& host() const noexcept { return host_; }
  int port() const noexcept { return port_; }
  const std::filesystem::path& directory() const noexcept { return dir_; }
  pid_t pid() const noexcept { return pid_; }

  // Stops the server (and an initdb still running) and removes its directory; idempotent.
  // Bounded: about 15 s at worst.
  void stop() noexcept;

  // Node control of the server (the nodes plugin on the single local server), keeping its data
  // directory and its port: clients reconnect to the same host:port. Thread-safe (a delayed node
  // action runs on a thread of its own); the process's state changes only under children_mutex().
  //
  // Whether the postmaster runs: not shut down or killed by the calls below.
  bool running();
  // A shutdown in `mode`, the signal `pg_ctl stop -m` sends (fast: SIGINT; immediate: SIGQUIT);
  // returns once the postmaster and its backends are gone. Bounded: 15 s (fast) or 10 s
  // (immediate), then the rest is SIGKILLed, with a warning. Throws ConnectError if it is not
  // running.
  void shut_down(StopMode mode);
  // SIGKILL to the postmaster and its backends at once, as a machine that dies; returns once they
  // are gone (its shared memory removed). Throws ConnectError if it is not running or still there
  // after 5 s.
  void kill_server();
  // Starts the stopped or killed server again on the same port and data directory, as start()
  // starts it; returns once it accepts connections (after an immediate shutdown or a kill, once it
  // has recovered from the WAL). Throws ConnectError (with the tail of the server's log) if it
  // runs, exits, or does not accept connections within 60 s; Interrupted at once on Ctrl-C.
  void start_again();
  // shut_down(fast) and start_again(), as `pg_ctl restart -m fast` does. For tests of clients
  // riding through a restart.
  void restart();

  // For an exit that cannot unwind (the second Ctrl-C exits at once from the signal thread while
  // another thread may be anywhere in start() or stop()): kills every local server and initdb of
  // the process (immediate shutdown, SIGKILL if that hangs), waits until they are gone, removes
  // their directories, and refuses to start any more. Bounded: about 3 s at worst. Thread-safe.
  static void abandon_all() noexcept;

 private:
  // Registers the server for abandon_all(); the destructor deregisters it.
  explicit LocalServer(spdlog::logger& log);

  enum class Launch { ready, port_taken };
  // The one way the postmaster is started, by start() and start_again(): `postgres -D dir/data`
  // (the port is in postgresql.auto.conf), waiting until it accepts connections. Returns
  // port_taken if it exited because the port is in use (start() then tries another); throws
  // ConnectError if it exits otherwise or is not up within 60 s, Interrupted on Ctrl-C.
  Launch launch();
  std::string endpoint() const { return host_ + ":" + std::to_string(port_); }

  spdlog::logger& log_;
  std::filesystem::path dir_;
  std::string host_ = "127.0.0.1";
  int port_ = 0;
  std::string superuser_;
  const std::atomic<bool>* interrupted_ = nullptr;
  pid_t pid_ = -1;           // the postmaster, the leader of its process group; -1 once collected
  pid_t group_ = -1;         // that group until it is empty (the backends are in it)
  pid_t initdb_ = -1;        // initdb while it runs; the leader of its process group
  pid_t initdb_group_ = -1;  // that group until it is empty (initdb's own children are in it)
};

// Where the PostgreSQL server binaries are: $ROACHRUN_PG_BINDIR, else the newest
// /usr/lib/postgresql/<version>/bin, else the directory of `postgres` on PATH. Empty if none.
std::filesystem::path find_postgres_bindir();

}  // namespace roachrun
