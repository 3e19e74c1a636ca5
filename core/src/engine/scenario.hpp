// A scenario file as the loader read it: structure checked, every value located in the file.
// Step parameters stay YAML here; the validator types them against the step's declaration.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "roachrun/error.hpp"
#include "roachrun/params.hpp"
#include "roachrun/retry.hpp"

namespace roachrun {

// Where the scenario runs. `url` is "local" (a throwaway PostgreSQL started for the run) or a
// postgresql:// URL / libpq key=value string of a running server.
struct TargetDef {
  std::string url = "local";
  // url: local only: 1 is one server; 2 to kMaxLocalNodes a pg_auto_failover formation of that
  // many PostgreSQL nodes (a primary and synchronous standbys) that steps can kill and restart.
  int nodes = 1;
  bool secure = false;
  std::string certs_dir;  // CockroachDB --certs-dir layout: ca.crt, client.<user>.crt/.key
  std::string ca_key;     // where the CA key lives (local secure target creates certs with it)
  SourceLocation where;
};

inline constexpr int kMaxLocalNodes = 9;

struct ConnectionDef {
  std::string name;
  std::string user;
  std::string database;
  std::string password;
  // Extra libpq settings given in the file (sslmode, sslrootcert, sslcert, sslkey,
  // application_name, connect_timeout, options).
  std::vector<std::pair<std::string, std::string>> libpq;
  SourceLocation where;
  // The connection a scenario gets when it declares none: it takes the user and the database a
  // target URL names (postgresql://me@host/mydb), and root/defaultdb only when the URL names none.
  bool implicit = false;
};

struct StepDef {
  int number = 0;        // 1-based position in the file
  std::string name;      // `name:` or, when absent, the step type
  std::string type;      // "plugin.step"
  YAML::Node params;     // the step type key's value (a mapping, or null for none)
  std::string connection;
  std::optional<YAML::Node> retry;
  SourceLocation where;       // the step's mapping
  SourceLocation type_where;  // its step type key
};

struct Scenario {
  std::string file;
  std::string name;
  std::string description;
  TargetDef target;
  std::vector<ConnectionDef> connections;
  std::string default_connection;
  std::map<std::string, std::string, std::less<>> vars;  // after env expansion and --set
  RetryPolicy retry;                                      // scenario-wide default
  std::vector<StepDef> steps;

  const ConnectionDef* find_connection(std::string_view connection_name) const;
};

}  // namespace roachrun
