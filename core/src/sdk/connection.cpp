#include "roachrun/connection.hpp"

#include <charconv>

#include <spdlog/spdlog.h>

#include "cancel_registry.hpp"
#include "connect_advice.hpp"
#include "roachrun/error.hpp"

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
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : options) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  std::unique_ptr<PGconn, Finish> conn(PQconnectdbParams(keys.data(), values.data(), 0));
  if (!conn) throw ConnectError(endpoint_of(options), "out of memory opening connection '" + label + "'");
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    std::string endpoint = endpoint_of(options);
    std::string message = trim(PQerrorMessage(conn.get()));
    std::string user = option_value(options, "user");
    std::string text = "cannot connect to " + endpoint + " as user '" + user + "' (connection '" + label +
                       "', database '" + option_value(options, "dbname") + "'): " + message;
    if (auto advice = connect_advice(message); !advice.empty()) text += "\n  hint: " + advice;
    throw ConnectError(endpoint, text);
  }
  PQsetNoticeReceiver(conn.get(), log_notice, nullptr);
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

Result Connection::exec_params(std::string_view sql, const std::vector<Param>& params) {
  std::string text(sql);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  Result res(PQexecParams(conn_.get(), text.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                          nullptr, nullptr, 0));
  check(res);
  return res;
}

Result Connection::exec_simple(const char* sql) {
  // The simple query protocol: one message instead of parse, bind, describe, execute and sync,
  // and no unnamed statement to plan -- what BEGIN and COMMIT on every transfer want.
  Result res(PQexec(conn_.get(), sql));
  check(res);
  return res;
}

void Connection::check(const Result& res) const {
  ExecStatusType status = res.native_handle() ? PQresultStatus(res.native_handle()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) throw_error(res.native_handle(), {});
}

void Connection::prepare(const char* name, std::string_view sql, int parameters) {
  std::string text(sql);
  check(Result(PQprepare(conn_.get(), name, text.c_str(), parameters, nullptr)));
}

Result Connection::exec_prepared(const char* name, int count, const char* const* values) {
  Result res(PQexecPrepared(conn_.get(), name, count, values, nullptr, nullptr, 0));
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
  // PQpipelineSync flushes in blocking mode; the explicit flush keeps that true whatever the
  // libpq version does.
  if (PQpipelineSync(conn_.get()) != 1 || PQflush(conn_.get()) != 0) throw_error(nullptr, {});
}

void Connection::read_flight(Result* results, int count) {
  // Each statement's result is followed by a NULL that ends it; the flight ends with
  // PGRES_PIPELINE_SYNC. The first error is kept and thrown once the sync point is reached, so
  // the connection is ready for the next flight either way.
  Result first_error;
  for (int i = 0; i < count; ++i) {
    Result res(PQgetResult(conn_.get()));
    if (!res.native_handle()) throw_lost_in_flight(first_error);
    const ExecStatusType status = PQresultStatus(res.native_handle());
    if (status == PGRES_FATAL_ERROR && !first_error.native_handle()) first_error = std::move(res);
    else if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) results[i] = std::move(res);
    // PGRES_PIPELINE_ABORTED: skipped because an earlier statement failed.
    while (PGresult* end = PQgetResult(conn_.get())) PQclear(end);
  }
  // An error may also come at the Sync itself: it commits an implicit transaction, and a commit
  // can fail (40001 from SERIALIZABLE's checks at commit). libpq returns it as a result of its own
  // before PGRES_PIPELINE_SYNC, then a NULL that ends it (one NULL: a second is a lost connection).
  for (bool after_error = false;;) {
    Result res(PQgetResult(conn_.get()));
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
  // PQexec returns only the last result; an error stops the script and is what comes back.
  Result res(PQexec(conn_.get(), text.c_str()));
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
