// The CertificateAuthority the plugin provides to the host (the secure local target): the
// tutorial's files made through it verify with OpenSSL as a TLS peer would, its errors are
// StepErrors with the certificate code's messages, and describe() hands it out.
#include <gtest/gtest.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <string>
#include <vector>

#include <roachrun/certificate_authority.hpp>
#include <roachrun/error.hpp>

#include "ca_provider.hpp"
#include "step_types.hpp"
#include "test_dir.hpp"
#include "x509_checks.hpp"

namespace roachrun_certs {
namespace {

namespace fs = std::filesystem;
using testing::load_cert;
using testing::mode_of;
using testing::subject_cn;
using testing::TempDir;
using testing::verify;

// The step's message for `op`, which must throw roachrun::StepError.
template <typename Op>
std::string step_error_of(Op op) {
  try {
    op();
  } catch (const roachrun::StepError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no StepError thrown";
  return "";
}

TEST(CertificateAuthority, MakesTheTutorialsFilesThatVerifyWithOpenSsl) {
  TempDir tmp;
  const roachrun::CertificateAuthority ca = certificate_authority();
  const fs::path certs = tmp / "certs";
  const fs::path ca_key = tmp / "my-safe-directory" / "ca.key";

  EXPECT_EQ(ca.create_ca({.certs_dir = certs, .ca_key = ca_key}), (std::vector<fs::path>{certs / "ca.crt", ca_key}));
  EXPECT_EQ(ca.create_node({.certs_dir = certs, .ca_key = ca_key}),
            (std::vector<fs::path>{certs / "node.crt", certs / "node.key"}));
  EXPECT_EQ(ca.create_client({.certs_dir = certs, .ca_key = ca_key, .user = "root"}),
            (std::vector<fs::path>{certs / "client.root.crt", certs / "client.root.key"}));

  X509Ptr node = load_cert(certs / "node.crt");
  EXPECT_EQ(verify(certs / "ca.crt", *node, X509_PURPOSE_SSL_SERVER), X509_V_OK);
  EXPECT_EQ(X509_check_host(node.get(), "localhost", 0, 0, nullptr), 1) << "the request's default hosts";
  EXPECT_EQ(X509_check_ip_asc(node.get(), "127.0.0.1", 0), 1);
  X509Ptr client = load_cert(certs / "client.root.crt");
  EXPECT_EQ(verify(certs / "ca.crt", *client, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
  EXPECT_EQ(subject_cn(*client), "root");
  for (const fs::path& key : {ca_key, certs / "node.key", certs / "client.root.key"})
    EXPECT_EQ(mode_of(key), 0600u) << key;
}

TEST(CertificateAuthority, AppliesTheRequestsKeySizeLifetimeAndHosts) {
  TempDir tmp;
  const roachrun::CertificateAuthority ca = certificate_authority();
  const fs::path certs = tmp / "certs";
  const fs::path ca_key = tmp / "safe" / "ca.key";
  ca.create_ca({.certs_dir = certs, .ca_key = ca_key});
  ca.create_node({.certs_dir = certs,
                  .ca_key = ca_key,
                  .hosts = {"db.example.com", "::1"},
                  .key_bits = 3072,
                  .lifetime = std::chrono::hours(48)});

  X509Ptr node = load_cert(certs / "node.crt");
  EXPECT_EQ(verify(certs / "ca.crt", *node, X509_PURPOSE_SSL_SERVER), X509_V_OK);
  EXPECT_EQ(X509_check_host(node.get(), "db.example.com", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(node.get(), "::1", 0), 1);
  EXPECT_NE(X509_check_host(node.get(), "localhost", 0, 0, nullptr), 1) << "only the hosts asked for";
  EXPECT_EQ(EVP_PKEY_get_bits(X509_get0_pubkey(node.get())), 3072);
  int days = 0, seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(node.get()), X509_get0_notAfter(node.get())), 1);
  EXPECT_EQ(days * 86400 + seconds, (48 + 24) * 3600) << "48 h from now, backdated 24 h as cockroach cert does";
}

TEST(CertificateAuthority, FailsWithStepErrorsNamingTheFileAndWritesNothing) {
  TempDir tmp;
  const roachrun::CertificateAuthority ca = certificate_authority();
  const fs::path certs = tmp / "certs";
  const fs::path ca_key = tmp / "safe" / "ca.key";

  const std::string no_ca = step_error_of([&] { ca.create_client({.certs_dir = certs, .ca_key = ca_key, .user = "root"}); });
  EXPECT_EQ(no_ca, (certs / "ca.crt").string() +
                       " not found: run certs.create_ca first (or set certs_dir to the directory that holds ca.crt)");
  EXPECT_FALSE(fs::exists(certs / "client.root.crt"));

  ca.create_ca({.certs_dir = certs, .ca_key = ca_key});
  EXPECT_EQ(step_error_of([&] { ca.create_ca({.certs_dir = certs, .ca_key = ca_key}); }),
            (certs / "ca.crt").string() + " already exists; pass overwrite: true to replace it");
  EXPECT_NO_THROW(ca.create_ca({.certs_dir = certs, .ca_key = ca_key, .overwrite = true}));
  EXPECT_EQ(step_error_of([&] { ca.create_client({.certs_dir = certs, .ca_key = ca_key, .user = "max roach"}); }),
            "user name \"max roach\" contains whitespace or a control character");
}

TEST(CertificateAuthority, IsWhatThePluginOffersTheHost) {
  const roachrun::PluginInfo info = describe();
  ASSERT_TRUE(info.certificate_authority.has_value());
  EXPECT_TRUE(info.certificate_authority->create_ca && info.certificate_authority->create_node &&
              info.certificate_authority->create_client);
}

}  // namespace
}  // namespace roachrun_certs
