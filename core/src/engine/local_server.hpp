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
  // A fast shutdown (SIGINT, as stop() sends) and a start on the same port and data directory,
  // as `pg_ctl restart -m fast` does; returns once it accepts connections again. For tests of
  // clients riding through a restart. Throws ConnectError (with the tail of the server's log) if
  // it is not running, does not stop within 15 s, or does not come back within 60 s.
  void restart();

  // For an exit that cannot unwind (the second Ctrl-C exits at once from the signal thread while
  // another thread may be anywhere in start() or stop()): kills every local server and initdb of
  // the process (immediate shutdown, SIGKILL if that hangs), waits until they are gone, removes
  // their directories, and refuses to start any more. Bounded: about 3 s at worst. Thread-safe.
  static void abandon_all() noexcept;

 private:
  // Registers the server for abandon_all(); the destructor deregisters it.
  explicit LocalServer(spdlog::logger& log);

  spdlog::logger& log_;
  std::filesystem::path dir_;
  std::string host_ = "127.0.0.1";
  int port_ = 0;
  pid_t pid_ = -1;
  pid_t initdb_ = -1;        // initdb while it runs; the leader of its process group
  pid_t initdb_group_ = -1;  // that group until it is empty (initdb's own children are in it)
};

// Where the PostgreSQL server binaries are: $ROACHRUN_PG_BINDIR, else the newest
// /usr/lib/postgresql/<version>/bin, else the directory of `postgres` on PATH. Empty if none.
std::filesystem::path find_postgres_bindir();

}  // namespace roachrun
