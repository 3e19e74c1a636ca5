// The certificate authority a plugin may provide, for the host's own use: the secure `local`
// target creates the CA, node and root client certificates of its throwaway server through it,
// as the tutorial's "Before you begin" runs `cockroach cert`. Typed, so a request the provider
// and the host disagree on is a compile error, not a failure at run time.
//
// The files are CockroachDB's `--certs-dir` layout, which the host relies on:
//   <certs_dir>/ca.crt                         the CA certificate (ca_key: its key, kept elsewhere)
//   <certs_dir>/node.crt, node.key             a server certificate, every host a subjectAltName
//   <certs_dir>/client.<user>.crt, .key        a client certificate with CN=<user>
// Certificates are PEM; private keys are PEM, unencrypted, readable by their owner only (libpq
// and PostgreSQL refuse any other key file).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace roachrun {

// The defaults of `cockroach cert`.
inline constexpr int kDefaultCertKeyBits = 2048;                  // RSA
inline constexpr std::chrono::hours kDefaultCaLifetime{87600};    // 10 years
inline constexpr std::chrono::hours kDefaultCertLifetime{43800};  // 5 years

// Every member has a default member initializer, so designated initializers may leave any of
// them out (no -Wmissing-field-initializers). Relative paths are relative to the working
// directory.
struct CaRequest {
  std::filesystem::path certs_dir{};  // gets ca.crt
  std::filesystem::path ca_key{};     // the CA's private key; best kept outside certs_dir
  int key_bits = kDefaultCertKeyBits;
  std::chrono::milliseconds lifetime = kDefaultCaLifetime;
  bool overwrite = false;  // false: an existing file is an error and nothing is written
};

struct NodeCertRequest {
  std::filesystem::path certs_dir{};  // holds ca.crt; gets node.crt and node.key
  std::filesystem::path ca_key{};     // the key that signed ca.crt
  std::vector<std::string> hosts = {"localhost", "127.0.0.1"};  // every one becomes a subjectAltName
  int key_bits = kDefaultCertKeyBits;
  std::chrono::milliseconds lifetime = kDefaultCertLifetime;  // must end before the CA's
  bool overwrite = false;
};

struct ClientCertRequest {
  std::filesystem::path certs_dir{};  // holds ca.crt; gets client.<user>.crt and .key
  std::filesystem::path ca_key{};     // the key that signed ca.crt
  std::string user{};                 // the certificate's CN: the SQL user it authenticates
  int key_bits = kDefaultCertKeyBits;
  std::chrono::milliseconds lifetime = kDefaultCertLifetime;  // must end before the CA's
  bool overwrite = false;
};

// Offered by a plugin in PluginInfo::certificate_authority. Plain data: the host copies it and
// keeps the plugin's library loaded while the copy lives. Each operation checks its request
// before it writes anything, writes all of its files or none, and returns the files it created,
// certificate first. Errors: StepError, whose message names the file and the fix. Main thread
// only; no operation touches a database.
struct CertificateAuthority {
  std::function<std::vector<std::filesystem::path>(const CaRequest&)> create_ca;
  std::function<std::vector<std::filesystem::path>(const NodeCertRequest&)> create_node;
  std::function<std::vector<std::filesystem::path>(const ClientCertRequest&)> create_client;
};

}  // namespace roachrun
