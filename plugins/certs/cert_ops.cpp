#include "cert_ops.hpp"

#include <ctime>
#include <utility>

#include <openssl/err.h>

#include <roachrun/connection.hpp>

#include "cert_names.hpp"
#include "file_set.hpp"
#include "ossl.hpp"
#include "pem_files.hpp"
#include "x509_builder.hpp"

namespace roachrun_certs {
namespace fs = std::filesystem;

namespace {

void check_key_bits(int bits) {
  if (bits < kMinKeyBits || bits > kMaxKeyBits) {
    throw CertError("key_size " + std::to_string(bits) + " is out of range; use " + std::to_string(kMinKeyBits) +
                    " to " + std::to_string(kMaxKeyBits) + " bits");
  }
}

Validity validity_for(std::chrono::milliseconds lifetime, std::time_t now) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(lifetime).count();
  if (seconds < 1) throw CertError("lifetime must be at least 1s");
  return Validity{now - std::chrono::duration_cast<std::chrono::seconds>(kBackdate).count(),
                  now + static_cast<std::time_t>(seconds)};
}

std::string time_text(const ASN1_TIME* t) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || ASN1_TIME_print(bio.get(), t) != 1) return "?";
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(bio.get(), &mem);
  return std::string(mem->data, mem->length);
}

struct LoadedCa {
  X509Ptr cert;
  EvpPkeyPtr key;
};

// Loads the CA a node or client certificate is signed with, checking it can sign one that lasts
// until `not_after`.
LoadedCa load_ca(const fs::path& certs_dir, const fs::path& ca_key, std::time_t not_after) {
  const fs::path ca_cert = certs_dir / kCaCertFile;
  std::error_code ec;
  if (!fs::exists(ca_cert, ec)) {
    throw CertError(ca_cert.string() + " not found: run certs.create_ca first (or set certs_dir to the directory "
                    "that holds ca.crt)");
  }
  if (!fs::exists(ca_key, ec)) {
    throw CertError("CA key " + ca_key.string() + " not found: run certs.create_ca first (or set ca_key to the key "
                    "that signed " + ca_cert.string() + ")");
  }
  check_private_key_mode(ca_key, "CA key");
  EvpPkeyPtr key = read_private_key(ca_key);

  // ca.crt may hold several CA certificates (CockroachDB prepends the new one on rotation):
  // sign with the one that belongs to this key.
  for (auto& cert : read_certificates(ca_cert)) {
    if (X509_check_private_key(cert.get(), key.get()) != 1) {
      ERR_clear_error();  // a mismatch is queued as an error; it is not one yet
      continue;
    }
    if (X509_check_ca(cert.get()) <= 0) {
      throw CertError(ca_cert.string() + " is not a CA certificate (no basicConstraints CA:TRUE); "
                      "recreate it with certs.create_ca");
    }
    std::time_t now = std::time(nullptr);
    if (X509_cmp_time(X509_get0_notAfter(cert.get()), &now) < 0) {
      throw CertError("the CA certificate " + ca_cert.string() + " expired on " +
                      time_text(X509_get0_notAfter(cert.get())) +
                      "; create a new CA with certs.create_ca (overwrite: true), then its certificates");
    }
    // As cockroach does: a certificate must not outlive the CA that vouches for it.
    if (X509_cmp_time(X509_get0_notAfter(cert.get()), &not_after) < 0) {
      throw CertError("the CA certificate " + ca_cert.string() + " expires on " +
                      time_text(X509_get0_notAfter(cert.get())) +
                      ", before the requested lifetime ends; pass a shorter lifetime or renew the CA");
    }
    return LoadedCa{std::move(cert), std::move(key)};
  }
  throw CertError("CA key " + ca_key.string() + " does not match the CA certificate " + ca_cert.string() +
                  "; set ca_key to the key certs.create_ca wrote with it, or recreate both with "
                  "certs.create_ca (overwrite: true)");
}

// Writing a leaf over the CA's own files would destroy the CA; refuse before anything is written.
void refuse_ca_paths(const std::vector<fs::path>& outputs, const fs::path& certs_dir, const fs::path& ca_key) {
  for (const auto& out : outputs) {
    if (same_path(out, ca_key) || same_path(out, certs_dir / kCaCertFile)) {
      throw CertError(out.string() + " is where the CA's own certificate or key lives; keep ca_key outside the "
                      "names certs_dir uses for node and client files");
    }
  }
}

// Signs a new key for `spec` and writes <certs_dir>/<cert_name> and <certs_dir>/<key_name>.
std::vector<fs::path> create_leaf(LeafSpec spec, const fs::path& certs_dir, const fs::path& ca_key,
                                  const std::string& cert_name, const std::string& key_name, int key_bits,
                                  std::chrono::milliseconds lifetime, bool overwrite) {
  check_key_bits(key_bits);
  spec.validity = validity_for(lifetime, std::time(nullptr));
  LoadedCa ca = load_ca(certs_dir, ca_key, spec.validity.not_after);
  const fs::path cert_path = certs_dir / cert_name;
  const fs::path key_path = certs_dir / key_name;
  refuse_ca_paths({cert_path, key_path}, certs_dir, ca_key);
  check_destinations({cert_path, key_path}, overwrite);

  EvpPkeyPtr key = generate_rsa_key(key_bits);
  X509Ptr cert = build_leaf_certificate(spec, *key, *ca.cert, *ca.key);
  std::vector<OutputFile> files;
  files.emplace_back(cert_path, certificate_pem(*cert), false);
  files.emplace_back(key_path, private_key_pem(*key), true);
  write_all_or_nothing(files, overwrite);
  return {cert_path, key_path};
}

}  // namespace

std::vector<fs::path> create_ca(const CaRequest& request) {
  check_key_bits(request.key_bits);
  const Validity validity = validity_for(request.lifetime, std::time(nullptr));
  const fs::path cert_path = request.certs_dir / kCaCertFile;
  check_destinations({cert_path, request.ca_key}, request.overwrite);

  EvpPkeyPtr key = generate_rsa_key(request.key_bits);
  X509Ptr cert = build_ca_certificate(*key, validity);
  std::vector<OutputFile> files;
  files.emplace_back(cert_path, certificate_pem(*cert), false);
  files.emplace_back(request.ca_key, private_key_pem(*key), true);
  write_all_or_nothing(files, request.overwrite);
  return {cert_path, request.ca_key};
}

std::vector<fs::path> create_node(const NodeCertRequest& request) {
  if (request.hosts.empty()) {
    throw CertError("hosts is empty; a node certificate needs at least one host name or address");
  }
  LeafSpec spec;
  spec.kind = LeafKind::node;
  spec.common_name = kNodeCommonName;
  for (const auto& host : request.hosts) {
    if (auto problem = host_problem(host)) throw CertError(*problem);
    spec.alt_names.push_back(classify_host(host));
  }
  return create_leaf(std::move(spec), request.certs_dir, request.ca_key, std::string(kNodeCertFile),
                     std::string(kNodeKeyFile), request.key_bits, request.lifetime, request.overwrite);
}

std::vector<fs::path> create_client(const ClientCertRequest& request) {
  if (auto problem = user_name_problem(request.user)) throw CertError(*problem);
  // As `cockroach cert create-client` does (pkg/security/x509.go GenerateClientCert: CN is
  // user.Normalized()): the name CockroachDB stores, in the CN and the file names.
  const std::string user = roachrun::normalize_user_name(request.user);
  LeafSpec spec;
  spec.kind = LeafKind::client;
  spec.common_name = user;
  return create_leaf(std::move(spec), request.certs_dir, request.ca_key, client_cert_file(user), client_key_file(user),
                     request.key_bits, request.lifetime, request.overwrite);
}

}  // namespace roachrun_certs
