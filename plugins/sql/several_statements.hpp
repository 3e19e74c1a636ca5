// Whether a server refused a statement for being several: sql.query then says to use sql.exec.
#pragma once

#include <string_view>

namespace roachrun_sql {

// PostgreSQL: 42601 "cannot insert multiple commands into a prepared statement".
// CockroachDB: 42P14 "prepared statement had 2 statements, expected 1" (pgerror
// WrongNumberOfPreparedStatements, cockroachdb/cockroach pkg/sql/pgwire/pgerror/errors.go).
// The SQLSTATE alone would not do: 42601 is any syntax error, 42P14 any bad prepared statement.
inline bool several_statements_refused(std::string_view sqlstate, std::string_view message) {
  return (sqlstate == "42601" && message.find("multiple commands") != std::string_view::npos) ||
         (sqlstate == "42P14" && message.find("statements, expected 1") != std::string_view::npos);
}

}  // namespace roachrun_sql
