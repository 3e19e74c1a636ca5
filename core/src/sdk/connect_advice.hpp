// What to do about a connection that failed, judged from the words of libpq, of PostgreSQL and of
// CockroachDB: Connection::open appends it to a ConnectError as "hint: ...". Not part of the
// plugin SDK (not installed); exported only so the unit tests can feed it each server's texts.
#pragma once

#include <string>

#include "roachrun/export.hpp"

namespace roachrun {

// The advice for libpq's error message `message` of a failed connect; empty if none fits.
ROACHRUN_API std::string connect_advice(const std::string& message);

}  // namespace roachrun
