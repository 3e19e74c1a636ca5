// The certs plugin as the host sees it: three step types that translate their parameters into
// cert_ops requests. Separate from plugin.cpp (the export) so tests can call it directly.
#pragma once

#include <roachrun/plugin.hpp>

namespace roachrun::certs {

// certs.create_ca, certs.create_node, certs.create_client.
PluginInfo describe();

}  // namespace roachrun::certs
