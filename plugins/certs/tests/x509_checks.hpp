// What a TLS peer would check, asked of OpenSSL itself: the chain to a CA, the purpose, the
// subject, the file modes. Shared by the tests of the certificate code and of the authority.
#pragma once

#include <sys/stat.h>

#include <array>
#include <filesystem>
#include <string>
#include <utility>

#include <gtest/gtest.h>
#include <openssl/err.h>

#include "ossl.hpp"
#include "pem_files.hpp"

namespace roachrun_certs::testing {

inline X509Ptr load_cert(const std::filesystem::path& path) {
  auto certs = read_certificates(path);
  EXPECT_EQ(certs.size(), 1u) << path;
  return std::move(certs.front());
}

inline unsigned mode_of(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// X509_V_OK when `leaf` chains to the CA certificate in `ca_file` for `purpose`
// (X509_PURPOSE_SSL_SERVER, X509_PURPOSE_SSL_CLIENT or 0 for any).
inline int verify(const std::filesystem::path& ca_file, X509& leaf, int purpose = 0) {
  X509StorePtr store(X509_STORE_new());
  for (auto& ca : read_certificates(ca_file)) X509_STORE_add_cert(store.get(), ca.get());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), &leaf, nullptr);
  if (purpose != 0) X509_STORE_CTX_set_purpose(ctx.get(), purpose);
  const int ok = X509_verify_cert(ctx.get());
  const int err = X509_STORE_CTX_get_error(ctx.get());
  ERR_clear_error();
  return ok == 1 ? X509_V_OK : (err == X509_V_OK ? -1 : err);
}

inline std::string name_entry(const X509_NAME* name, int nid) {
  std::array<char, 256> buf{};
  if (X509_NAME_get_text_by_NID(name, nid, buf.data(), static_cast<int>(buf.size())) < 0) return "";
  return buf.data();
}

inline std::string subject_cn(X509& cert) { return name_entry(X509_get_subject_name(&cert), NID_commonName); }

}  // namespace roachrun_certs::testing
