// sql.exec: statements written in the scenario, or a .sql file next to it, run as scripts.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <roachrun/roachrun.hpp>
#include <spdlog/spdlog.h>

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

// Runs a script; a server error says which script failed (the SQL text itself is never repeated:
// it may carry a password).
void run_script(roachrun::Connection& conn, const std::string& script, const std::string& what) {
  try {
    conn.exec_script(script);
  } catch (const roachrun::DbError& e) {
    if (what.empty()) throw;
    throw roachrun::DbError(e.sqlstate(), e.server_message(), what);
  }
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
    }
  }
  if (has_file && p.string("file").empty()) throw roachrun::ParamError("file", "'file' is empty: give a path");
}

void run(roachrun::StepContext& ctx, const roachrun::Params& p) {
  roachrun::Connection& conn = ctx.connection();
  if (p.has("file")) {
    const fs::path path = resolve(ctx.scenario_file(), p.string("file"));
    const std::string script = read_file(path);
    if (blank(script)) ctx.log().warn("SQL file '{}' has no statements", path.string());
    ctx.log().debug("running SQL file '{}'", path.string());
    run_script(conn, script, "in SQL file '" + path.string() + "'");
    return;
  }
  // Each list item is its own round trip. PostgreSQL runs a multi-statement string as one
  // implicit transaction, so statements that refuse a transaction block (CREATE DATABASE) need
  // an item of their own.
  const auto statements = p.strings("sql");
  for (std::size_t i = 0; i < statements.size(); ++i) {
    if (ctx.interrupted().load()) throw roachrun::Interrupted();
    ctx.log().debug("running statement {} of {}", i + 1, statements.size());
    run_script(conn, statements[i],
               statements.size() > 1
                   ? "statement " + std::to_string(i + 1) + " of " + std::to_string(statements.size())
                   : std::string());
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
          },
      .run = run,
      .check = check,
  };
}

}  // namespace roachrun_sql
