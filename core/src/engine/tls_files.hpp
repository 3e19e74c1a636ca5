// Client TLS settings in CockroachDB's --certs-dir layout, and the checks made before a
// connection uses them, so a missing or unsafe file is named with its fix instead of surfacing
// as libpq's generic error.
#pragma once

#include <string>

#include "engine/target.hpp"

namespace roachrun {

// certs_dir/ca.crt, certs_dir/client.<user>.crt and .key with sslmode=verify-full, as
// `cockroach sql --certs-dir` uses them. Settings already in `options` (from the connection or
// the URL) win.
void apply_certs_dir(LibpqOptions& options, const std::string& certs_dir, const std::string& user);

// Throws ConnectError naming the file and what to do when sslrootcert, sslcert or sslkey in
// `options` is missing, or the key is readable by group or others. Checks only what is set.
void check_tls_files(const LibpqOptions& options, const std::string& connection_name);

}  // namespace roachrun
