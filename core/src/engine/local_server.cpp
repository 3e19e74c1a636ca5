#include "engine/local_server.hpp"

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

#include <chrono>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include "engine/variables.hpp"
#include "roachrun/error.hpp"

namespace roachrun {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// Every LocalServer of the process. The second Ctrl-C runs LocalServer::abandon_all() on the
// signal thread while the main thread may be anywhere in start() or stop(). What the two share --
// the directory, the children not yet collected -- changes only under this lock, and children
// are forked and the directory made under it too: abandon_all() never misses one, and never
// signals a pid that was collected (and may already belong to another process).
struct LiveServers {
  std::mutex mutex;
  std::set<LocalServer*> servers;
  bool abandoned = false;  // abandon_all() ran: nothing new may start
};

LiveServers& live() {
  static LiveServers* l = new LiveServers();  // never destroyed: the signal thread may outlive main
  return *l;
}

// The lock under which a directory is made or a child forked; throws Interrupted once
// abandon_all() ran (the process is about to exit and would leave it behind).
std::unique_lock<std::mutex> lock_to_create() {
  std::unique_lock lock(live().mutex);
  if (live().abandoned) throw Interrupted();
  return lock;
}

// Whether the child `pid` has ended, collecting it if so (`pid` becomes -1, `*status` its wait
// status unless another thread collected it). REQUIRES: live().mutex held.
bool collected(pid_t& pid, int* status = nullptr) {
  if (pid <= 0) return true;
  int st = 0;
  const pid_t r = waitpid(pid, &st, WNOHANG);
  if (r == 0 || (r < 0 && errno == EINTR)) return false;
  if (r == pid && status) *status = st;
  pid = -1;
  return true;
}

// Whether no process is left in the process group `group` (then it becomes -1). Its members that
// are our children are collected on the way: initdb's own children are too, once initdb is gone,
// as roachrun is their subreaper (start()). REQUIRES: live().mutex held.
bool group_empty(pid_t& group) {
  if (group <= 0) return true;
  while (waitpid(-group, nullptr, WNOHANG) > 0) {
  }
  if (kill(-group, 0) == 0 || errno != ESRCH) return false;
  group = -1;
  return true;
}

// Checks `done` (with `lock` held) every 10 ms for at most `limit`, releasing the lock between
// checks so the other thread (stop() or abandon_all()) is never kept waiting long.
template <typename Done>
bool poll(std::unique_lock<std::mutex>& lock, Clock::duration limit, Done done) {
  const auto deadline = Clock::now() + limit;
  for (;;) {
    if (done()) return true;
    if (Clock::now() >= deadline) return false;
    lock.unlock();
    std::this_thread::sleep_for(10ms);
    lock.lock();
  }
}

// The identity the server runs as: ourselves, or an unprivileged user when we are root.
struct RunAs {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;
};

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

std::string log_tail(const fs::path& log_file, size_t max_lines = 15) {
  std::ifstream in(log_file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::string out;
  for (size_t i = lines.size() > max_lines ? lines.size() - max_lines : 0; i < lines.size(); ++i)
    out += "\n    " + lines[i];
  return out;
}

// Starts `argv` as a child with stdout/stderr appended to `log_file`, as `who`, in its own process
// group (so a Ctrl-C at the terminal reaches roachrun, which then stops the server in order),
// and dying with roachrun if roachrun is killed outright. Returns once the child runs `argv`
// (exec succeeded): a signal sent to it from then on reaches the program, not the forked copy of
// roachrun, which would block it and then drop it with the terminal's (below).
// Only async-signal-safe calls happen between fork and exec.
pid_t spawn(const std::vector<std::string>& argv, const fs::path& log_file, const RunAs& who, int death_signal) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::string log_path = log_file.string();
  pid_t parent = getpid();
  int exec_pipe[2];  // its write end closes when the child execs (or exits)
  if (pipe2(exec_pipe, O_CLOEXEC) != 0) throw ConnectError("local", std::string("pipe failed: ") + std::strerror(errno));

  pid_t pid = fork();
  if (pid < 0) {
    const int error = errno;
    close(exec_pipe[0]);
    close(exec_pipe[1]);
    throw ConnectError("local", std::string("fork failed: ") + std::strerror(error));
  }
  if (pid == 0) {
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
    prctl(PR_SET_PDEATHSIG, death_signal);
    if (getppid() != parent) _exit(1);
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
    }
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    execv(args[0], args.data());
    _exit(127);
  }
  close(exec_pipe[1]);
  setpgid(pid, pid);  // also here: the group exists for kill(-pid) as soon as spawn() returns
  char byte;
  while (read(exec_pipe[0], &byte, 1) < 0 && errno == EINTR) {
  }
  close(exec_pipe[0]);
  return pid;
}

// A port that was free a moment ago. Another process may take it before the server binds it;
// start() then retries with a new one.
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

std::string conf_quote(const std::string& value) {
  std::string out = "'";
  for (char c : value) out += (c == '\'') ? std::string("''") : std::string(1, c);
  return out + "'";
}

}  // namespace

fs::path find_postgres_bindir() {
  if (auto env = process_env("ROACHRUN_PG_BINDIR"); env && !env->empty()) return *env;
  std::error_code ec;
  fs::path best;
  int best_version = 0;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    int version = std::atoi(entry.path().filename().c_str());
    if (version > best_version && fs::exists(entry.path() / "bin" / "postgres", ec))
      best = entry.path() / "bin", best_version = version;
  }
  if (!best.empty()) return best;
  if (auto path = process_env("PATH")) {
    std::stringstream ss(*path);
    for (std::string dir; std::getline(ss, dir, ':');)
      if (!dir.empty() && fs::exists(fs::path(dir) / "postgres", ec) && fs::exists(fs::path(dir) / "initdb", ec))
        return dir;
  }
  return {};
}

std::unique_ptr<LocalServer> LocalServer::start(const LocalServerOptions& options, spdlog::logger& log) {
  const fs::path bindir = find_postgres_bindir();
  if (bindir.empty())
    throw ConnectError("local", "the local target needs the PostgreSQL server (initdb, postgres), which was not found: "
                                "run scripts/bootstrap.sh (installs postgresql-15) or set ROACHRUN_PG_BINDIR");
  const RunAs who = choose_identity();
  // Ctrl-C ends every wait below; the destructor then kills what was started and removes the
  // directory.
  const auto throw_if_interrupted = [&] {
    if (options.interrupted && *options.interrupted) throw Interrupted();
  };
  throw_if_interrupted();

  std::unique_ptr<LocalServer> server(new LocalServer(log));
  // The directory must be reachable by the server's user: under /tmp unless TMPDIR says otherwise.
  std::string base = process_env("TMPDIR").value_or("/tmp");
  std::string tmpl = (fs::path(base) / "roachrun-XXXXXX").string();
  {
    auto lock = lock_to_create();
    if (!mkdtemp(tmpl.data()))
      throw ConnectError("local", "cannot create a temporary directory under " + base + ": " + std::strerror(errno));
    server->dir_ = tmpl;  // from here on the destructor (or abandon_all()) removes it
  }
  const fs::path data = server->dir_ / "data";
  const fs::path log_file = server->dir_ / "server.log";
  fs::create_directory(server->dir_ / "socket");
  { std::ofstream touch(log_file); }
  chown_tree(server->dir_, who);

  log.debug("initdb into {} (as {})", data.string(), who.switch_user ? who.name : "the current user");
  // initdb's children (a postgres in bootstrap mode) outlive a killed initdb for a moment; as
  // orphans they would go to PID 1, which in a container may never collect them, and their
  // process group would never be seen empty. Orphans come to us instead, for the rest of the run
  // (an orphan we do not collect stays a zombie until roachrun exits: harmless).
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  {
    auto lock = lock_to_create();
    server->initdb_ = server->initdb_group_ =
        spawn({(bindir / "initdb").string(), "-D", data.string(), "-U", options.superuser, "--auth=trust",
               "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"},
              log_file, who, SIGKILL);
  }
  int status = -1;  // not an exit: initdb collected by abandon_all() is no success
  for (;;) {
    {
      std::lock_guard lock(live().mutex);
      // Once initdb has ended, its group is known empty: it waited for its own children.
      if (collected(server->initdb_, &status)) {
        group_empty(server->initdb_group_);
        break;
      }
    }
    throw_if_interrupted();
    std::this_thread::sleep_for(10ms);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw ConnectError("local", "initdb failed (" + (bindir / "initdb").string() + "):" + log_tail(log_file));

  for (const auto& [source, name] : options.files) {
    fs::path dest = data / name;
    fs::copy_file(source, dest, fs::copy_options::overwrite_existing);
    fs::permissions(dest, fs::perms::owner_read | fs::perms::owner_write);
    if (who.switch_user && chown(dest.c_str(), who.uid, who.gid) != 0)
      throw ConnectError("local", "cannot hand " + dest.string() + " to user " + who.name);
  }
  {
    std::ofstream hba(data / "pg_hba.conf", std::ios::trunc);
    hba << "# written by roachrun for a throwaway local server\n";
    hba << "local all all trust\n";
    for (const auto& line : options.hba) hba << line << "\n";
  }

  for (int tries = 0;; ++tries) {
    server->port_ = pick_free_port();
    {
      std::ofstream conf(data / "postgresql.auto.conf", std::ios::trunc);
      conf << "listen_addresses = '127.0.0.1'\n"
           << "port = " << server->port_ << "\n"
           << "unix_socket_directories = " << conf_quote((server->dir_ / "socket").string()) << "\n"
           << "logging_collector = off\n";
      for (const auto& [k, v] : options.settings) conf << k << " = " << conf_quote(v) << "\n";
    }
    log.debug("starting PostgreSQL on {}:{}", server->host_, server->port_);
    // SIGQUIT if roachrun dies without cleaning up: the server shuts down at once.
    {
      auto lock = lock_to_create();
      server->pid_ = spawn({(bindir / "postgres").string(), "-D", data.string()}, log_file, who, SIGQUIT);
    }

    const std::string ping = "host=127.0.0.1 port=" + std::to_string(server->port_) + " dbname=postgres user=" +
                             options.superuser + " connect_timeout=2 sslmode=disable";
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    bool exited = false;
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard lock(live().mutex);
        exited = collected(server->pid_, &status);
      }
      if (exited) break;
      throw_if_interrupted();
      // PQPING_REJECT is "the database system is starting up": keep waiting.
      if (PQping(ping.c_str()) == PQPING_OK) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    if (exited) {
      std::string tail = log_tail(log_file);
      if (tail.find("Address already in use") != std::string::npos && tries < 5) continue;
      throw ConnectError("127.0.0.1:" + std::to_string(server->port_), "the local PostgreSQL server exited during start-up:" + tail);
    }
    if (PQping(ping.c_str()) != PQPING_OK)
      throw ConnectError("127.0.0.1:" + std::to_string(server->port_), "the local PostgreSQL server did not accept connections within 60 s:" + log_tail(log_file));
    break;
  }

  // Create the databases over the Unix socket, which trusts the superuser whatever TCP requires.
  const std::string admin = "host=" + (server->dir_ / "socket").string() + " port=" + std::to_string(server->port_) +
                            " dbname=postgres user=" + options.superuser;
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(admin.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK)
    throw ConnectError("local", std::string("cannot connect to the new local server: ") + PQerrorMessage(conn.get()));
  for (const auto& db : options.databases) {
    char* quoted = PQescapeIdentifier(conn.get(), db.c_str(), db.size());
    std::string sql = "CREATE DATABASE " + std::string(quoted ? quoted : db);
    PQfreemem(quoted);
    std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn.get(), sql.c_str()), &PQclear);
    if (PQresultStatus(res.get()) != PGRES_COMMAND_OK)
      throw ConnectError("local", "cannot create database " + db + ": " + PQerrorMessage(conn.get()));
  }
  log.info("local PostgreSQL server ready on {}:{} (data in {})", server->host_, server->port_, server->dir_.string());
  return server;
}

LocalServer::LocalServer(spdlog::logger& log) : log_(log) {
  std::lock_guard lock(live().mutex);
  live().servers.insert(this);
}

LocalServer::~LocalServer() {
  stop();
  std::lock_guard lock(live().mutex);
  live().servers.erase(this);
}

void LocalServer::restart() {
  const std::string endpoint = host_ + ":" + std::to_string(port_);
  const fs::path log_file = dir_ / "server.log";
  {
    std::unique_lock lock(live().mutex);
    if (pid_ <= 0) throw ConnectError(endpoint, "cannot restart the local PostgreSQL server: it is not running");
    kill(pid_, SIGINT);  // a fast shutdown, as stop() does
    if (!poll(lock, 15s, [&] { return collected(pid_); }))
      throw ConnectError(endpoint, "the local PostgreSQL server did not shut down within 15 s:" + log_tail(log_file));
  }
  {
    // postgresql.auto.conf still names the port: the server comes back where clients left it.
    auto lock = lock_to_create();
    pid_ = spawn({(find_postgres_bindir() / "postgres").string(), "-D", (dir_ / "data").string()}, log_file,
                 choose_identity(), SIGQUIT);
  }
  // Any answer but "the database system is starting up" (PQPING_REJECT) means it is up.
  const std::string ping = "host=" + host_ + " port=" + std::to_string(port_) + " dbname=postgres connect_timeout=2";
  for (const auto deadline = Clock::now() + 60s; PQping(ping.c_str()) != PQPING_OK;) {
    {
      std::lock_guard lock(live().mutex);
      if (collected(pid_))
        throw ConnectError(endpoint, "the local PostgreSQL server exited while restarting:" + log_tail(log_file));
    }
    if (Clock::now() >= deadline)
      throw ConnectError(endpoint, "the local PostgreSQL server did not accept connections within 60 s of a restart:" +
                                       log_tail(log_file));
    std::this_thread::sleep_for(25ms);
  }
  log_.info("local PostgreSQL server on {} restarted", endpoint);
}

void LocalServer::stop() noexcept {
  std::unique_lock lock(live().mutex);
  // initdb still running was interrupted: nothing it made is worth waiting for. SIGKILL to its
  // group, as its postgres child writes into the directory too.
  if (initdb_ > 0) kill(-initdb_group_, SIGKILL);
  poll(lock, 2s, [&] { return collected(initdb_) && group_empty(initdb_group_); });
  if (pid_ > 0) {
    // SIGINT is PostgreSQL's "fast" shutdown: running transactions are rolled back. The
    // postmaster exits only after all its children, so afterwards nothing writes into dir_.
    kill(pid_, SIGINT);
    if (!poll(lock, 15s, [&] { return collected(pid_); })) {
      kill(pid_, SIGQUIT);
      if (!poll(lock, 2s, [&] { return collected(pid_); })) {
        kill(pid_, SIGKILL);
        poll(lock, 2s, [&] { return collected(pid_); });
      }
    }
    try {
      log_.debug("local PostgreSQL server on port {} stopped", port_);
    } catch (...) {
    }
  }
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    if (ec) {
      try {
        log_.warn("could not remove the local server's directory {}: {}", dir_.string(), ec.message());
      } catch (...) {
      }
    }
    dir_.clear();
  }
}

void LocalServer::abandon_all() noexcept {
  LiveServers& l = live();
  std::unique_lock lock(l.mutex);
  l.abandoned = true;
  for (LocalServer* s : l.servers) {
    if (s->initdb_ > 0) kill(-s->initdb_group_, SIGKILL);
    // SIGQUIT is PostgreSQL's "immediate" shutdown: the postmaster has every child quit at once,
    // then exits -- a few milliseconds, not the fast shutdown's wait for a checkpoint.
    if (s->pid_ > 0) kill(s->pid_, SIGQUIT);
  }
  // Re-read on every check: stop() on the main thread may finish a server between two of them.
  const auto all_gone = [&] {
    bool gone = true;
    for (LocalServer* s : l.servers) {
      gone = collected(s->initdb_) && gone;
      gone = group_empty(s->initdb_group_) && gone;
      gone = collected(s->pid_) && gone;
    }
    return gone;
  };
  if (!poll(lock, 2s, all_gone)) {
    for (LocalServer* s : l.servers)
      if (s->pid_ > 0) kill(s->pid_, SIGKILL);
    poll(lock, 1s, all_gone);
  }
  for (LocalServer* s : l.servers) {
    std::error_code ec;
    if (!s->dir_.empty()) fs::remove_all(s->dir_, ec);
    s->dir_.clear();
  }
}

}  // namespace roachrun
