// sql.exec: statements written in the scenario, or a .sql file next to it, run as scripts, each
// all-or-nothing on every engine; with transaction: true the whole step is one transaction.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <roachrun/roachrun.hpp>
#include <spdlog/spdlog.h>

#include "script_shape.hpp"
#include "steps.hpp"

namespace roachrun_sql {

namespace {

namespace fs = std::filesystem;

// A relative `file` is relative to the scenario's directory, not to wherever roachrun was started,
// so a scenario and its SQL files can move together.
fs::path resolve(std::string_view scenario_file, const std::string& file) {
  fs::path path(file);
  if (path.is_absolute() || scenario_file.empty()) return path;
  return fs::path(scenario_file).parent_path() / path;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw roachrun::StepError("cannot read SQL file '" + path.string() + "': " + std::strerror(errno) +
                              " (a relative path is relative to the scenario file's directory)");
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw roachrun::StepError("error reading SQL file '" + path.string() + "'");
  return text.str();
}

bool blank(const std::string& s) { return s.find_first_not_of(" \t\r\n;") == std::string::npos; }

// One script of the step: its text and how errors name it ("statement 2 of 3", "in SQL file
// 'x'"; empty for a lone statement). The SQL text itself is never repeated in an error: it may
// carry a password.
struct Script {
  std::string text;
  std::string what;
};

[[noreturn]] void rethrow_as(const roachrun::DbError& e, const std::string& what) {
  if (what.empty()) throw e;
  throw roachrun::DbError(e.sqlstate(), e.server_message(), what);
}

// A failed transaction must not stay open on the connection (the next step would run inside
// it). A lost connection has nothing to roll back.
void roll_back(roachrun::Connection& conn) noexcept {
  try {
    if (conn.is_ok() && conn.in_transaction()) conn.exec_simple("ROLLBACK");
  } catch (const roachrun::Error&) {
    // The server ends the transaction when the session ends.
  }
}

// Runs `scripts` inside BEGIN ... COMMIT: all of them or none.
void run_in_transaction(roachrun::StepContext& ctx, roachrun::Connection& conn, const std::vector<Script>& scripts,
                        const std::string& rolled_back) {
  conn.exec_simple("BEGIN");
  for (const Script& script : scripts) {
    try {
      if (ctx.interrupted().load()) throw roachrun::Interrupted();
      conn.exec_script(script.text);
    } catch (const roachrun::DbError& e) {
      roll_back(conn);
      rethrow_as(e, script.what.empty() ? rolled_back : script.what + " (" + rolled_back + ")");
    } catch (...) {
      roll_back(conn);
      throw;
    }
  }
  try {
    conn.exec_simple("COMMIT");
  } catch (const roachrun::DbError& e) {
    roll_back(conn);
    rethrow_as(e, "COMMIT of sql.exec's transaction failed (" + rolled_back + ")");
  }
}

std::vector<Script> scripts_of(roachrun::StepContext& ctx, const roachrun::Params& p) {
  if (p.has("file")) {
    const fs::path path = resolve(ctx.scenario_file(), p.string("file"));
    std::string text = read_file(path);
    if (blank(text)) ctx.log().warn("SQL file '{}' has no statements", path.string());
    ctx.log().debug("running SQL file '{}'", path.string());
    return {{std::move(text), "in SQL file '" + path.string() + "'"}};
  }
  const auto statements = p.strings("sql");
  std::vector<Script> out;
  for (std::size_t i = 0; i < statements.size(); ++i)
    out.push_back({statements[i], statements.size() > 1 ? "statement " + std::to_string(i + 1) + " of " +
                                                              std::to_string(statements.size())
                                                        : std::string()});
  return out;
}

void check(const roachrun::Params& p) {
  const bool has_sql = p.has("sql");
  const bool has_file = p.has("file");
  if (has_sql == has_file) {
    throw roachrun::ParamError(has_sql ? "file" : "sql",
                               "give exactly one of 'sql' (statements) and 'file' (a .sql script)");
  }
  if (has_sql) {
    const auto statements = p.strings("sql");
    if (statements.empty()) throw roachrun::ParamError("sql", "'sql' is an empty list: give at least one statement");
    for (std::size_t i = 0; i < statements.size(); ++i) {
      if (blank(statements[i]))
        throw roachrun::ParamError("sql", "statement " + std::to_string(i + 1) + " of 'sql' is empty");
      if (p.boolean("transaction") && script_shape(statements[i]).transaction_control)
        throw roachrun::ParamError("transaction", "statement " + std::to_string(i + 1) +
                                                      " of 'sql' has BEGIN, COMMIT or ROLLBACK of its own, and "
                                                      "transaction: true already wraps the step in BEGIN ... COMMIT: "
                                                      "drop one or the other");
    }
  }
  if (has_file && p.string("file").empty()) throw roachrun::ParamError("file", "'file' is empty: give a path");
}

void run(roachrun::StepContext& ctx, const roachrun::Params& p) {
  roachrun::Connection& conn = ctx.connection();
  // Asked once per connection: it decides the wrapping below, and on CockroachDB before v22.1
  // it is what lets Ctrl-C close the session (that server ignores cancel requests).
  const bool wrap_scripts = conn.dialect().cockroach_before(22, 1);
  const std::vector<Script> scripts = scripts_of(ctx, p);

  if (p.boolean("transaction")) {
    if (p.has("file") && script_shape(scripts.front().text).transaction_control)
      throw roachrun::StepError(scripts.front().what + ": the script has BEGIN, COMMIT or ROLLBACK of its own, and "
                                "transaction: true already wraps the step in BEGIN ... COMMIT: drop one or the other");
    run_in_transaction(ctx, conn, scripts, "sql.exec's transaction was rolled back: no statement of the step took effect");
    return;
  }
  // Each script is one implicit transaction on PostgreSQL and on CockroachDB v22.1+: all of its
  // statements or none. CockroachDB before v22.1 ran each statement of a script in a
  // transaction of its own (cockroachdb/cockroach PR #76834, merged for v22.1; its release
  // note: "statements that arrived in a batch during the simple query protocol would all
  // execute in their own implicit transactions"), so there a script of several statements goes
  // inside BEGIN ... COMMIT -- unless it has transaction control of its own, which runs as it
  // would on the others.
  for (const Script& script : scripts) {
    if (ctx.interrupted().load()) throw roachrun::Interrupted();
    const ScriptShape shape = script_shape(script.text);
    if (wrap_scripts && shape.statements > 1 && !shape.transaction_control) {
      ctx.log().debug("{}: several statements on CockroachDB before v22.1, sent inside BEGIN ... COMMIT",
                      script.what.empty() ? "the script" : script.what);
      run_in_transaction(ctx, conn, {script}, "rolled back: none of its statements took effect");
      continue;
    }
    try {
      conn.exec_script(script.text);
    } catch (const roachrun::DbError& e) {
      rethrow_as(e, script.what);
    }
  }
}

}  // namespace

roachrun::StepType exec_step() {
  using roachrun::ParamType;
  return roachrun::StepType{
      .name = "exec",
      .doc = "Run SQL statements (sql) or a .sql script (file); no output",
      .params =
          {
              roachrun::optional_param("sql", ParamType::string_list,
                       "a statement, or a list of statements each run on its own (several per item allowed)"),
              roachrun::optional_param("file", ParamType::string, "path of a .sql script, relative to the scenario file's directory"),
              roachrun::optional_param("transaction", ParamType::boolean,
                       "run the whole step (every statement, or the file) in one BEGIN ... COMMIT; ROLLBACK on error",
                       false),
          },
      .run = run,
      .check = check,
  };
}

}  // namespace roachrun_sql
