// A target is where a scenario's connections go: a throwaway local server or a running
// CockroachDB/PostgreSQL given by URL. It turns a named connection (user, database) into libpq
// options.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/scenario.hpp"

namespace spdlog {
class logger;
}

namespace roachrun {

using LibpqOptions = std::vector<std::pair<std::string, std::string>>;

class LocalFormation;
class LocalServer;

class Target {
 public:
  virtual ~Target();
  // The libpq options of `connection` on this target. Throws ConnectError for a connection the
  // target cannot serve.
  virtual LibpqOptions options_for(const ConnectionDef& connection) const = 0;
  // For logs: "local PostgreSQL on 127.0.0.1:41234" or the URL without its password.
  virtual std::string describe() const = 0;
  // The pg_auto_failover formation this target is (url: local with nodes: 2 or more), started
  // now if it has not been; null for any other target. Throws ConnectError as options_for does.
  virtual LocalFormation* formation() const { return nullptr; }
  // The single local server this target is (url: local, nodes: 1), started now if it has not
  // been; null for any other target. Throws ConnectError as options_for does.
  virtual LocalServer* local_server() const { return nullptr; }
};

class PluginRegistry;

// Resolves the target. A local target starts its server on the first connection (so a scenario
// that never connects starts none); a secure one first creates missing certificates with the
// CertificateAuthority a plugin in `registry` provides (the certs plugin). Throws UsageError for
// a URL libpq cannot parse.
std::unique_ptr<Target> open_target(const TargetDef& def, spdlog::logger& log, const PluginRegistry* registry);

// What every target adds for a named connection: its user and database, its password, its own
// libpq settings (which win), TLS files from certs_dir when the target is secure, and a connect
// timeout so an unreachable host fails instead of hanging.
LibpqOptions apply_connection(LibpqOptions options, const ConnectionDef& connection, const TargetDef& target);

// Parses a postgresql:// URL or key=value string into libpq options (libpq's own parser).
LibpqOptions parse_conninfo(const std::string& conninfo);

// A local target (url: local); defined in local_target.cpp.
std::unique_ptr<Target> make_local_target(const TargetDef& def, spdlog::logger& log, const PluginRegistry* registry);

// `url` with any password replaced by ***, for messages.
std::string redact_url(const std::string& url);

}  // namespace roachrun
