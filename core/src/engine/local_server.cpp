#include "engine/local_server.hpp"

#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
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

#include "engine/child_process.hpp"
#include "engine/variables.hpp"
#include "roachrun/error.hpp"

namespace roachrun {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// Every LocalServer of the process, for abandon_all(). REQUIRES: children_mutex() held.
std::set<LocalServer*>& live_servers() {
  static auto* servers = new std::set<LocalServer*>();  // never destroyed: see children_mutex()
  return *servers;
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
  make_run_directory(&server->dir_);  // from here on the destructor (or abandon_all()) removes it
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
  // Once initdb has ended, its group is known empty: it waited for its own children.
  int status = wait_for_exit(server->initdb_, server->initdb_group_, options.interrupted);
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

  server->superuser_ = options.superuser;
  server->interrupted_ = options.interrupted;
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
    if (server->launch() == Launch::ready) break;
    if (tries >= 5)
      throw ConnectError(server->endpoint(), "the local PostgreSQL server found no free port after 6 tries:" +
                                                 log_tail(log_file));
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
  std::lock_guard lock(children_mutex());
  live_servers().insert(this);
}

LocalServer::~LocalServer() {
  stop();
  std::lock_guard lock(children_mutex());
  live_servers().erase(this);
}

LocalServer::Launch LocalServer::launch() {
  const fs::path log_file = dir_ / "server.log";
  {
    // SIGQUIT if roachrun dies without cleaning up: the server shuts down at once. spawn() forks
    // it on a thread that lives as long as roachrun, so that holds for a server started again
    // from any thread.
    auto lock = lock_to_create();
    pid_ = group_ = spawn({(find_postgres_bindir() / "postgres").string(), "-D", (dir_ / "data").string()}, log_file,
                          choose_identity(), SIGQUIT);
  }
  // Any answer but "the database system is starting up" (PQPING_REJECT) means it is up.
  const std::string ping = "host=" + host_ + " port=" + std::to_string(port_) + " dbname=postgres user=" + superuser_ +
                           " connect_timeout=2 sslmode=disable";
  for (const auto deadline = Clock::now() + 60s; PQping(ping.c_str()) != PQPING_OK;) {
    {
      std::lock_guard lock(children_mutex());
      if (collected(pid_)) {
        group_empty(group_);
        const std::string tail = log_tail(log_file);
        if (tail.find("Address already in use") != std::string::npos) return Launch::port_taken;
        throw ConnectError(endpoint(), "the local PostgreSQL server exited during start-up:" + tail);
      }
    }
    if (interrupted_ && *interrupted_) throw Interrupted();  // the destructor stops it
    if (Clock::now() >= deadline)
      throw ConnectError(endpoint(), "the local PostgreSQL server did not accept connections within 60 s:" +
                                         log_tail(log_file));
    std::this_thread::sleep_for(25ms);
  }
  return Launch::ready;
}

bool LocalServer::running() {
  std::lock_guard lock(children_mutex());
  return pid_ > 0 && !collected(pid_);  // a postmaster that died on its own is collected here
}

void LocalServer::shut_down(StopMode mode) {
  const bool fast = mode == StopMode::fast;
  const auto limit = fast ? 15s : 10s;
  {
    std::unique_lock lock(children_mutex());
    if (pid_ <= 0 || collected(pid_))
      throw ConnectError(endpoint(), "cannot stop the local PostgreSQL server: it is not running");
    // Fast: running transactions are rolled back, then a checkpoint. Immediate: every backend
    // quits at once; the next start recovers from the WAL. The postmaster exits after its
    // backends, so once it is collected nothing writes into the directory.
    kill(pid_, fast ? SIGINT : SIGQUIT);
    const auto gone = [&] { return collected(pid_) && group_empty(group_); };
    if (!poll(lock, limit, gone)) {
      kill(-group_, SIGKILL);
      poll(lock, 2s, gone);
      log_.warn("the local PostgreSQL server on {} did not shut down within {} s and was killed", endpoint(),
                limit.count());
      remove_stale_shared_memory(dir_ / "data");
      return;
    }
  }
  log_.info("local PostgreSQL server on {} stopped ({} shutdown)", endpoint(), fast ? "fast" : "immediate");
}

void LocalServer::kill_server() {
  {
    std::unique_lock lock(children_mutex());
    if (pid_ <= 0 || collected(pid_))
      throw ConnectError(endpoint(), "cannot kill the local PostgreSQL server: it is not running");
    kill(-group_, SIGKILL);
    if (!poll(lock, 5s, [&] { return collected(pid_) && group_empty(group_); }))
      throw ConnectError(endpoint(), "the local PostgreSQL server was sent SIGKILL and is still there after 5 s");
  }
  remove_stale_shared_memory(dir_ / "data");
  log_.info("killed the local PostgreSQL server on {}: its postmaster and backends, SIGKILL", endpoint());
}

void LocalServer::start_again() {
  {
    std::unique_lock lock(children_mutex());
    if (pid_ > 0 && !collected(pid_))
      throw ConnectError(endpoint(), "cannot start the local PostgreSQL server: it is running");
    if (dir_.empty()) throw ConnectError(endpoint(), "cannot start the local PostgreSQL server: it was removed");
    // A postmaster that died on its own may leave backends for a moment: not beside a new one.
    if (!group_empty(group_)) {
      kill(-group_, SIGKILL);
      poll(lock, 2s, [&] { return group_empty(group_); });
    }
  }
  remove_stale_shared_memory(dir_ / "data");
  // postgresql.auto.conf still names the port: the server comes back where clients left it.
  if (launch() == Launch::port_taken)
    throw ConnectError(endpoint(), "cannot start the local PostgreSQL server again: another process took its port " +
                                       std::to_string(port_) + " while it was stopped");
  log_.info("local PostgreSQL server on {} started again (same port and data directory)", endpoint());
}

void LocalServer::restart() {
  shut_down(StopMode::fast);
  start_again();
}

void LocalServer::stop() noexcept {
  std::unique_lock lock(children_mutex());
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
  // What a kill_server() left, should a backend still be there.
  if (group_ > 0 && !group_empty(group_)) {
    kill(-group_, SIGKILL);
    poll(lock, 2s, [&] { return group_empty(group_); });
  }
  if (!dir_.empty()) {
    remove_stale_shared_memory(dir_ / "data");
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
  std::unique_lock lock(children_mutex());
  abandon_children();
  for (LocalServer* s : live_servers()) {
    if (s->initdb_ > 0) kill(-s->initdb_group_, SIGKILL);
    // SIGQUIT is PostgreSQL's "immediate" shutdown: the postmaster has every child quit at once,
    // then exits -- a few milliseconds, not the fast shutdown's wait for a checkpoint.
    if (s->pid_ > 0) kill(s->pid_, SIGQUIT);
  }
  // Re-read on every check: stop() on the main thread may finish a server between two of them.
  const auto all_gone = [&] {
    bool gone = true;
    for (LocalServer* s : live_servers()) {
      gone = collected(s->initdb_) && gone;
      gone = group_empty(s->initdb_group_) && gone;
      gone = collected(s->pid_) && gone;
      gone = group_empty(s->group_) && gone;
    }
    return gone;
  };
  if (!poll(lock, 2s, all_gone)) {
    for (LocalServer* s : live_servers())
      if (s->group_ > 0) kill(-s->group_, SIGKILL);
    poll(lock, 1s, all_gone);
  }
  for (LocalServer* s : live_servers()) {
    std::error_code ec;
    if (!s->dir_.empty()) remove_stale_shared_memory(s->dir_ / "data");
    if (!s->dir_.empty()) fs::remove_all(s->dir_, ec);
    s->dir_.clear();
  }
}

}  // namespace roachrun
