// The certs plugin as the host sees it: three step types that translate their parameters into
// the requests of its CertificateAuthority, and that authority itself, for the host's secure
// local target. Separate from plugin.cpp (the export) so tests can call it directly.
#pragma once

#include <roachrun/plugin.hpp>

namespace roachrun_certs {

// certs.create_ca, certs.create_node, certs.create_client, and certificate_authority().
roachrun::PluginInfo describe();

}  // namespace roachrun_certs
