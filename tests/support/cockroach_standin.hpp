// The CockroachDB stand-in: the TestServer of this binary (PostgreSQL 15) answering as CockroachDB
// `release` to roachrun, so roachrun's CockroachDB code paths run against a real server and every
// statement they send can be checked (tests/conformance). Clients connect to a TcpProxy that
// records each statement as sent and rewrites the few that PostgreSQL would answer differently:
//   - `SELECT version()` (Connection::dialect) answers "CockroachDB CCL v<release> ...";
//   - `CREATE USER|ROLE IF NOT EXISTS u` and `CREATE DATABASE IF NOT EXISTS d`, CockroachDB-only
//     forms, run as their PostgreSQL equivalents;
//   - `crdb_internal.force_retry(interval)` behaves as in that release: root-only before v19.2,
//     gated by the session variable allow_unsafe_internals from v25.4 (whose SET and RESET work
//     only from v25.4, as on CockroachDB).
// What it does not emulate: everything else CockroachDB does differently (SERIALIZABLE by default,
// its own retries of implicit transactions, its error texts, its catalogs). The stand-in proves
// what roachrun sends and that PostgreSQL runs it, not that CockroachDB would; the conformance
// rules (tests/conformance/cockroachdb-rules.md) hold the grammar checks against CockroachDB's docs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/target.hpp"
#include "roachrun/connection.hpp"
#include "support/tcp_proxy.hpp"

namespace roachrun::test {

class CockroachStandIn {
 public:
  // PostgreSQL (the TestServer of this binary) answering as CockroachDB `release`, e.g. "19.1.0",
  // "22.1.22", "23.1.11", "25.4.0" (std::invalid_argument if it names no <major>.<minor>). Installs cockroach_standin.sql in the server's databases
  // (once per process) and starts the proxy.
  explicit CockroachStandIn(std::string release);
  ~CockroachStandIn();
  CockroachStandIn(const CockroachStandIn&) = delete;
  CockroachStandIn& operator=(const CockroachStandIn&) = delete;

  const std::string& release() const noexcept { return release_; }
  // What roachrun makes of version() through a stand-in of `release` (without starting one).
  static Dialect dialect_of(const std::string& release);
  // What `SELECT version()` answers through the stand-in.
  std::string version_string() const;
  int port() const;  // connect here, sslmode=disable
  // postgresql://user@127.0.0.1:port/database?sslmode=disable
  std::string url(const std::string& user, const std::string& database) const;
  LibpqOptions options(const std::string& user, const std::string& database) const;
  // Every statement every client sent, in order, as sent (before any rewrite).
  std::vector<RecordedStatement> statements() const;
  TcpProxy& proxy();  // fault arming etc.

  // The text the stand-in sends to PostgreSQL instead of `statement`'s, if any (the proxy's
  // rewriter; public so the rewrites can be tested one by one).
  std::optional<std::string> rewrite(const RecordedStatement& statement) const;

 private:
  static std::string version_of(const std::string& release);

  std::string release_;
  Dialect dialect_;  // what roachrun reads from version_string(): the rules follow the same test
  std::unique_ptr<TcpProxy> proxy_;
};

}  // namespace roachrun::test
