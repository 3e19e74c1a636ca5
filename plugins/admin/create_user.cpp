// admin.create_user: make sure a user exists (and has the given password), whatever ran before.
#include <cstring>
#include <memory>
#include <string>

#include <libpq-fe.h>
#include <roachrun/roachrun.hpp>
#include <spdlog/spdlog.h>

#include "steps.hpp"

namespace roachrun_admin {

namespace {

// Owns memory libpq allocated (PQencryptPasswordConn, PQescapeLiteral).
struct PqFree {
  void operator()(char* p) const noexcept { PQfreemem(p); }
};
using PqString = std::unique_ptr<char, PqFree>;

// PostgreSQL's CREATE/ALTER USER take the password as a literal, never as a $1 parameter (utility
// statements have no parameters), so it has to be spliced into the SQL text. Two precautions:
// the password is hashed here first, as psql's \password does, so the clear text never reaches
// the server (nor its statement log), and the hash is quoted with PQescapeLiteral, which knows the
// connection's encoding and standard_conforming_strings.
void set_postgres_password(roachrun::Connection& conn, const std::string& user, const std::string& quoted_user,
                           const std::string& password) {
  PGconn* pg = conn.native_handle();
  // NULL algorithm: whatever the server's password_encryption says (scram-sha-256 by default).
  PqString hashed(PQencryptPasswordConn(pg, password.c_str(), user.c_str(), nullptr));
  if (!hashed) {
    throw roachrun::StepError("cannot hash the password of user '" + user + "': " + PQerrorMessage(pg));
  }
  PqString literal(PQescapeLiteral(pg, hashed.get(), std::strlen(hashed.get())));
  if (!literal) {
    throw roachrun::StepError("cannot quote the password of user '" + user + "': " + PQerrorMessage(pg));
  }
  conn.exec_params("ALTER USER " + quoted_user + " PASSWORD " + literal.get());
}

void check(const roachrun::Params& p) {
  if (p.string("user").empty()) throw roachrun::ParamError("user", "'user' is empty: give a user name");
  if (p.has("password") && p.string("password").empty()) {
    throw roachrun::ParamError("password", "'password' is empty: omit it to create the user without a password");
  }
}

void run(roachrun::StepContext& ctx, const roachrun::Params& p) {
  const std::string user = roachrun::normalize_user_name(p.string("user"));
  // Each statement is safe to run again (the user is looked up, the password set again): after a
  // lost connection the whole step runs again on a new session.
  roachrun::run_reconnecting(ctx, [&](roachrun::Connection& conn) {
    const std::string quoted = conn.escape_identifier(user);
    if (conn.dialect().is_cockroach()) {
      conn.exec_params("CREATE USER IF NOT EXISTS " + quoted);
      // A separate ALTER so an existing user gets the password too: IF NOT EXISTS would skip it.
      // CockroachDB takes the password as a parameter. (In an --insecure cluster it refuses any
      // password; its error says so.)
      if (p.has("password"))
        conn.exec_params("ALTER USER " + quoted + " WITH PASSWORD $1", {roachrun::param(p.string("password"))});
      ctx.log().info("user {} exists", user);
    } else {
      // PostgreSQL has no CREATE USER IF NOT EXISTS.
      const bool exists = conn.query("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", user).rows() > 0;
      if (!exists) {
        try {
          conn.exec_params("CREATE USER " + quoted);
        } catch (const roachrun::DbError& e) {
          if (e.sqlstate() != "42710") throw;  // duplicate_object: created meanwhile by someone else; fine
        }
      }
      if (p.has("password")) set_postgres_password(conn, user, quoted, p.string("password"));
      ctx.log().info("user {} {}", user, exists ? "already exists" : "created");
    }
  });
}

}  // namespace

roachrun::StepType create_user_step() {
  using roachrun::ParamType;
  return roachrun::StepType{
      .name = "create_user",
      .doc = "Create a user if it does not exist (CREATE USER IF NOT EXISTS); optionally set its password",
      .params =
          {
              roachrun::required_param("user", ParamType::string, "name of the user to create"),
              roachrun::optional_param("password", ParamType::string,
                       "password to set, also on an existing user (not in an insecure CockroachDB cluster)"),
          },
      .run = run,
      .check = check,
  };
}

}  // namespace roachrun_admin
