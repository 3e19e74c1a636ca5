// admin.create_database: make sure a database exists (and has the given owner).
#include <string>

#include <roachrun/roachrun.hpp>
#include <spdlog/spdlog.h>

#include "steps.hpp"

namespace roachrun_admin {

namespace {

void check(const roachrun::Params& p) {
  if (p.string("database").empty()) throw roachrun::ParamError("database", "'database' is empty: give a database name");
  if (p.has("owner") && p.string("owner").empty()) {
    throw roachrun::ParamError("owner", "'owner' is empty: omit it to keep the connection's user as owner");
  }
}

void run(roachrun::StepContext& ctx, const roachrun::Params& p) {
  roachrun::Connection& conn = ctx.connection();
  const std::string database = p.string("database");
  const std::string quoted = conn.escape_identifier(database);

  // PostgreSQL refuses CREATE DATABASE inside a transaction block; say why before the server does.
  if (conn.in_transaction()) {
    throw roachrun::StepError("cannot create database '" + database + "': connection '" + conn.label() +
                              "' is inside a transaction (an earlier step left a BEGIN open?); "
                              "CREATE DATABASE must run outside a transaction: COMMIT or ROLLBACK first");
  }

  // Each statement is safe to run again (the database is looked up first): after a lost
  // connection the rest runs again on a new session.
  roachrun::run_reconnecting(ctx, [&](roachrun::Connection& c) {
    const std::string owner = p.has("owner") ? c.escape_identifier(roachrun::normalize_user_name(p.string("owner"))) : std::string();
    // An existing database gets the owner too, with ALTER (CockroachDB has it from v20.2).
    const std::string alter_owner = "ALTER DATABASE " + quoted + " OWNER TO " + owner;

    if (c.dialect().is_cockroach()) {
      c.exec_params("CREATE DATABASE IF NOT EXISTS " + quoted);
      if (!owner.empty()) c.exec_params(alter_owner);
      ctx.log().info("database {} exists", database);
      return;
    }
    // PostgreSQL has no CREATE DATABASE IF NOT EXISTS. A new database gets its owner in the CREATE
    // itself, so an unknown owner leaves no database behind.
    bool created = c.query("SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1", database).rows() == 0;
    if (created) {
      try {
        c.exec_params("CREATE DATABASE " + quoted + (owner.empty() ? "" : " OWNER " + owner));
      } catch (const roachrun::DbError& e) {
        if (e.sqlstate() != "42P04") throw;  // duplicate_database: created meanwhile; fine
        created = false;
      }
    }
    if (!created && !owner.empty()) c.exec_params(alter_owner);
    ctx.log().info("database {} {}", database, created ? "created" : "already exists");
  });
}

}  // namespace

roachrun::StepType create_database_step() {
  using roachrun::ParamType;
  return roachrun::StepType{
      .name = "create_database",
      .doc = "Create a database if it does not exist (CREATE DATABASE IF NOT EXISTS); optionally set its owner",
      .params =
          {
              roachrun::required_param("database", ParamType::string, "name of the database to create"),
              roachrun::optional_param("owner", ParamType::string, "user to make the database's owner, also of an existing database"),
          },
      .run = run,
      .check = check,
  };
}

}  // namespace roachrun_admin
