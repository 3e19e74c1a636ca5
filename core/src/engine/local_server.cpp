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
#include <sstream>
#include <thread>

#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include "engine/variables.hpp"
#include "roachrun/error.hpp"

namespace roachrun {

namespace fs = std::filesystem;

namespace {

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
// and dying with roachrun if roachrun is killed outright.
// Only async-signal-safe calls happen between fork and exec.
pid_t spawn(const std::vector<std::string>& argv, const fs::path& log_file, const RunAs& who, int death_signal) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::string log_path = log_file.string();
  pid_t parent = getpid();

  pid_t pid = fork();
  if (pid < 0) throw ConnectError("local", std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    setpgid(0, 0);
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
  return pid;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
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

  std::unique_ptr<LocalServer> server(new LocalServer(log));
  // The directory must be reachable by the server's user: under /tmp unless TMPDIR says otherwise.
  std::string base = process_env("TMPDIR").value_or("/tmp");
  std::string tmpl = (fs::path(base) / "roachrun-XXXXXX").string();
  if (!mkdtemp(tmpl.data()))
    throw ConnectError("local", "cannot create a temporary directory under " + base + ": " + std::strerror(errno));
  server->dir_ = tmpl;  // from here on the destructor removes it
  const fs::path data = server->dir_ / "data";
  const fs::path log_file = server->dir_ / "server.log";
  fs::create_directory(server->dir_ / "socket");
  { std::ofstream touch(log_file); }
  chown_tree(server->dir_, who);

  log.debug("initdb into {} (as {})", data.string(), who.switch_user ? who.name : "the current user");
  pid_t initdb = spawn({(bindir / "initdb").string(), "-D", data.string(), "-U", options.superuser, "--auth=trust",
                        "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"},
                       log_file, who, SIGKILL);
  int status = wait_for(initdb);
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
    server->pid_ = spawn({(bindir / "postgres").string(), "-D", data.string()}, log_file, who, SIGQUIT);

    const std::string ping = "host=127.0.0.1 port=" + std::to_string(server->port_) + " dbname=postgres user=" +
                             options.superuser + " connect_timeout=2 sslmode=disable";
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    bool exited = false;
    while (std::chrono::steady_clock::now() < deadline) {
      if (waitpid(server->pid_, &status, WNOHANG) == server->pid_) {
        exited = true;
        server->pid_ = -1;
        break;
      }
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

void LocalServer::restart() {
  const std::string endpoint = host_ + ":" + std::to_string(port_);
  const fs::path log_file = dir_ / "server.log";
  if (pid_ <= 0) throw ConnectError(endpoint, "cannot restart the local PostgreSQL server: it is not running");
  using clock = std::chrono::steady_clock;
  kill(pid_, SIGINT);
  int status = 0;
  for (const auto deadline = clock::now() + std::chrono::seconds(15); waitpid(pid_, &status, WNOHANG) != pid_;) {
    if (clock::now() >= deadline)
      throw ConnectError(endpoint, "the local PostgreSQL server did not shut down within 15 s:" + log_tail(log_file));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
  // postgresql.auto.conf still names the port: the server comes back where clients left it.
  pid_ = spawn({(find_postgres_bindir() / "postgres").string(), "-D", (dir_ / "data").string()}, log_file,
               choose_identity(), SIGQUIT);
  // Any answer but "the database system is starting up" (PQPING_REJECT) means it is up.
  const std::string ping = "host=" + host_ + " port=" + std::to_string(port_) + " dbname=postgres connect_timeout=2";
  for (const auto deadline = clock::now() + std::chrono::seconds(60); PQping(ping.c_str()) != PQPING_OK;) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw ConnectError(endpoint, "the local PostgreSQL server exited while restarting:" + log_tail(log_file));
    }
    if (clock::now() >= deadline)
      throw ConnectError(endpoint, "the local PostgreSQL server did not accept connections within 60 s of a restart:" +
                                       log_tail(log_file));
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  log_.info("local PostgreSQL server on {} restarted", endpoint);
}

LocalServer::~LocalServer() { stop(); }

void LocalServer::stop() noexcept {
  if (pid_ > 0) {
    // SIGINT is PostgreSQL's "fast" shutdown: running transactions are rolled back.
    kill(pid_, SIGINT);
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    bool gone = false;
    while (std::chrono::steady_clock::now() < deadline) {
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_ || (r < 0 && errno == ECHILD)) {
        gone = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!gone) {
      kill(pid_, SIGQUIT);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
    pid_ = -1;
    try {
      log_.debug("local PostgreSQL server on port {} stopped", port_);
    } catch (...) {
    }
  }
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    dir_.clear();
  }
}

}  // namespace roachrun
