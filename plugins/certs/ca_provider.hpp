// The plugin's certificate operations as the SDK's CertificateAuthority: what the host's secure
// local target calls, and what the step types in step_types.cpp call too, so both run the same
// code and report failures the same way.
#pragma once

#include <roachrun/certificate_authority.hpp>

namespace roachrun_certs {

// create_ca, create_node and create_client of cert_ops, each throwing roachrun::StepError (with
// CertError's message unchanged) instead of CertError, so only SDK errors leave the plugin.
roachrun::CertificateAuthority certificate_authority();

}  // namespace roachrun_certs
