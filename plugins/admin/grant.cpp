// admin.grant: GRANT <privileges> ON DATABASE, so that (as in the tutorial) the user can create
// and use tables in it, on CockroachDB and on PostgreSQL 15 alike.
#include <algorithm>
#include <string>
#include <vector>

#include <roachrun/roachrun.hpp>
#include <spdlog/spdlog.h>

#include "privileges.hpp"
#include "steps.hpp"

namespace roachrun_admin {

namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

void check(const roachrun::Params& p) {
  if (p.string("database").empty()) throw roachrun::ParamError("database", "'database' is empty: give a database name");
  if (p.string("user").empty()) throw roachrun::ParamError("user", "'user' is empty: give a user name");
  (void)parse_privileges(p.strings("privileges"));  // throws ParamError on anything unknown
}

// On CockroachDB, privileges on a database let the grantee create tables in it. On PostgreSQL
// they do not reach the schemas inside, and since PostgreSQL 15 schema public is writable only by
// its owner (pg_database_owner), so the tutorial's CREATE TABLE would fail with "permission denied
// for schema public". Grant on that schema too, from a connection to that database (a GRANT ON
// SCHEMA applies to the database it runs in). Only for ALL and CREATE: those are the grants
// meant to allow creating tables; before 15 the grant is redundant but harmless.
void grant_on_public_schema(roachrun::StepContext& ctx, const roachrun::Connection& conn, const std::string& database,
                            const std::string& quoted_user, const std::vector<std::string>& privileges) {
  const char* schema_privilege = contains(privileges, "ALL")      ? "ALL"
                                 : contains(privileges, "CREATE") ? "CREATE"
                                                                  : nullptr;
  if (!schema_privilege) return;
  roachrun::Connection db = conn.open_database(database);
  try {
    db.exec_params(std::string("GRANT ") + schema_privilege + " ON SCHEMA public TO " + quoted_user);
  } catch (const roachrun::DbError& e) {
    throw roachrun::DbError(e.sqlstate(), e.server_message(),
                            "granting " + std::string(schema_privilege) + " on schema public in database '" + database +
                                "' (needed on PostgreSQL 15+ to create tables there)");
  }
  ctx.log().debug("granted {} on schema public in database {}", schema_privilege, database);
}

void run(roachrun::StepContext& ctx, const roachrun::Params& p) {
  roachrun::Connection& conn = ctx.connection();
  const std::string database = p.string("database");
  const std::string user = roachrun::normalize_user_name(p.string("user"));
  const std::vector<std::string> privileges = parse_privileges(p.strings("privileges"));
  const std::string quoted_user = conn.escape_identifier(user);

  // GRANT is safe to run again: after a lost connection the grants are made again on a new session.
  roachrun::run_reconnecting(ctx, [&](roachrun::Connection& c) {
    c.exec_params("GRANT " + join_privileges(privileges) + " ON DATABASE " + c.escape_identifier(database) + " TO " +
                  quoted_user);
    if (!c.dialect().is_cockroach()) grant_on_public_schema(ctx, c, database, quoted_user, privileges);
  });
  ctx.log().info("granted {} on database {} to {}", join_privileges(privileges), database, user);
}

}  // namespace

roachrun::StepType grant_step() {
  using roachrun::ParamType;
  return roachrun::StepType{
      .name = "grant",
      .doc = "GRANT privileges ON DATABASE to a user (on PostgreSQL also on its schema public)",
      .params =
          {
              roachrun::required_param("database", ParamType::string, "database to grant on"),
              roachrun::required_param("user", ParamType::string, "user to grant to"),
              roachrun::optional_param("privileges", ParamType::string_list,
                       "privilege keywords: ALL, or a list of CREATE, CONNECT, TEMPORARY, DROP, ...",
                       roachrun::Value::array({"ALL"})),
          },
      .run = run,
      .check = check,
  };
}

}  // namespace roachrun_admin
