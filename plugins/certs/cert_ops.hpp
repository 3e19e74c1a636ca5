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

namespace roachrun::certs {

// The defaults of `cockroach cert`.
inline constexpr int kDefaultKeyBits = 2048;
// Debian's OpenSSL (security level 2) refuses RSA keys under 2048 bits in TLS, so a smaller key
// would give files that libpq and psycopg2 reject; past 8192 bits generation takes minutes.
inline constexpr int kMinKeyBits = 2048;
inline constexpr int kMaxKeyBits = 8192;
inline constexpr std::chrono::hours kDefaultCaLifetime{87600};    // 10 years
inline constexpr std::chrono::hours kDefaultCertLifetime{43800};  // 5 years
// notBefore is this far in the past, so a peer whose clock runs a little behind ours does not
// reject a certificate made a moment ago as "not yet valid".
inline constexpr std::chrono::hours kBackdate{1};

// Every member has a default member initializer so that designated initializers may leave any
// of them out without GCC 12's -Wmissing-field-initializers.
struct CaRequest {
  std::filesystem::path certs_dir{};  // gets ca.crt
  std::filesystem::path ca_key{};     // the CA's private key; best kept outside certs_dir
  int key_bits = kDefaultKeyBits;
  std::chrono::milliseconds lifetime = kDefaultCaLifetime;
  bool overwrite = false;
};

struct NodeRequest {
  std::filesystem::path certs_dir{};  // holds ca.crt; gets node.crt and node.key
  std::filesystem::path ca_key{};
  std::vector<std::string> hosts = {"localhost", "127.0.0.1"};  // every one becomes a subjectAltName
  int key_bits = kDefaultKeyBits;
  std::chrono::milliseconds lifetime = kDefaultCertLifetime;
  bool overwrite = false;
};

struct ClientRequest {
  std::filesystem::path certs_dir{};  // holds ca.crt; gets client.<user>.crt and .key
  std::filesystem::path ca_key{};
  std::string user{};  // the certificate's CN: the SQL user it authenticates
  int key_bits = kDefaultKeyBits;
  std::chrono::milliseconds lifetime = kDefaultCertLifetime;
  bool overwrite = false;
};

// Each returns the files it created, certificate first.
std::vector<std::filesystem::path> create_ca(const CaRequest& request);
std::vector<std::filesystem::path> create_node(const NodeRequest& request);
std::vector<std::filesystem::path> create_client(const ClientRequest& request);

}  // namespace roachrun::certs
