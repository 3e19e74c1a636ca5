// Keys and certificates shaped like those of `cockroach cert`, built in memory.
//
// Nothing here touches a file: cert_ops decides what to build and file_set writes it, so the
// X.509 details can be tested on their own. Every function throws CertError on failure.
#pragma once

#include <ctime>
#include <string>
#include <vector>

#include "cert_names.hpp"
#include "ossl.hpp"

namespace roachrun_certs {

// Subject fields every certificate of a cluster carries (as `cockroach cert` sets them).
inline constexpr const char* kOrganization = "Cockroach";
inline constexpr const char* kCaCommonName = "Cockroach CA";
inline constexpr const char* kNodeCommonName = "node";

// A fresh RSA key. REQUIRES: bits >= 1024 (OpenSSL refuses less; callers enforce 2048).
EvpPkeyPtr generate_rsa_key(int bits);

// The validity window of a new certificate, in seconds since the epoch.
struct Validity {
  std::time_t not_before;
  std::time_t not_after;
};

// A self-signed CA certificate for `key`: CN "Cockroach CA", O "Cockroach", basicConstraints
// critical CA:TRUE with pathlen 1, keyUsage critical keyCertSign, cRLSign, digitalSignature,
// subjectKeyIdentifier. Signed with SHA-256.
X509Ptr build_ca_certificate(EVP_PKEY& key, const Validity& validity);

// What distinguishes a node certificate from a client one.
enum class LeafKind {
  node,    // extendedKeyUsage serverAuth + clientAuth (a node is also a client of other nodes)
  client,  // extendedKeyUsage clientAuth
};

struct LeafSpec {
  LeafKind kind = LeafKind::client;
  std::string common_name;            // "node", or the SQL user of a client certificate
  std::vector<HostName> alt_names;    // subjectAltNames; node certificates only
  Validity validity{};
};

// A certificate for `subject_key` signed by the CA: basicConstraints critical CA:FALSE,
// keyUsage critical digitalSignature + keyEncipherment, the extendedKeyUsage of `spec.kind`,
// subject and authority key identifiers. REQUIRES: ca_key is the key of ca_cert.
X509Ptr build_leaf_certificate(const LeafSpec& spec, EVP_PKEY& subject_key, X509& ca_cert, EVP_PKEY& ca_key);

}  // namespace roachrun_certs
