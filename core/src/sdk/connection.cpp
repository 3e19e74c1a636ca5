#include "roachrun/connection.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>

#include <charconv>
#include <chrono>

#include <spdlog/spdlog.h>

#include "cancel_registry.hpp"
#include "connect_advice.hpp"
#include "roachrun/error.hpp"
#include "roachrun/io_wait.hpp"

namespace roachrun {

namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string option_value(const std::vector<std::pair<std::string, std::string>>& options, std::string_view key) {
  for (const auto& [k, v] : options)
    if (k == key) return v;
  return {};
}

std::vector<std::string> split_commas(const std::string& list) {
  std::vector<std::string> items;
  for (std::size_t start = 0;;) {
    const std::size_t comma = list.find(',', start);
    items.push_back(list.substr(start, comma - start));
    if (comma == std::string::npos) return items;
    start = comma + 1;
  }
}

// "host:port", or for a multi-host target each host with its port ("h1:p1,h2:p2", as libpq pairs
// them: one port applies to every host).
std::string endpoint_of(const std::vector<std::pair<std::string, std::string>>& options) {
  std::string host = option_value(options, "host");
  if (host.empty()) host = option_value(options, "hostaddr");
  const std::vector<std::string> hosts = split_commas(host), ports = split_commas(option_value(options, "port"));
  std::string out;
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    const std::string& port = ports.size() == hosts.size() ? ports[i] : ports.front();
    out += (i ? "," : "") + (hosts[i].empty() ? "localhost" : hosts[i]) + ":" + (port.empty() ? "5432" : port);
  }
  return out;
}

// libpq's own words for a connection that went away, when it gives no SQLSTATE.
bool looks_lost(const std::string& message) {
  for (const char* text : {"server closed the connection", "no connection to the server", "could not send data",
                           "could not receive data", "SSL SYSCALL error", "SSL connection has been closed",
                           "connection was lost"})
    if (message.find(text) != std::string::npos) return true;
  return message.empty();
}

// Server notices ("relation ... already exists, skipping") are diagnostics, not step output:
// they go to the log at debug level instead of libpq's default, stderr, which -q could not
// silence.
void log_notice(void*, const PGresult* res) {
  const char* text = PQresultErrorMessage(res);
  if (auto* log = spdlog::default_logger_raw(); log && text) log->debug("server: {}", trim(text));
}


using Clock = std::chrono::steady_clock;

// Waits for the socket: through the thread's waiter when one is installed, else in poll(2).
// False at the deadline.
bool wait_socket(int fd, bool read, bool write, Clock::time_point deadline) {
  if (IoWaiter* waiter = current_io_waiter()) return waiter->wait(fd, read, write, deadline);
  pollfd p{fd, static_cast<short>((read ? POLLIN : 0) | (write ? POLLOUT : 0)), 0};
  for (;;) {
    int ms = -1;
    if (deadline != Clock::time_point::max())
      ms = static_cast<int>(std::max<std::int64_t>(
          0, std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count()));
    const int n = ::poll(&p, 1, ms);
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return true;  // the next libpq call reports what is wrong with the socket
  }
}

// libpq's connect_timeout, in its own terms: seconds, none when empty or not positive, at least 2.
Clock::duration connect_timeout(const std::vector<std::pair<std::string, std::string>>& options) {
  const std::string text = option_value(options, "connect_timeout");
  int seconds = 0;
  if (std::from_chars(text.data(), text.data() + text.size(), seconds).ec != std::errc() || seconds <= 0)
    return Clock::duration::max();
  return std::chrono::seconds(std::max(seconds, 2));
}

// The options with a multi-host target's host list (host, hostaddr, port) cut to the hosts after
// `host_index`; nullopt if there are none.
std::optional<std::vector<std::pair<std::string, std::string>>> hosts_after(
    std::vector<std::pair<std::string, std::string>> options, std::size_t host_index) {
  std::size_t hosts = 0;
  for (const char* key : {"host", "hostaddr"})
    hosts = std::max(hosts, split_commas(option_value(options, key)).size());
  if (host_index + 1 >= hosts) return std::nullopt;
  for (auto& [k, v] : options) {
    if (k != "host" && k != "hostaddr" && k != "port") continue;
    const std::vector<std::string> items = split_commas(v);
    if (items.size() != hosts) continue;  // one port for every host stays as it is
    std::string tail;
    for (std::size_t i = host_index + 1; i < items.size(); ++i) tail += (tail.empty() ? "" : ",") + items[i];
    v = tail;
  }
  return options;
}

// Which of the options' hosts a connection in progress is trying (libpq does not say by index).
std::size_t host_index_of(PGconn* conn, const std::vector<std::pair<std::string, std::string>>& options) {
  const char* host = PQhost(conn);
  const char* port = PQport(conn);
  const std::vector<std::string> hosts = split_commas(option_value(options, "host")),
                                 addrs = split_commas(option_value(options, "hostaddr")),
                                 ports = split_commas(option_value(options, "port"));
  for (std::size_t i = 0; i < std::max(hosts.size(), addrs.size()); ++i) {
    const bool host_matches = (i < hosts.size() && host && hosts[i] == host) || (i < addrs.size() && host && addrs[i] == host);
    const bool port_matches = ports.size() != std::max(hosts.size(), addrs.size()) || (port && ports[i] == port);
    if (host_matches && port_matches) return i;
  }
  return 0;
}

struct FinishConn {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
using OwnedConn = std::unique_ptr<PGconn, FinishConn>;

OwnedConn start_connect(const std::vector<std::pair<std::string, std::string>>& options, bool poll) {
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : options) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  return OwnedConn(poll ? PQconnectStartParams(keys.data(), values.data(), 0)
                        : PQconnectdbParams(keys.data(), values.data(), 0));
}

// Connects through the thread's waiter with PQconnectPoll, so the thread's other clients run
// meanwhile. libpq enforces connect_timeout only in its blocking connect, so it is kept here, the
// way libpq keeps it: per address tried, and on a multi-host target a host that times out gives
// way to the next (`failed` collects what each host that timed out said).
OwnedConn connect_polling(const std::vector<std::pair<std::string, std::string>>& options, std::string& failed) {
  OwnedConn conn = start_connect(options, true);
  if (!conn || PQstatus(conn.get()) == CONNECTION_BAD) return conn;
  const Clock::duration timeout = connect_timeout(options);
  PostgresPollingStatusType status = PGRES_POLLING_WRITING;
  int socket = -1;
  Clock::time_point deadline{};
  while (status != PGRES_POLLING_OK && status != PGRES_POLLING_FAILED) {
    if (PQsocket(conn.get()) != socket) {  // a new address: its own timeout, as libpq gives it
      socket = PQsocket(conn.get());
      deadline = timeout == Clock::duration::max() ? Clock::time_point::max() : Clock::now() + timeout;
    }
    // In slices, so that Ctrl-C ends the wait (the session is not registered for cancel yet).
    const auto slice = std::min(deadline, Clock::now() + std::chrono::milliseconds(100));
    // libpq may have closed the socket and opened another under the same number meanwhile.
    if (SocketRenewal* renewal = current_socket_renewal()) renewal->socket_may_be_new(socket);
    if (!wait_socket(socket, status == PGRES_POLLING_READING, status == PGRES_POLLING_WRITING, slice)) {
      throw_if_cancelled();
      if (Clock::now() < deadline) continue;
      const char* host = PQhost(conn.get());
      failed += std::string("connection to server at \"") + (host ? host : "") + "\", port " + PQport(conn.get()) +
                " failed: timeout expired\n";
      if (auto rest = hosts_after(options, host_index_of(conn.get(), options))) return connect_polling(*rest, failed);
      return conn;  // CONNECTION_BAD is not set by a timeout: the caller sees status != OK
    }
    status = PQconnectPoll(conn.get());
  }
  return conn;
}

}  // namespace

Dialect Dialect::from_version_string(std::string version) {
  Dialect d;
  d.engine = version.rfind("CockroachDB", 0) == 0 ? Engine::cockroachdb : Engine::postgresql;
  d.version = std::move(version);
  return d;
}

std::optional<ServerRelease> Dialect::cockroach_release() const {
  if (!is_cockroach()) return std::nullopt;
  // The first " v<major>.<minor>" after the product name; the patch may be missing.
  const char* const last = version.data() + version.size();
  for (std::size_t at = version.find(" v"); at != std::string::npos; at = version.find(" v", at + 1)) {
    ServerRelease r;
    auto read = std::from_chars(version.data() + at + 2, last, r.major);
    if (read.ec != std::errc() || read.ptr == last || *read.ptr != '.') continue;
    read = std::from_chars(read.ptr + 1, last, r.minor);
    if (read.ec != std::errc()) continue;
    if (read.ptr != last && *read.ptr == '.' && std::from_chars(read.ptr + 1, last, r.patch).ec != std::errc()) r.patch = 0;
    return r;
  }
  return std::nullopt;
}

bool Dialect::cockroach_at_least(int major, int minor) const {
  if (!is_cockroach()) return false;
  const auto release = cockroach_release();
  return !release || *release >= ServerRelease{major, minor, 0};
}

// --- Result ---------------------------------------------------------------------------------

Result::Result(PGresult* res) noexcept : res_(res) {}
int Result::rows() const noexcept { return PQntuples(res_.get()); }
int Result::columns() const noexcept { return PQnfields(res_.get()); }
std::string Result::column_name(int column) const { return PQfname(res_.get(), column); }
bool Result::is_null(int row, int column) const noexcept { return PQgetisnull(res_.get(), row, column) != 0; }

std::string_view Result::text(int row, int column) const noexcept {
  return {PQgetvalue(res_.get(), row, column), static_cast<size_t>(PQgetlength(res_.get(), row, column))};
}

std::optional<std::string> Result::value(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return std::string(text(row, column));
}

std::int64_t Result::integer(int row, int column) const {
  std::string_view t = text(row, column);
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || p != t.data() + t.size() || is_null(row, column))
    throw StepError("expected an integer in column '" + column_name(column) + "', got '" + std::string(t) + "'");
  return v;
}

std::int64_t Result::affected_rows() const noexcept {
  const char* n = PQcmdTuples(res_.get());
  return (n && *n) ? std::strtoll(n, nullptr, 10) : 0;
}

// --- Connection -----------------------------------------------------------------------------

Connection::Connection(std::unique_ptr<PGconn, Finish> conn, std::vector<std::pair<std::string, std::string>> options,
                       std::string label)
    : conn_(std::move(conn)),
      cancel_(register_for_cancel(conn_.get())),  // throws Interrupted (and conn_ is finished) after Ctrl-C
      options_(std::move(options)),
      label_(std::move(label)) {}

void Connection::Deregister::operator()(CancelEntry* entry) const noexcept { deregister_for_cancel(entry); }

Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

Connection Connection::open(std::vector<std::pair<std::string, std::string>> options, std::string label) {
  throw_if_cancelled();  // before waiting on the network; the constructor checks again, atomically
  const bool polling = current_io_waiter() != nullptr;
  std::string failed;  // what hosts that timed out said (polling only)
  OwnedConn owned = polling ? connect_polling(options, failed) : start_connect(options, false);
  std::unique_ptr<PGconn, Finish> conn(owned.release());
  if (!conn) throw ConnectError(endpoint_of(options), "out of memory opening connection '" + label + "'");
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    std::string endpoint = endpoint_of(options);
    std::string message = trim(failed + (PQstatus(conn.get()) == CONNECTION_BAD ? PQerrorMessage(conn.get()) : ""));
    std::string user = option_value(options, "user");
    std::string text = "cannot connect to " + endpoint + " as user '" + user + "' (connection '" + label +
                       "', database '" + option_value(options, "dbname") + "'): " + message;
    if (auto advice = connect_advice(message); !advice.empty()) text += "\n  hint: " + advice;
    throw ConnectError(endpoint, text);
  }
  PQsetNoticeReceiver(conn.get(), log_notice, nullptr);
  // Under a waiter every wait goes through it: libpq must never block the thread itself.
  if (polling && PQsetnonblocking(conn.get(), 1) != 0)
    throw ConnectError(endpoint_of(options), "cannot make connection '" + label + "' non-blocking: " +
                                                 trim(PQerrorMessage(conn.get())));
  return Connection(std::move(conn), std::move(options), std::move(label));
}

void Connection::throw_error(const PGresult* res, std::string_view sql) const {
  (void)sql;  // never echoed: a statement may carry data the user did not mean to log
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string message = primary ? primary : trim(PQerrorMessage(conn_.get()));
  if (res) {
    if (const char* detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL)) message += "; " + std::string(detail);
    if (const char* hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT)) message += "; hint: " + std::string(hint);
  }
  std::string sqlstate = state ? state : "";
  // libpq reports a dropped socket without a SQLSTATE; give it the standard one so callers can
  // classify it like any other connection failure. libpq may not have marked the connection bad
  // yet (a failed send, or a pipeline whose results end early), so its words count too.
  if (sqlstate.empty() && (PQstatus(conn_.get()) == CONNECTION_BAD || looks_lost(message))) sqlstate = "08006";
  if (message.empty()) message = "no reply from the server (the connection was lost)";
  throw DbError(std::move(sqlstate), std::move(message), "");
}

// Every statement is sent with a PQsend* call and its results read with next_result(): on a
// blocking connection that is what PQexec does inside, on a non-blocking one (under a waiter) the
// waits go to the waiter.
void Connection::flush() {
  for (;;) {
    const int pending = PQflush(conn_.get());
    if (pending == 0) return;
    if (pending < 0) throw_error(nullptr, {});
    // Readable too: a server that cannot take more may be waiting for its replies to be read.
    wait_socket(PQsocket(conn_.get()), true, true, Clock::time_point::max());
    if (PQconsumeInput(conn_.get()) != 1) throw_error(nullptr, {});
  }
}

PGresult* Connection::next_result() {
  PGconn* c = conn_.get();
  if (PQisnonblocking(c)) {
    // PQgetResult would block in the kernel while libpq is busy: wait here until it is not (or
    // the socket fails, which PQgetResult then reports).
    while (PQisBusy(c)) {
      wait_socket(PQsocket(c), true, false, Clock::time_point::max());
      if (PQconsumeInput(c) != 1) break;
    }
  }
  return PQgetResult(c);
}

Result Connection::finish_command() {
  flush();
  // As PQexec: the first error if any (the rest of a script is not run after it), else the last
  // result; a COPY ends the command's results.
  Result last, error;
  while (PGresult* r = next_result()) {
    Result res(r);
    const ExecStatusType status = PQresultStatus(r);
    if (status == PGRES_FATAL_ERROR) {
      if (!error.native_handle()) error = std::move(res);
      continue;
    }
    last = std::move(res);
    if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH) break;
  }
  return error.native_handle() ? std::move(error) : std::move(last);
}

Result Connection::exec_params(std::string_view sql, const std::vector<Param>& params) {
  std::string text(sql);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  if (PQsendQueryParams(conn_.get(), text.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                        nullptr, 0) != 1)
    throw_error(nullptr, {});
  Result res = finish_command();
  check(res);
  return res;
}

Result Connection::exec_simple(const char* sql) {
  // The simple query protocol: one message instead of parse, bind, describe, execute and sync,
  // and no unnamed statement to plan -- what BEGIN and COMMIT on every transfer want.
  if (PQsendQuery(conn_.get(), sql) != 1) throw_error(nullptr, {});
  Result res = finish_command();
  check(res);
  return res;
}

void Connection::check(const Result& res) const {
  ExecStatusType status = res.native_handle() ? PQresultStatus(res.native_handle()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) throw_error(res.native_handle(), {});
}

void Connection::prepare(const char* name, std::string_view sql, int parameters) {
  std::string text(sql);
  if (PQsendPrepare(conn_.get(), name, text.c_str(), parameters, nullptr) != 1) throw_error(nullptr, {});
  check(finish_command());
}

Result Connection::exec_prepared(const char* name, int count, const char* const* values) {
  if (PQsendQueryPrepared(conn_.get(), name, count, values, nullptr, nullptr, 0) != 1) throw_error(nullptr, {});
  Result res = finish_command();
  check(res);
  return res;
}

void Connection::pipeline_enter() {
  if (PQenterPipelineMode(conn_.get()) != 1) throw_error(nullptr, {});
}

void Connection::pipeline_exit() {
  if (PQexitPipelineMode(conn_.get()) != 1) throw_error(nullptr, {});
}

void Connection::queue(const char* sql) {
  if (PQsendQueryParams(conn_.get(), sql, 0, nullptr, nullptr, nullptr, nullptr, 0) != 1) throw_error(nullptr, {});
}

void Connection::queue_prepared(const char* name, int count, const char* const* values) {
  if (PQsendQueryPrepared(conn_.get(), name, count, values, nullptr, nullptr, 0) != 1) throw_error(nullptr, {});
}

void Connection::pipeline_sync() {
  // PQpipelineSync flushes in blocking mode; flush() keeps that true whatever the libpq version
  // does, and waits through the waiter on a non-blocking connection.
  if (PQpipelineSync(conn_.get()) != 1) throw_error(nullptr, {});
  flush();
}

void Connection::read_flight(Result* results, int count) {
  // Each statement's result is followed by a NULL that ends it; the flight ends with
  // PGRES_PIPELINE_SYNC. The first error is kept and thrown once the sync point is reached, so
  // the connection is ready for the next flight either way.
  Result first_error;
  for (int i = 0; i < count; ++i) {
    Result res(next_result());
    if (!res.native_handle()) throw_lost_in_flight(first_error);
    const ExecStatusType status = PQresultStatus(res.native_handle());
    if (status == PGRES_FATAL_ERROR && !first_error.native_handle()) first_error = std::move(res);
    else if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) results[i] = std::move(res);
    // PGRES_PIPELINE_ABORTED: skipped because an earlier statement failed.
    while (PGresult* end = next_result()) PQclear(end);
  }
  // An error may also come at the Sync itself: it commits an implicit transaction, and a commit
  // can fail (40001 from SERIALIZABLE's checks at commit). libpq returns it as a result of its own
  // before PGRES_PIPELINE_SYNC, then a NULL that ends it (one NULL: a second is a lost connection).
  for (bool after_error = false;;) {
    Result res(next_result());
    if (!res.native_handle()) {
      if (!after_error) throw_lost_in_flight(first_error);
      after_error = false;
      continue;
    }
    const ExecStatusType status = PQresultStatus(res.native_handle());
    if (status == PGRES_PIPELINE_SYNC) break;
    if (status == PGRES_FATAL_ERROR) {
      if (!first_error.native_handle()) first_error = std::move(res);
      after_error = true;
    }
  }
  if (first_error.native_handle()) throw_error(first_error.native_handle(), {});
}

void Connection::throw_lost_in_flight(const Result& first_error) const {
  // The server's own reason when it gave one (57P01 "terminating connection due to administrator
  // command" before it closed); else a lost connection by its standard SQLSTATE -- never an
  // error without one, which the retry engine would take for final.
  if (first_error.native_handle()) throw_error(first_error.native_handle(), {});
  std::string message = trim(PQerrorMessage(conn_.get()));
  throw DbError("08006", message.empty() ? "the connection was lost in the middle of a pipelined flight" : message, "");
}

void Connection::exec_script(std::string_view sql) {
  std::string text(sql);
  // As PQexec: an error stops the script and is what comes back, else the last result.
  if (PQsendQuery(conn_.get(), text.c_str()) != 1) throw_error(nullptr, {});
  Result res = finish_command();
  ExecStatusType status = res.native_handle() ? PQresultStatus(res.native_handle()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY)
    throw_error(res.native_handle(), sql);
}

std::string Connection::escape_identifier(std::string_view identifier) const {
  char* quoted = PQescapeIdentifier(conn_.get(), identifier.data(), identifier.size());
  if (!quoted) throw StepError("cannot quote identifier '" + std::string(identifier) + "': " +
                               trim(PQerrorMessage(conn_.get())));
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

const Dialect& Connection::dialect() {
  if (!dialect_) {
    Result r = exec_simple("SELECT version()");
    dialect_ = Dialect::from_version_string(std::string(r.text(0, 0)));
    // CockroachDB honours pgwire cancel requests only from v22.1 (cockroachdb/cockroach PR
    // #67501; the v22.1 docs' PostgreSQL-compatibility page dropped it from the unsupported
    // features, cockroachdb/docs PR #13832). Before, it answers a cancel request by closing it
    // and runs on (PR #33202: "still don't cancel the request"), so Ctrl-C would wait for the
    // statement: close this session instead.
    if (dialect_->cockroach_before(22, 1)) close_instead_of_cancel(cancel_.get(), conn_.get());
  }
  return *dialect_;
}

Connection Connection::open_database(std::string_view database) const {
  auto options = options_;
  bool replaced = false;
  for (auto& [k, v] : options)
    if (k == "dbname") v = database, replaced = true;
  if (!replaced) options.emplace_back("dbname", std::string(database));
  return open(std::move(options), label_ + "@" + std::string(database));
}

void Connection::reconnect() {
  *this = open(options_, label_);
}

bool Connection::in_transaction() const noexcept {
  auto s = PQtransactionStatus(conn_.get());
  return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE;
}

bool Connection::is_ok() const noexcept { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }

std::string Connection::user() const { return PQuser(conn_.get()); }
std::string Connection::database() const { return PQdb(conn_.get()); }
std::string Connection::endpoint() const {
  // The host in use: of a multi-host target's list, the one this session reached.
  if (!conn_) return {};
  return std::string(PQhost(conn_.get())) + ":" + PQport(conn_.get());
}

}  // namespace roachrun
