// RAII access to a PostgreSQL-protocol server (PostgreSQL or CockroachDB) through libpq.
//
// Values always travel as query parameters ($1, $2, ...); identifiers that come from a scenario
// go through escape_identifier(). A Connection is not thread-safe: use one per thread (a step
// that starts threads opens their connections with Connection::open and
// StepContext::connection_options). Errors are exceptions, never return codes: DbError for an
// error reply (with its SQLSTATE), ConnectError when a connection cannot be made. Their messages
// quote the server and never include a password.
//
// Ctrl-C reaches every Connection, however it was made (the core's, a step's own, a reconnect):
// each registers its session for cancellation when it connects and deregisters when it closes.
// On the first Ctrl-C/SIGTERM the statement in flight on every open session is cancelled (it
// fails with DbError 57014), and from then on open(), open_database() and reconnect() throw
// Interrupted, so no retry loop reconnects its way past Ctrl-C. A statement sent after the
// interrupt is not cancelled: code that runs many poll StepContext::interrupted() between them.
// CockroachDB before v22.1 ignores cancel requests: a session whose dialect() found such a
// server is closed instead (its statement fails with DbError 08006 at once, but may go on
// running on the server, and roachrun says so on stderr).
//
// A Connection opened on a thread with an IoWaiter installed (io_wait.hpp) is non-blocking: its
// connect and every wait for the server go through the waiter, so an event loop can run many
// sessions on one thread with this same API. (SDK 3.5.)
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <libpq-fe.h>

#include "roachrun/export.hpp"

namespace roachrun {

enum class Engine { postgresql, cockroachdb };

// A server release, MAJOR.MINOR.PATCH: CockroachDB v23.1.11 is {23, 1, 11}. (SDK 3.3.)
struct ServerRelease {
  int major = 0;
  int minor = 0;
  int patch = 0;
  friend auto operator<=>(const ServerRelease&, const ServerRelease&) = default;
};

// What the server is, detected once per connection from `SELECT version()`. Steps whose SQL
// differs between the engines, or between CockroachDB's releases, ask this instead of guessing.
struct Dialect {
  Engine engine = Engine::postgresql;
  std::string version;  // the full version() string
  bool is_cockroach() const noexcept { return engine == Engine::cockroachdb; }
  // Classifies a version() string.
  ROACHRUN_API static Dialect from_version_string(std::string version);

  // CockroachDB's release as version() names it ("CockroachDB CCL v23.1.11 (x86_64-...)",
  // "CockroachDB OSS v19.1.0-rc.1 ..."); nullopt on PostgreSQL or if version() names none.
  // (SDK 3.3.)
  ROACHRUN_API std::optional<ServerRelease> cockroach_release() const;
  // Whether the server is CockroachDB vMAJOR.MINOR or later. A CockroachDB whose release cannot
  // be read counts as later than any (builds from source say "v24.3.0-alpha.00000000-dirty",
  // which still parses; a stand-in that names no release gets the current SQL). False on
  // PostgreSQL. (SDK 3.3.)
  ROACHRUN_API bool cockroach_at_least(int major, int minor) const;
  // Whether the server is CockroachDB older than vMAJOR.MINOR: !cockroach_at_least on
  // CockroachDB, false on PostgreSQL. (SDK 3.3.)
  bool cockroach_before(int major, int minor) const { return is_cockroach() && !cockroach_at_least(major, minor); }
};

// A SQL user name as CockroachDB keeps it: user names are case-insensitive and stored in lower
// case (CREATE USER MaxRoach creates maxroach; `cockroach cert create-client MaxRoach` writes
// client.maxroach.crt with CN=maxroach). roachrun applies the same rule on both engines -- to
// connection users, to the admin steps' users and to client certificates -- so that one scenario
// names one user everywhere (on PostgreSQL a certificate's CN must equal the user name exactly).
// Letters beyond ASCII are lower-cased too, as CockroachDB does (without its Unicode NFC step);
// bytes that are not UTF-8 are kept. (SDK 3.3.)
ROACHRUN_API std::string normalize_user_name(std::string_view user);

// A NULL-able text parameter. Use param(...) to build one from common types.
using Param = std::optional<std::string>;
inline Param param(std::string s) { return Param(std::move(s)); }
inline Param param(std::string_view s) { return Param(std::string(s)); }
inline Param param(const char* s) { return Param(std::string(s)); }
template <typename Int>
  requires std::is_integral_v<Int>
Param param(Int v) {
  if constexpr (std::is_same_v<Int, bool>) return Param(v ? "true" : "false");
  else return Param(std::to_string(v));
}
inline Param param(std::nullopt_t) { return std::nullopt; }
inline Param param(Param p) { return p; }

// The result of one statement; owns its PGresult.
class ROACHRUN_API Result {
 public:
  explicit Result(PGresult* res = nullptr) noexcept;
  int rows() const noexcept;
  int columns() const noexcept;
  std::string column_name(int column) const;
  bool is_null(int row, int column) const noexcept;
  // The value as text; empty for NULL (check is_null when it matters).
  std::string_view text(int row, int column) const noexcept;
  std::optional<std::string> value(int row, int column) const;
  std::int64_t integer(int row, int column) const;  // throws StepError if not an integer
  // Rows affected by INSERT/UPDATE/DELETE (PQcmdTuples); 0 for other statements.
  std::int64_t affected_rows() const noexcept;
  PGresult* native_handle() const noexcept { return res_.get(); }

 private:
  struct Clear {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
  };
  std::unique_ptr<PGresult, Clear> res_;
};

class CancelEntry;  // a session's entry in the process's cancel registry (core/src/sdk)

class ROACHRUN_API Connection {
 public:
  // Connects with libpq keywords/values (host, port, user, dbname, sslmode, ...). `label` names
  // the connection in errors and logs (e.g. "app"). Throws ConnectError, naming host:port, the
  // user and the server's message, if the connection cannot be made; Interrupted after Ctrl-C.
  // Thread-safe (connections on many threads may open and close at once).
  static Connection open(std::vector<std::pair<std::string, std::string>> options, std::string label);

  // A moved-from Connection holds no session. Assigning over a Connection and destroying one
  // close its session and deregister it from cancellation.
  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  ~Connection();

  // Exactly one statement, with its values as $n parameters, by the extended protocol (parse,
  // bind, execute). Several `;`-separated statements are refused by the server. Throws DbError
  // on an error reply, with SQLSTATE 08006 if the connection is lost.
  Result exec_params(std::string_view sql, const std::vector<Param>& params = {});
  // A NUL-terminated text without parameters (BEGIN, COMMIT, ...) by the simple query protocol,
  // without copying it: one message instead of five, for hot loops. The simple protocol would
  // run several `;`-separated statements and return the last result: use exec_script for
  // scripts, this for one statement. Not in pipeline mode (use queue()). Throws DbError.
  Result exec_simple(const char* sql);
  template <typename... Args>
  Result query(std::string_view sql, Args&&... args) {
    return exec_params(sql, std::vector<Param>{param(std::forward<Args>(args))...});
  }
  // Several statements separated by semicolons, no parameters (simple protocol). For scripts
  // written by the user, never for values.
  void exec_script(std::string_view sql);

  // Prepared statements, for loops that run the same statements many times (one parse and plan
  // per connection instead of one per call). A prepared statement lives as long as the session:
  // after reconnect() it must be prepared again (compare native_handle() to notice).
  // Throws DbError.
  void prepare(const char* name, std::string_view sql, int parameters);
  // Runs a prepared statement with `count` text values (nullptr = NULL). Allocates nothing but
  // the PGresult libpq itself builds. Throws DbError.
  Result exec_prepared(const char* name, int count, const char* const* values);

  // Pipeline mode (libpq 14+): queue several statements, send them in one flight, then read
  // their results in order -- one round trip for the lot. Between pipeline_enter() and
  // pipeline_exit() only the queue/flush/read calls below may be used on this connection.
  void pipeline_enter();
  void pipeline_exit();
  void queue(const char* sql);  // a statement without parameters
  void queue_prepared(const char* name, int count, const char* const* values);
  // Ends the flight with a sync point and sends it.
  void pipeline_sync();
  // Reads the results of a flight of `count` statements ended by pipeline_sync() into
  // results[0..count). If a statement failed, the rest of the flight was skipped by the server:
  // reads up to the sync point, then throws the first statement's DbError (the connection is
  // then ready for the next flight); so does an error at the sync point itself, where an
  // implicit transaction commits (40001 at commit). A lost connection throws DbError 08006.
  void read_flight(Result* results, int count);

  // "quoted" identifier, safe to splice into SQL.
  std::string escape_identifier(std::string_view identifier) const;

  // Detected on first call with SELECT version(), then cached. On CockroachDB before v22.1 it
  // also makes Ctrl-C close this session rather than send a cancel request (see above).
  const Dialect& dialect();

  // A new connection with the same settings but another database (e.g. to grant on a schema in
  // a database the step's connection is not in). Throws as open() does.
  Connection open_database(std::string_view database) const;
  // Drops and re-establishes the connection with the same settings (after a lost connection).
  // Throws as open() does, leaving this connection as it was.
  void reconnect();

  bool in_transaction() const noexcept;  // PQtransactionStatus is in a block (or failed block)
  bool is_ok() const noexcept;           // the socket is up as far as libpq knows

  const std::string& label() const noexcept { return label_; }
  std::string user() const;
  std::string database() const;
  // host:port of the server this session reached: of a multi-host target (host=a,b,c), the host
  // libpq got in on, also after a reconnect() that landed on another one. Empty if moved from.
  std::string endpoint() const;
  PGconn* native_handle() const noexcept { return conn_.get(); }

 private:
  struct Finish {
    void operator()(PGconn* c) const noexcept { PQfinish(c); }
  };
  struct Deregister {
    void operator()(CancelEntry* entry) const noexcept;
  };
  Connection(std::unique_ptr<PGconn, Finish> conn, std::vector<std::pair<std::string, std::string>> options,
             std::string label);
  [[noreturn]] void throw_error(const PGresult* res, std::string_view sql) const;
  [[noreturn]] void throw_lost_in_flight(const Result& first_error) const;
  void check(const Result& res) const;  // throws DbError unless res is a success
  // Sends what libpq has queued (waiting through the thread's IoWaiter on a non-blocking session).
  void flush();
  // PQgetResult that never blocks the thread of a non-blocking session: waits through the waiter.
  PGresult* next_result();
  // Flushes, then reads a sent command's results as PQexec would (first error, else last result).
  Result finish_command();

  std::unique_ptr<PGconn, Finish> conn_;
  // Registered as long as conn_ is open; a cancel request that races with closing is harmless
  // (the registry's copy of the cancel key outlives the PGconn, the server ignores it).
  std::unique_ptr<CancelEntry, Deregister> cancel_;
  std::vector<std::pair<std::string, std::string>> options_;
  std::string label_;
  std::optional<Dialect> dialect_;
};

}  // namespace roachrun
