// The settings of the secure local server, shared by the local target and the tests that
// check what the server itself refuses.
#pragma once

#include <string>

#include "engine/local_server.hpp"

namespace roachrun {

// TLS with certs_dir/node.crt and node.key, clients verified against certs_dir/ca.crt, and
// pg_hba accepting only `hostssl ... cert` over TCP. REQUIRES: those files exist.
LocalServerOptions secure_local_server_options(const std::string& certs_dir);

}  // namespace roachrun
