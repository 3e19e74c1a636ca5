// Keeps known secrets out of everything roachrun writes: logs, reports, the dry-run listing.
//
// Secrets are learned as they become known (the --target URL's password before anything runs,
// then the passwords of each scenario's target and connections); every message that may quote
// them -- a server's error text, a libpq message, a step's exception -- goes through redact()
// before it is logged or reported. The stderr logger's sink applies it to every line, so even
// a trace-level message cannot leak one.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/sinks/sink.h>

#include "engine/scenario.hpp"

namespace roachrun {

class Redactor {
 public:
  // Text with every known secret (and its URL-encoded form) replaced by ***, and any password
  // in a URL or key=value connection string masked as redact_url does. Thread-safe.
  std::string redact(std::string_view text) const;
  // Adds a secret; empty strings and ones already known are ignored. Thread-safe.
  void add(std::string_view secret);
  // The password of a libpq URL or key=value string, if it has one.
  void add_conninfo(const std::string& conninfo);
  // The passwords of a scenario: its target URL's and its connections'.
  void add_scenario(const Scenario& scenario);

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> secrets_;  // longest first, so a secret inside another is not half-masked
};

// The process's redactor: the one the stderr logger and the reports use.
Redactor& redactor();

// A sink that redacts each message with `redactor` and passes it on to `inner`.
std::shared_ptr<spdlog::sinks::sink> make_redacting_sink(std::shared_ptr<spdlog::sinks::sink> inner,
                                                         const Redactor& redactor);

}  // namespace roachrun
