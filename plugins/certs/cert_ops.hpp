// The three operations of `cockroach cert` this plugin offers: create-ca, create-node and
// create-client, with CockroachDB's file layout (see REFERENCE.md, "CockroachDB certificate
// layout"). Independent of the step machinery: the steps in step_types.cpp only translate
// parameters into these requests.
//
// Each operation checks everything it can (inputs, the CA, every destination) before generating
// a key, generates everything in memory, then writes all of its files or none. Paths are used as
// given: relative ones are relative to the working directory. Throws CertError.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <roachrun/certificate_authority.hpp>

namespace roachrun_certs {

// The requests and the defaults of `cockroach cert` are the SDK's (roachrun/certificate_authority.hpp):
// the step types and the CertificateAuthority this plugin provides run the same operations.
using roachrun::CaRequest;
using roachrun::ClientCertRequest;
using roachrun::NodeCertRequest;

// Debian's OpenSSL (security level 2) refuses RSA keys under 2048 bits in TLS, so a smaller key
// would give files that libpq and psycopg2 reject; past 8192 bits generation takes minutes.
inline constexpr int kMinKeyBits = 2048;
inline constexpr int kMaxKeyBits = 8192;
// notBefore is this far in the past, so a peer whose clock runs behind ours does not reject a
// certificate made a moment ago as "not yet valid": 24 hours, as `cockroach cert` backdates
// (cockroachdb/cockroach pkg/security/x509.go: validFrom = -24h, "to handle clock issues"),
// for the CA and every certificate it signs.
inline constexpr std::chrono::hours kBackdate{24};

// Each returns the files it created, certificate first.
std::vector<std::filesystem::path> create_ca(const CaRequest& request);
std::vector<std::filesystem::path> create_node(const NodeCertRequest& request);
std::vector<std::filesystem::path> create_client(const ClientCertRequest& request);

}  // namespace roachrun_certs
