// A throwaway highly available PostgreSQL for one run: a pg_auto_failover formation -- a monitor
// and `nodes` PostgreSQL nodes (one primary, the others synchronous standbys) -- on 127.0.0.1 on
// free ports, in one new temporary directory, run by pg_autoctl as the `postgres` user when
// roachrun runs as root. Stopped and its directory removed when the object is destroyed, after a
// failed step or Ctrl-C too; and by a janitor process when roachrun itself is killed.
//
// Synchronous replication (number_sync_standbys = 1): a commit is acknowledged once a standby
// has flushed it, so the loss of the primary loses no acknowledged commit. The monitor's health
// checks and demotion timeout are shortened (a formation on one machine has no network to
// partition): a killed primary is replaced within a few seconds, not pg_auto_failover's default
// of about 50 s.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "roachrun/connection.hpp"
#include "roachrun/local_nodes.hpp"  // StopMode

namespace spdlog {
class logger;
}

namespace roachrun {

struct LocalFormationOptions {
  int nodes = 3;  // PostgreSQL nodes, 2 or more (the monitor comes on top)
  std::string superuser = "root";
  std::vector<std::string> databases = {"defaultdb"};
  // Secure: every node (and the monitor) serves TLS with certs_dir/node.crt and node.key, and
  // every client user is authenticated by a certificate signed by certs_dir/ca.crt, as on the
  // single secure local server. REQUIRES: those files exist. Empty: no TLS, TCP trusted.
  std::filesystem::path certs_dir;
  // Set on Ctrl-C: start() and every wait stop at once and throw Interrupted.
  const std::atomic<bool>* interrupted = nullptr;
};

// What the monitor says of a node, with what roachrun knows of its process.
struct FormationNode {
  int number = 0;  // 1-based, in the order of the target's host list
  int port = 0;
  bool running = false;         // its pg_autoctl runs (not killed or stopped by us)
  std::string reported_state;   // pg_auto_failover's, e.g. "primary", "secondary", "catchingup"
  std::string goal_state;       // assigned by the monitor
};

// Thread-safe: node control may come from the main thread and from a thread of its own (delayed
// actions) at once; the processes' state changes only under children_mutex().
class LocalFormation {
 public:
  // Throws ConnectError (naming the node and with the tail of its log) if pg_autoctl is missing,
  // a node does not come up, or the formation is not healthy within 120 s; Interrupted on Ctrl-C.
  // Either way what was started is stopped and the directory removed.
  static std::unique_ptr<LocalFormation> start(const LocalFormationOptions& options, spdlog::logger& log);
  ~LocalFormation();
  LocalFormation(const LocalFormation&) = delete;
  LocalFormation& operator=(const LocalFormation&) = delete;

  const std::string& host() const noexcept { return host_; }
  // The nodes' ports, node 1 first: the target's host list is host() that many times with these.
  std::vector<int> ports() const;
  int monitor_port() const noexcept { return monitor_port_; }
  const std::filesystem::path& directory() const noexcept { return dir_; }

  // The nodes as the monitor sees them now (running from our side). Throws ConnectError if the
  // monitor does not answer within 5 s.
  std::vector<FormationNode> nodes() const;
  // The number of the node that is primary and takes writes, waiting up to `limit` for one
  // (during a failover there is none). Throws ConnectError when there is none by then.
  int primary(std::chrono::milliseconds limit) const;

  // The node's pg_autoctl and its postgres SIGKILLed at once, as a machine that dies.
  void kill(int node);
  // A shutdown of the node's postgres in `mode` (fast: pg_autoctl's fast stop; immediate: pg_ctl
  // stop -m immediate of its postgres and pg_autoctl's immediate stop), then of its pg_autoctl;
  // bounded (15 s fast, 10 s immediate, then SIGKILL).
  void stop(int node, StopMode mode = StopMode::fast);
  // Starts a killed or stopped node again (`pg_autoctl run`); returns once its pg_autoctl runs.
  // It rejoins as a standby of the current primary on its own, which wait_healthy() waits for.
  void start(int node);
  // Waits until every running node is primary or secondary as assigned, and one is primary (a
  // primary left alone, in pg_auto_failover's wait_primary, counts once no other node runs).
  // Throws ConnectError with the monitor's view when that takes longer than `limit`.
  void wait_healthy(std::chrono::milliseconds limit) const;

  // Stops every node and the monitor and removes the directory; idempotent. Bounded: 20 s.
  void stop() noexcept;

  // As LocalServer::abandon_all(), for the second Ctrl-C: every pg_autoctl and postgres of every
  // formation of the process killed, their directories removed. Bounded: about 3 s. Thread-safe.
  static void abandon_all() noexcept;

 private:
  explicit LocalFormation(spdlog::logger& log);
  struct Process;  // a pg_autoctl run and its process group

  Process& node(int number) const;  // throws ConnectError for a number that is no node
  void spawn_process(Process& p, const std::vector<std::string>& args);
  void throw_if_interrupted() const;
  // Rows of the monitor's pgautofailover.node, as FormationNode by our node numbers.
  std::vector<FormationNode> monitor_view() const;
  // A session over the node's (or the monitor's) Unix socket as the OS user pg_autoctl runs as,
  // which every node trusts whatever TCP requires. Throws ConnectError.
  Connection local_connection(int port, const std::string& dbname) const;
  // One statement on such a session: the first column of each row. Throws ConnectError (an
  // error reply too: to a caller waiting for a node, a node that errs is not up yet).
  std::vector<std::string> local_query(int port, const std::string& dbname, const std::string& sql,
                                       const std::vector<Param>& params = {}) const;
  void start_janitor();

  spdlog::logger& log_;
  std::filesystem::path dir_;
  std::string host_ = "127.0.0.1";
  int monitor_port_ = 0;
  std::string os_user_;                  // who pg_autoctl and postgres run as
  std::vector<std::string> env_;          // pg_autoctl's environment: everything under dir_
  std::filesystem::path pg_autoctl_, bindir_;
  const std::atomic<bool>* interrupted_ = nullptr;
  std::vector<std::unique_ptr<Process>> processes_;  // [0] the monitor, [i] node i
  pid_t janitor_ = -1;     // removes dir_ if roachrun dies without stop(): see start_janitor()
  int janitor_pipe_ = -1;  // its stdin; closing it (or dying) is the janitor's signal
};

// Whether pg_autoctl (pg-auto-failover-cli) and the pg_auto_failover extension
// (postgresql-15-auto-failover) are installed; an empty string if so, else what to install.
std::string missing_auto_failover();

}  // namespace roachrun
