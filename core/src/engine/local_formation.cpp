#include "engine/local_formation.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "engine/child_process.hpp"
#include "engine/local_server.hpp"
#include "engine/variables.hpp"
#include "roachrun/connection.hpp"
#include "roachrun/error.hpp"

namespace roachrun {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct LocalFormation::Process {
  std::string name;  // "the monitor", "node 2"
  fs::path pgdata;
  fs::path log;
  int port = 0;
  pid_t pid = -1;    // its pg_autoctl, the leader of its process group; -1 once collected
  pid_t group = -1;  // that group until it is empty (postgres and its backends are in it)
  bool autoctl = false;  // pid is pg_autoctl (else initdb, or nothing yet)
};

namespace {

// Every LocalFormation of the process, for abandon_all(). REQUIRES: children_mutex() held.
std::set<LocalFormation*>& live_formations() {
  static auto* formations = new std::set<LocalFormation*>();  // never destroyed: see children_mutex()
  return *formations;
}

fs::path find_on_path(const std::string& program) {
  std::stringstream path(process_env("PATH").value_or("/usr/bin:/bin"));
  std::error_code ec;
  for (std::string dir; std::getline(path, dir, ':');)
    if (!dir.empty() && fs::exists(fs::path(dir) / program, ec)) return fs::path(dir) / program;
  if (fs::exists("/usr/bin/" + program, ec)) return "/usr/bin/" + program;
  return {};
}

// The monitor's settings for a formation on one machine. pg_auto_failover's defaults are made for
// a network that may partition: 20 s before a silent node is unhealthy, 30 s for an unreachable
// primary to demote itself, so a killed primary is replaced after about 50 s. Here a node that
// does not answer is dead: seconds are enough. An acknowledged commit is safe whatever these say
// -- it was flushed on a synchronous standby -- they only decide how soon a standby takes over:
// about 3 s to find the primary dead, 3 s of pg_auto_failover's state machine, 6-8 s in all on
// two busy cores. Not shorter: a node whose keeper misses a second of reports under load must
// not be failed over.
const std::vector<std::pair<std::string, int>> kMonitorSettings = {
    {"pgautofailover.health_check_period", 1000},
    {"pgautofailover.health_check_timeout", 1000},
    {"pgautofailover.health_check_max_retries", 1},
    {"pgautofailover.health_check_retry_delay", 500},
    {"pgautofailover.node_considered_unhealthy_timeout", 1500},
    {"pgautofailover.primary_demote_timeout", 1000},
};

bool is_role(const std::string& state, std::initializer_list<const char*> roles) {
  for (const char* r : roles)
    if (state == r) return true;
  return false;
}

// The formation's pg_hba.conf on every node, written once it is up (pg_autoctl's own edits are
// replaced; a node made later by pg_basebackup copies it from the primary). pg_auto_failover's
// users authenticate by trust over 127.0.0.1 in the secure variant too: pg_autoctl 2.0 has
// options for the server's certificate and the CA, none for a client certificate of its own.
std::string hba_for(bool secure) {
  std::string hba = "# written by roachrun for a throwaway local formation\n"
                    "local all all trust\n"
                    "local replication all trust\n";
  if (!secure)
    return hba + "host all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n";
  return hba +
         "hostssl replication pgautofailover_replicator 127.0.0.1/32 trust\n"
         "hostssl all autoctl_node,pgautofailover_monitor,pgautofailover_replicator 127.0.0.1/32 trust\n"
         "hostssl all all 127.0.0.1/32 cert\n";
}

}  // namespace

std::string missing_auto_failover() {
  std::string missing;
  if (find_on_path("pg_autoctl").empty()) missing = "pg_autoctl (Debian package pg-auto-failover-cli)";
  // Debian's layout: /usr/lib/postgresql/15/bin -> /usr/share/postgresql/15/extension.
  const fs::path bindir = find_postgres_bindir();
  const std::string version = bindir.parent_path().filename().string();
  std::error_code ec;
  if (bindir.parent_path().parent_path() == "/usr/lib/postgresql" &&
      !fs::exists("/usr/share/postgresql/" + version + "/extension/pgautofailover.control", ec))
    missing += (missing.empty() ? "" : " and ") + std::string("the pgautofailover extension (Debian package postgresql-") +
               version + "-auto-failover)";
  return missing;
}

LocalFormation::LocalFormation(spdlog::logger& log) : log_(log) {
  std::lock_guard lock(children_mutex());
  live_formations().insert(this);
}

LocalFormation::~LocalFormation() {
  stop();
  std::lock_guard lock(children_mutex());
  live_formations().erase(this);
}

void LocalFormation::throw_if_interrupted() const {
  if (interrupted_ && *interrupted_) throw Interrupted();
}

std::vector<int> LocalFormation::ports() const {
  std::vector<int> out;
  for (size_t i = 1; i < processes_.size(); ++i) out.push_back(processes_[i]->port);
  return out;
}

LocalFormation::Process& LocalFormation::node(int number) const {
  if (number < 1 || number >= static_cast<int>(processes_.size()))
    throw ConnectError("local", "the local formation has nodes 1 to " + std::to_string(processes_.size() - 1) +
                                    ", not " + std::to_string(number));
  return *processes_[number];
}

void LocalFormation::spawn_process(Process& p, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {pg_autoctl_.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  const RunAs who = choose_identity();
  auto lock = lock_to_create();
  // No parent-death signal: node control may start a node from a thread that ends before the
  // run does. The janitor stops everything if roachrun dies.
  p.pid = p.group = spawn(argv, p.log, who, 0, env_);
  p.autoctl = true;
}

// A process outside roachrun's process group and session that waits for roachrun to go away --
// it sees end-of-file on its stdin, whose write end only roachrun holds -- and then kills what is
// left of the formation and removes the directory. After stop() it finds nothing to do. This is
// what cleans up after a `kill -9` of roachrun, which no code of roachrun's own survives.
void LocalFormation::start_janitor() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw ConnectError("local", std::string("pipe failed: ") + std::strerror(errno));
  // pg_autoctl writes its pid under run/, postgres under each data directory, each on the file's
  // first line. A pid is signalled only if its command line names the directory (a killed node's
  // pid file is stale, and the number may be another process's by now). SIGQUIT first: an
  // immediate shutdown lets a postmaster remove its shared memory; then SIGKILL to each
  // pg_autoctl's process group (it leads one: spawn()), which holds its services and postgres.
  const std::string script = R"(trap '' INT TERM HUP
cat >/dev/null
d="$1"
[ -d "$d" ] || exit 0
ours() { tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$d/"; }
pids=
for f in "$d"/*/postmaster.pid "$d/run/pg_autoctl$d"/*/pg_autoctl.pid; do
  [ -f "$f" ] || continue
  p=$(head -n 1 "$f")
  ours "$p" && kill -QUIT "$p" 2>/dev/null && pids="$pids $p"
done
if [ -n "$pids" ]; then
  sleep 1
  for p in $pids; do kill -KILL -- "-$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null; done
fi
rm -rf "$d"
)";
  try {
    auto lock = lock_to_create();
    janitor_ = spawn({"/bin/sh", "-c", script, "roachrun-janitor", dir_.string()}, "/dev/null", RunAs{}, 0, {},
                     fds[0]);
  } catch (...) {
    close(fds[0]);
    close(fds[1]);
    throw;
  }
  close(fds[0]);
  janitor_pipe_ = fds[1];
}

Connection LocalFormation::local_connection(int port, const std::string& dbname) const {
  return Connection::open({{"host", (dir_ / "socket").string()},
                           {"port", std::to_string(port)},
                           {"dbname", dbname},
                           {"user", os_user_},
                           {"connect_timeout", "5"}},
                          "local formation");
}

std::vector<std::string> LocalFormation::local_query(int port, const std::string& dbname, const std::string& sql,
                                                     const std::vector<Param>& params) const {
  try {
    const Result res = local_connection(port, dbname).exec_params(sql, params);
    std::vector<std::string> rows;
    for (int i = 0; i < res.rows(); ++i) rows.emplace_back(res.text(i, 0));
    return rows;
  } catch (const DbError& e) {
    // To the callers, who wait for a node to come up, a node that answers with an error (the
    // monitor's extension not created yet) is one that is not up yet.
    throw ConnectError("127.0.0.1:" + std::to_string(port), e.what());
  }
}

std::vector<FormationNode> LocalFormation::monitor_view() const {
  const auto rows = local_query(monitor_port_, "pg_auto_failover",
                                "SELECT nodeport || ' ' || reportedstate || ' ' || goalstate "
                                "FROM pgautofailover.node ORDER BY nodeid");
  std::vector<FormationNode> view;
  for (size_t i = 1; i < processes_.size(); ++i) view.push_back({.number = static_cast<int>(i), .port = processes_[i]->port, .running = false, .reported_state = {}, .goal_state = {}});
  for (const auto& row : rows) {
    std::istringstream fields(row);
    int port = 0;
    std::string reported, goal;
    fields >> port >> reported >> goal;
    for (auto& n : view)
      if (n.port == port) n.reported_state = reported, n.goal_state = goal;
  }
  std::lock_guard lock(children_mutex());
  for (auto& n : view) n.running = processes_[n.number]->pid > 0 && !collected(processes_[n.number]->pid);
  return view;
}

std::vector<FormationNode> LocalFormation::nodes() const { return monitor_view(); }

int LocalFormation::primary(std::chrono::milliseconds limit) const {
  const auto deadline = Clock::now() + limit;
  std::string last = "the monitor names no primary";
  for (;;) {
    try {
      for (const auto& n : monitor_view()) {
        if (!n.running || !is_role(n.reported_state, {"primary", "wait_primary", "single"})) continue;
        // The monitor's word is a second old; the node itself says whether it takes writes.
        if (local_query(n.port, "postgres", "SELECT NOT pg_is_in_recovery()") == std::vector<std::string>{"t"})
          return n.number;
      }
    } catch (const ConnectError& e) {
      last = e.what();
    }
    throw_if_interrupted();
    if (Clock::now() >= deadline)
      throw ConnectError("local", "no node of the local formation takes writes after " +
                                      std::to_string(limit.count()) + " ms: " + last);
    std::this_thread::sleep_for(50ms);
  }
}

void LocalFormation::kill(int number) {
  Process& p = node(number);
  std::unique_lock lock(children_mutex());
  if (p.pid <= 0 || collected(p.pid)) throw ConnectError(p.name, p.name + " is not running");
  ::kill(-p.group, SIGKILL);
  if (!poll(lock, 5s, [&] { return collected(p.pid) && group_empty(p.group); }))
    throw ConnectError(p.name, p.name + " was sent SIGKILL and is still there after 5 s");
  log_.info("killed {} (127.0.0.1:{}): its pg_autoctl and postgres, SIGKILL", p.name, p.port);
}

void LocalFormation::stop(int number, StopMode mode) {
  Process& p = node(number);
  std::unique_lock lock(children_mutex());
  if (p.pid <= 0 || collected(p.pid)) throw ConnectError(p.name, p.name + " is not running");
  const bool fast = mode == StopMode::fast;
  if (fast) {
    ::kill(p.pid, SIGINT);  // pg_autoctl's "fast" stop: its postgres shuts down fast, then it exits
  } else {
    // pg_ctl stop -m immediate of its postgres (SIGQUIT to the postmaster of the pid file, if it
    // is one of this node's processes: a stale file may name another process by now), and at
    // once pg_autoctl's own immediate stop, SIGQUIT, so that it does not start postgres again.
    std::ifstream pid_file(p.pgdata / "postmaster.pid");
    pid_t postmaster = 0;
    if (pid_file >> postmaster && postmaster > 0 && getpgid(postmaster) == p.group) ::kill(postmaster, SIGQUIT);
    ::kill(p.pid, SIGQUIT);
  }
  const auto limit = fast ? 15s : 10s;
  if (!poll(lock, limit, [&] { return collected(p.pid) && group_empty(p.group); })) {
    ::kill(-p.group, SIGKILL);
    poll(lock, 2s, [&] { return collected(p.pid) && group_empty(p.group); });
    log_.warn("{} did not stop within {} s and was killed", p.name, limit.count());
    return;
  }
  log_.info("stopped {} (127.0.0.1:{}){}", p.name, p.port, fast ? "" : ": an immediate shutdown of its postgres");
}

void LocalFormation::start(int number) {
  Process& p = node(number);
  {
    std::lock_guard lock(children_mutex());
    if (p.pid > 0 && !collected(p.pid)) throw ConnectError(p.name, p.name + " is already running");
    group_empty(p.group);
  }
  remove_stale_shared_memory(p.pgdata);
  spawn_process(p, {"run", "--pgdata", p.pgdata.string()});
  log_.info("started {} (127.0.0.1:{}) again: it rejoins as a standby", p.name, p.port);
}

void LocalFormation::wait_healthy(std::chrono::milliseconds limit) const {
  const auto deadline = Clock::now() + limit;
  std::string view_text;
  for (;;) {
    view_text.clear();
    bool healthy = true;
    int primaries = 0, running = 0;
    bool waiting_primary = false;
    try {
      for (const auto& n : monitor_view()) {
        view_text += "\n    node " + std::to_string(n.number) + " 127.0.0.1:" + std::to_string(n.port) + " " +
                     (n.running ? "" : "(not running) ") + n.reported_state + " -> " + n.goal_state;
        if (!n.running) continue;
        ++running;
        // A primary left without a standby stays in wait_primary (it commits without waiting for
        // one): as healthy as a single running node can be.
        if (n.reported_state != n.goal_state || !is_role(n.reported_state, {"primary", "secondary", "wait_primary"}))
          healthy = false;
        if (is_role(n.reported_state, {"primary", "wait_primary"})) ++primaries;
        if (n.reported_state == "wait_primary") waiting_primary = true;
      }
    } catch (const ConnectError& e) {
      healthy = false;
      view_text = std::string("\n    the monitor does not answer: ") + e.what();
    }
    if (healthy && primaries == 1 && (!waiting_primary || running == 1)) return;
    throw_if_interrupted();
    if (Clock::now() >= deadline)
      throw ConnectError("local", "the local formation is not healthy after " + std::to_string(limit.count()) +
                                      " ms (every running node primary or secondary, one primary):" + view_text);
    std::this_thread::sleep_for(100ms);
  }
}

std::unique_ptr<LocalFormation> LocalFormation::start(const LocalFormationOptions& options, spdlog::logger& log) {
  if (options.nodes < 2) throw ConnectError("local", "a local formation needs 2 nodes or more");
  if (const std::string missing = missing_auto_failover(); !missing.empty())
    throw ConnectError("local", "the local target with several nodes runs pg_auto_failover, and " + missing +
                                    " is not installed: run scripts/bootstrap.sh (it installs both packages)");
  const fs::path bindir = find_postgres_bindir();
  if (bindir.empty())
    throw ConnectError("local", "the local target needs the PostgreSQL server, which was not found: "
                                "run scripts/bootstrap.sh (installs postgresql-15) or set ROACHRUN_PG_BINDIR");
  const RunAs who = choose_identity();
  const auto started = Clock::now();

  std::unique_ptr<LocalFormation> f(new LocalFormation(log));
  f->interrupted_ = options.interrupted;
  f->throw_if_interrupted();
  f->bindir_ = bindir;
  f->pg_autoctl_ = find_on_path("pg_autoctl");
  if (who.switch_user) f->os_user_ = who.name;
  else if (struct passwd* pw = getpwuid(geteuid())) f->os_user_ = pw->pw_name;
  make_run_directory(&f->dir_);  // from here on the destructor (or abandon_all()) removes it
  f->start_janitor();
  const fs::path& dir = f->dir_;
  for (const char* sub : {"config", "share", "run", "socket", "tls"}) fs::create_directory(dir / sub);
  // pg_autoctl keeps its configuration and state under the XDG directories and $HOME: all of it
  // in the formation's directory, so nothing of a run outlives it. PGHOST is where each postgres
  // puts its Unix socket.
  f->env_ = {"HOME=" + dir.string(),
             "XDG_CONFIG_HOME=" + (dir / "config").string(),
             "XDG_DATA_HOME=" + (dir / "share").string(),
             "XDG_RUNTIME_DIR=" + (dir / "run").string(),
             "PGHOST=" + (dir / "socket").string(),
             "PATH=" + bindir.string() + ":/usr/bin:/bin",
             "LC_ALL=C"};
  const bool secure = !options.certs_dir.empty();
  std::vector<std::string> ssl = {"--no-ssl"};
  if (secure) {
    // Copied: the servers run as another user and must own their key (mode 0600).
    for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"ca.crt", "ca.crt"}, {"node.crt", "node.crt"}, {"node.key", "node.key"}}) {
      fs::copy_file(options.certs_dir / from, dir / "tls" / to, fs::copy_options::overwrite_existing);
      fs::permissions(dir / "tls" / to, fs::perms::owner_read | fs::perms::owner_write);
    }
    ssl = {"--ssl-ca-file", (dir / "tls/ca.crt").string(), "--server-cert", (dir / "tls/node.crt").string(),
           "--server-key",  (dir / "tls/node.key").string(), "--ssl-mode", "verify-ca"};
  }
  chown_tree(dir, who);
  // Orphans of pg_autoctl's children (initdb, pg_basebackup) come to us, not to PID 1, which in a
  // container may never collect them; see LocalServer::start.
  prctl(PR_SET_CHILD_SUBREAPER, 1);

  auto add = [&](const std::string& name, const std::string& sub) {
    auto p = std::make_unique<Process>();
    p->name = name;
    p->pgdata = dir / sub;
    p->log = dir / (sub + ".log");
    p->port = pick_free_port();
    f->processes_.push_back(std::move(p));
  };
  add("the monitor", "monitor");
  for (int i = 1; i <= options.nodes; ++i) add("node " + std::to_string(i), "node" + std::to_string(i));
  for (auto& p : f->processes_) {
    std::ofstream touch(p->log);
    if (who.switch_user && chown(p->log.c_str(), who.uid, who.gid) != 0)
      throw ConnectError("local", "cannot hand " + p->log.string() + " to user " + who.name);
  }
  const std::string pgctl = (bindir / "pg_ctl").string();

  // Waits for `done` (polled every 50 ms), failing with the log of a process that exited.
  auto wait_for = [&](const std::string& what, std::chrono::seconds limit, auto done) {
    const auto deadline = Clock::now() + limit;
    for (;;) {
      try {
        if (done()) return;
      } catch (const ConnectError&) {
        // Not up yet.
      }
      {
        std::lock_guard lock(children_mutex());
        for (auto& p : f->processes_)
          if (p->autoctl && collected(p->pid))
            throw ConnectError("local", "pg_autoctl for " + p->name + " of the local formation exited while " + what +
                                            " (log " + p->log.string() + "):" + log_tail(p->log));
      }
      f->throw_if_interrupted();
      if (Clock::now() >= deadline)
        throw ConnectError("local", "the local formation timed out after " + std::to_string(limit.count()) + " s " +
                                        what + "; the monitor's log:" + log_tail(f->processes_[0]->log));
      std::this_thread::sleep_for(50ms);
    }
  };

  // 1 MB WAL segments, not 16: a node's pg_wal is a few MB, not 65, which the standbys' clones,
  // the rewinds of a killed primary and the removal at the end do not have to copy or delete.
  // The data directories of the monitor and of node 1 are made here, not by pg_autoctl (which
  // adopts them): pg_autoctl 2.0 leaves the Unix socket in the system's directory
  // (/var/run/postgresql, not writable by everyone), and here it goes into ours. The standbys are
  // copies of node 1 (pg_basebackup), setting included.
  auto start_initdb = [&](Process& p) {
    auto lock = lock_to_create();
    p.pid = p.group = spawn({(bindir / "initdb").string(), "-D", p.pgdata.string(), "--auth=trust",
                             "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions", "--wal-segsize=1"},
                            p.log, who, 0, f->env_);
  };
  auto finish_initdb = [&](Process& p) {
    // Interrupted: the destructor kills the initdb still running.
    const int status = wait_for_exit(p.pid, p.group, f->interrupted_);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      throw ConnectError("local", "initdb for " + p.name + " of the local formation failed:" + log_tail(p.log));
    std::ofstream(p.pgdata / "postgresql.auto.conf", std::ios::app)
        << "unix_socket_directories = '" << (dir / "socket").string() << "'\n";
  };
  Process& monitor = *f->processes_[0];
  f->monitor_port_ = monitor.port;
  log.debug("starting the pg_auto_failover monitor on 127.0.0.1:{} (as {})", monitor.port, f->os_user_);
  std::vector<std::string> monitor_args = {"create", "monitor", "--pgctl", pgctl, "--pgdata", monitor.pgdata.string(),
                                           "--pgport", std::to_string(monitor.port), "--hostname", "127.0.0.1",
                                           "--listen", "127.0.0.1", "--auth", "trust", "--run"};
  monitor_args.insert(monitor_args.end(), ssl.begin(), ssl.end());
  start_initdb(monitor);
  start_initdb(*f->processes_[1]);  // meanwhile: node 1 needs the monitor only once it runs
  finish_initdb(monitor);
  f->spawn_process(monitor, monitor_args);
  wait_for("starting the monitor", 60s, [&] {
    return !f->local_query(monitor.port, "pg_auto_failover", "SELECT 1 FROM pgautofailover.formation LIMIT 1").empty();
  });
  for (const auto& [name, value] : kMonitorSettings)  // one by one: ALTER SYSTEM refuses a transaction
    f->local_query(monitor.port, "pg_auto_failover", "ALTER SYSTEM SET " + name + " = " + std::to_string(value));
  f->local_query(monitor.port, "pg_auto_failover", "SELECT pg_reload_conf()");
  log.debug("the monitor is up after {:.1f} s", std::chrono::duration<double>(Clock::now() - started).count());

  const std::string monitor_uri = "postgresql://autoctl_node@127.0.0.1:" + std::to_string(monitor.port) +
                                  "/pg_auto_failover?sslmode=" + (secure ? "verify-ca&sslrootcert=" + (dir / "tls/ca.crt").string() : "disable");
  auto create_node = [&](int i) {
    Process& p = *f->processes_[i];
    std::vector<std::string> args = {"create", "postgres", "--pgctl", pgctl, "--pgdata", p.pgdata.string(),
                                     "--pgport", std::to_string(p.port), "--hostname", "127.0.0.1", "--listen",
                                     "127.0.0.1", "--name", "node" + std::to_string(i), "--dbname", "postgres",
                                     "--auth", "trust", "--monitor", monitor_uri, "--run"};
    args.insert(args.end(), ssl.begin(), ssl.end());
    f->spawn_process(p, args);
  };
  // Node 1 first, so that it is the primary; the standbys then clone it side by side.
  finish_initdb(*f->processes_[1]);
  create_node(1);
  wait_for("creating node 1", 60s, [&] {
    for (const auto& n : f->monitor_view())
      if (n.number == 1 && is_role(n.reported_state, {"single", "primary", "wait_primary"})) return true;
    return false;
  });
  const auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - started).count(); };
  log.debug("node 1 is up as the primary after {:.1f} s; cloning {} standby{}", elapsed(), options.nodes - 1,
            options.nodes > 2 ? "s" : "");
  // pg_basebackup starts with a spread checkpoint, which paces its writes (about 7 s here for a
  // new cluster); written now, there is almost nothing left for it.
  f->local_query(f->processes_[1]->port, "postgres", "CHECKPOINT");
  for (int i = 2; i <= options.nodes; ++i) create_node(i);
  wait_for("waiting for every node to be primary or secondary", 120s, [&] {
    int ready = 0;
    for (const auto& n : f->monitor_view())
      if (n.reported_state == n.goal_state && is_role(n.reported_state, {"primary", "secondary"})) ++ready;
    return ready == options.nodes;
  });

  // The same rules on every node, and what a scenario expects: CockroachDB's superuser and its
  // `defaultdb`, made on the primary and replicated.
  const std::string hba = hba_for(secure);
  for (int i = 1; i <= options.nodes; ++i) {
    Process& p = *f->processes_[i];
    std::ofstream(p.pgdata / "pg_hba.conf", std::ios::trunc) << hba;
    f->local_query(p.port, "postgres", "SELECT pg_reload_conf()");
  }
  const int primary = f->primary(10s);
  const int primary_port = f->processes_[primary]->port;
  std::string lsn;
  {
    Connection admin = f->local_connection(primary_port, "postgres");
    const std::string superuser = admin.escape_identifier(options.superuser);
    if (options.superuser != f->os_user_) admin.exec_params("CREATE ROLE " + superuser + " SUPERUSER LOGIN");
    for (const auto& db : options.databases)
      admin.exec_params("CREATE DATABASE " + admin.escape_identifier(db) + " OWNER " + superuser);
    lsn = admin.exec_params("SELECT pg_current_wal_lsn()::text").text(0, 0);
  }
  // Not ready before every standby has replayed them: a standby that has not refuses `root` with
  // FATAL, and libpq does not go on to the next host after a FATAL -- a client whose host list
  // starts there would fail its first connection.
  wait_for("waiting for the standbys to replay the superuser and the databases", 60s, [&] {
    for (int i = 1; i <= options.nodes; ++i)
      if (i != primary && f->local_query(f->processes_[i]->port, "postgres",
                                         "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", {param(lsn)}) !=
                              std::vector<std::string>{"t"})
        return false;
    return true;
  });
  std::string list;
  for (int port : f->ports()) list += (list.empty() ? "" : ",") + std::to_string(port);
  log.info("local pg_auto_failover formation ready in {:.1f} s: {} nodes on 127.0.0.1:{} (primary node {}), "
           "monitor on 127.0.0.1:{}, data in {}",
           std::chrono::duration<double>(Clock::now() - started).count(), options.nodes, list, primary,
           monitor.port, dir.string());
  return f;
}

void LocalFormation::stop() noexcept {
  std::unique_lock lock(children_mutex());
  // SIGQUIT is pg_autoctl's immediate stop: its postgres shuts down at once (the postmaster
  // removes its shared memory, which SIGKILL would leave), then it exits. Signalling a postmaster
  // directly would not do: pg_autoctl starts it again. A throwaway formation needs no checkpoint.
  // What is left after 5 s (an initdb, a hung process) is SIGKILLed with its process group.
  for (auto& p : processes_)
    if (p->pid > 0) ::kill(p->autoctl ? p->pid : -p->group, p->autoctl ? SIGQUIT : SIGKILL);
  const auto all_gone = [&] {
    bool gone = true;
    for (auto& p : processes_) gone = collected(p->pid) && group_empty(p->group) && gone;
    return gone;
  };
  if (!poll(lock, 5s, all_gone)) {
    for (auto& p : processes_)
      if (p->group > 0) ::kill(-p->group, SIGKILL);
    poll(lock, 2s, all_gone);
  }
  for (auto& p : processes_) remove_stale_shared_memory(p->pgdata);
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    if (ec) {
      try {
        log_.warn("could not remove the local formation's directory {}: {}", dir_.string(), ec.message());
      } catch (...) {
      }
    }
    dir_.clear();
  }
  if (janitor_pipe_ >= 0) close(janitor_pipe_), janitor_pipe_ = -1;
  poll(lock, 2s, [&] { return collected(janitor_); });

}

void LocalFormation::abandon_all() noexcept {
  std::unique_lock lock(children_mutex());
  abandon_children();
  for (LocalFormation* f : live_formations())
    for (auto& p : f->processes_)
      if (p->group > 0) ::kill(-p->group, SIGKILL);
  poll(lock, 2s, [&] {
    bool gone = true;
    for (LocalFormation* f : live_formations())
      for (auto& p : f->processes_) gone = collected(p->pid) && group_empty(p->group) && gone;
    return gone;
  });
  for (LocalFormation* f : live_formations()) {
    for (auto& p : f->processes_) remove_stale_shared_memory(p->pgdata);
    std::error_code ec;
    if (!f->dir_.empty()) fs::remove_all(f->dir_, ec);
    f->dir_.clear();
    if (f->janitor_pipe_ >= 0) close(f->janitor_pipe_), f->janitor_pipe_ = -1;
  }
  // Each janitor now finds no directory and ends at once; waiting for it means roachrun exits
  // with nothing of its own left running, as after stop().
  poll(lock, 1s, [&] {
    bool gone = true;
    for (LocalFormation* f : live_formations()) gone = collected(f->janitor_) && gone;
    return gone;
  });
}

}  // namespace roachrun
