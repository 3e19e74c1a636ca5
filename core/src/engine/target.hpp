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

class Target {
 public:
  virtual ~Target();
  // The libpq options of `connection` on this target. Throws ConnectError for a connection the
  // target cannot serve.
  virtual LibpqOptions options_for(const ConnectionDef& connection) const = 0;
  // For logs: "local PostgreSQL on 127.0.0.1:41234" or the URL without its password.
  virtual std::string describe() const = 0;
};

// Starts or resolves the target. Throws ConnectError (exit 3) if a local server cannot start,
// UsageError for a URL libpq cannot parse.
std::unique_ptr<Target> open_target(const TargetDef& def, spdlog::logger& log);

// Parses a postgresql:// URL or key=value string into libpq options (libpq's own parser).
LibpqOptions parse_conninfo(const std::string& conninfo);

// `url` with any password replaced by ***, for messages.
std::string redact_url(const std::string& url);

}  // namespace roachrun
