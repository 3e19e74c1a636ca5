// A scenario file as the loader read it: structure checked, every value located in the file.
// Step parameters stay YAML here; the validator types them against the step's declaration.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "roachrun/error.hpp"
#include "roachrun/params.hpp"
#include "roachrun/retry.hpp"
#include "engine/variables.hpp"

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

// `capture:` of a step: its result (what it passed to StepContext::set_result), or a part of it,
// stored under a name that later steps read as ${name}.
struct CaptureDef {
  std::string name;
  std::string path;  // keys and indexes separated by '.' ("rows.0.1"); empty: the whole result
  SourceLocation where;
};

// A `parallel:` block: its branches run at the same time and are all joined before the step after it.
struct ParallelBlock {
  std::string name;                   // `name:` or "parallel block N"
  std::vector<std::string> branches;  // in file order
  SourceLocation where;
};

// " (included from a.yaml:12:5, from b.yaml:3:3)" for a chain of includes (innermost first), ""
// for none.
std::string include_chain_text(const std::vector<SourceLocation>& included_from);

struct StepDef {
  // 1-based, in the order the steps are written, included files' steps and parallel branches'
  // steps counted where they stand.
  int number = 0;
  std::string name;      // `name:` or, when absent, the step type
  std::string type;      // "plugin.step"
  YAML::Node params;     // the step type key's value (a mapping, or null for none)
  std::string connection;
  std::optional<YAML::Node> retry;
  SourceLocation where;       // the step's mapping
  SourceLocation type_where;  // its step type key
  std::string file;           // the file the step is written in (an included file's, for its steps)
  // The variables its ${...} read: its file's vars:, with an include's vars: over them. Shared by
  // the steps of one file (or one include of it).
  std::shared_ptr<const VarTable> vars;
  // Where its file was included from, the innermost include first (empty: the scenario's own step).
  std::vector<SourceLocation> included_from;
  std::vector<CaptureDef> captures;
  int block = 0;       // 0: not in a parallel block; n: in Scenario::blocks[n - 1]
  std::string branch;  // its branch in that block

  std::string include_chain() const;  // include_chain_text(included_from)
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
  std::vector<StepDef> steps;  // every step, flat, in `number` order
  std::vector<ParallelBlock> blocks;

  const ConnectionDef* find_connection(std::string_view connection_name) const;
};

}  // namespace roachrun
