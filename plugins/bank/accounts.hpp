// What every bank step shares: the accounts table's name and reading account numbers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <roachrun/connection.hpp>
#include <roachrun/params.hpp>

namespace roachrun {
class StepContext;
}

namespace roachrun_bank {

// The `table` parameter every bank step declares (default "accounts").
roachrun::ParamSpec table_param();
// Throws ParamError if `table` is empty.
void check_table(const roachrun::Params& p);
// The table's name quoted for SQL ("accounts"). One identifier: in the connection's database and
// search path, as the tutorial's unqualified `accounts` is.
std::string quoted_table(const roachrun::Connection& conn, const roachrun::Params& p);

// A whole number from a scenario value: an integer, or text such as "100" (what a variable gives).
std::optional<std::int64_t> integer_of(const roachrun::Value& v);

// Whether the step's connection is on CockroachDB. Ask before BEGIN: the first call on a session
// runs a query (asked again on a new session if the connection is lost).
bool is_cockroach(roachrun::StepContext& ctx);

// Steps that open their own transaction refuse a connection already inside one: their BEGIN
// would be ignored (PostgreSQL) or refused (CockroachDB), and their COMMIT would end someone
// else's transaction.
void require_no_transaction(roachrun::Connection& conn, std::string_view what);

}  // namespace roachrun_bank
