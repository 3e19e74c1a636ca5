// The certificate logic, checked with OpenSSL itself: what a TLS peer would verify is what
// these tests verify (X509_STORE + X509_verify_cert, X509_check_host, the extension flags).
#include <sys/stat.h>

#include <array>
#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "cert_names.hpp"
#include "cert_ops.hpp"
#include "file_set.hpp"
#include "ossl.hpp"
#include "pem_files.hpp"
#include "test_dir.hpp"
#include "x509_checks.hpp"

namespace roachrun_certs {
namespace {

namespace fs = std::filesystem;
using testing::load_cert;
using testing::mode_of;
using testing::name_entry;
using testing::ScopedCwd;
using testing::subject_cn;
using testing::TempDir;
using testing::verify;
using namespace std::chrono_literals;

// --- Helpers: read what was written, ask OpenSSL about it -------------------------------------

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool extension_is_critical(X509& cert, int nid) {
  const int idx = X509_get_ext_by_NID(&cert, nid, -1);
  return idx >= 0 && X509_EXTENSION_get_critical(X509_get_ext(&cert, idx)) == 1;
}

std::time_t as_time_t(const ASN1_TIME* t) {
  struct tm tm {};
  EXPECT_EQ(ASN1_TIME_to_tm(t, &tm), 1);
  return timegm(&tm);
}

int serial_bits(X509& cert) {
  BignumPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(&cert), nullptr));
  return BN_num_bits(bn.get());
}

// The common case: a CA in <root>/certs with its key in <root>/my-safe-directory, as the tutorial.
struct Cluster {
  fs::path certs;
  fs::path ca_key;
  fs::path ca_crt() const { return certs / "ca.crt"; }
};

Cluster make_ca(const fs::path& root, CaRequest request = {}) {
  Cluster c{root / "certs", root / "my-safe-directory" / "ca.key"};
  request.certs_dir = c.certs;
  request.ca_key = c.ca_key;
  create_ca(request);
  return c;
}

// Runs `op`, expecting a CertError whose message contains every one of `parts`.
template <typename Op>
std::string expect_cert_error(Op op, std::initializer_list<std::string> parts) {
  try {
    op();
  } catch (const CertError& e) {
    const std::string msg = e.what();
    for (const auto& part : parts) EXPECT_NE(msg.find(part), std::string::npos) << "'" << part << "' not in: " << msg;
    return msg;
  }
  ADD_FAILURE() << "no CertError thrown";
  return "";
}

// --- The CA -----------------------------------------------------------------------------------

TEST(CreateCa, WritesACockroachStyleSelfSignedCa) {
  TempDir tmp;
  const auto before = std::time(nullptr);
  Cluster c = make_ca(tmp.path());

  X509Ptr ca = load_cert(c.ca_crt());
  EXPECT_EQ(subject_cn(*ca), "Cockroach CA");
  EXPECT_EQ(name_entry(X509_get_subject_name(ca.get()), NID_organizationName), "Cockroach");
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(ca.get()), X509_get_issuer_name(ca.get())), 0);
  EXPECT_EQ(verify(c.ca_crt(), *ca), X509_V_OK);  // a self-signed root verifies against itself

  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  EXPECT_TRUE(extension_is_critical(*ca, NID_basic_constraints));
  EXPECT_TRUE(extension_is_critical(*ca, NID_key_usage));
  EXPECT_TRUE(X509_get_key_usage(ca.get()) & KU_KEY_CERT_SIGN);
  EXPECT_TRUE(X509_get_key_usage(ca.get()) & KU_CRL_SIGN);
  EXPECT_NE(X509_get0_subject_key_id(ca.get()), nullptr);
  EXPECT_EQ(X509_get_signature_nid(ca.get()), NID_sha256WithRSAEncryption);
  EXPECT_GE(serial_bits(*ca), 64);

  // notBefore a day back (clock skew between nodes, as cockroach cert), notAfter 10 years on.
  const auto not_before = as_time_t(X509_get0_notBefore(ca.get()));
  const auto not_after = as_time_t(X509_get0_notAfter(ca.get()));
  EXPECT_NEAR(static_cast<double>(not_before), static_cast<double>(before - 86400), 5.0);
  EXPECT_NEAR(static_cast<double>(not_after - before), 87600.0 * 3600, 5.0);

  EvpPkeyPtr key = read_private_key(c.ca_key);
  EXPECT_EQ(X509_check_private_key(ca.get(), key.get()), 1);
  EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 2048);
  EXPECT_EQ(read_text(c.ca_key).rfind("-----BEGIN RSA PRIVATE KEY-----", 0), 0u);

  EXPECT_EQ(mode_of(c.ca_key), 0600u);
  EXPECT_EQ(mode_of(c.ca_crt()), 0644u);
  EXPECT_EQ(mode_of(c.certs), 0700u);
  EXPECT_EQ(mode_of(c.ca_key.parent_path()), 0700u);
}

TEST(CreateCa, HonoursKeySizeAndLifetime) {
  TempDir tmp;
  Cluster c = make_ca(tmp.path(), CaRequest{.key_bits = 3072, .lifetime = 48h});
  X509Ptr ca = load_cert(c.ca_crt());
  EXPECT_EQ(EVP_PKEY_get_bits(read_private_key(c.ca_key).get()), 3072);
  const auto lifetime = as_time_t(X509_get0_notAfter(ca.get())) - std::time(nullptr);
  EXPECT_NEAR(static_cast<double>(lifetime), 48.0 * 3600, 5.0);
}

TEST(CreateCa, RefusesToReplaceAnExistingKeyOrCertificate) {
  TempDir tmp;
  Cluster c = make_ca(tmp.path());
  const std::string old_crt = read_text(c.ca_crt());
  expect_cert_error([&] { create_ca({.certs_dir = c.certs, .ca_key = c.ca_key}); },
                    {c.ca_crt().string() + " already exists; pass overwrite: true to replace it"});
  EXPECT_EQ(read_text(c.ca_crt()), old_crt);

  // Only the key left from an earlier run: still refused, and ca.crt is not created.
  fs::remove(c.ca_crt());
  expect_cert_error([&] { create_ca({.certs_dir = c.certs, .ca_key = c.ca_key}); },
                    {c.ca_key.string() + " already exists"});
  EXPECT_FALSE(fs::exists(c.ca_crt()));

  create_ca({.certs_dir = c.certs, .ca_key = c.ca_key, .overwrite = true});
  EXPECT_NE(read_text(c.ca_crt()), old_crt);
  EXPECT_EQ(X509_check_private_key(load_cert(c.ca_crt()).get(), read_private_key(c.ca_key).get()), 1);
  EXPECT_EQ(mode_of(c.ca_key), 0600u);
}

TEST(CreateCa, AFailedSecondFileLeavesNothingBehind) {
  TempDir tmp;
  // The key's directory cannot be created: its parent is a regular file. ca.crt comes first.
  std::ofstream(tmp / "not-a-dir") << "x";
  const fs::path certs = tmp / "certs";
  expect_cert_error([&] { create_ca({.certs_dir = certs, .ca_key = tmp / "not-a-dir" / "ca.key"}); },
                    {"not-a-dir", "not a directory"});
  EXPECT_FALSE(fs::exists(certs / "ca.crt"));
  EXPECT_FALSE(fs::exists(certs)) << "the directory it created should be removed again";
  // No temporary files either: the only entry is the file the test made.
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp.path()), fs::directory_iterator()), 1);
}

TEST(CreateCa, RefusesTheSamePathForKeyAndCertificate) {
  TempDir tmp;
  expect_cert_error([&] { create_ca({.certs_dir = tmp / "certs", .ca_key = tmp / "certs" / "." / "ca.crt"}); },
                    {"written twice"});
  EXPECT_FALSE(fs::exists(tmp / "certs"));
}

TEST(CreateCa, RefusesAZeroLifetimeAndTinyKeys) {
  TempDir tmp;
  expect_cert_error([&] { create_ca({.certs_dir = tmp / "c", .ca_key = tmp / "k", .lifetime = 10ms}); },
                    {"lifetime must be at least 1s"});
  expect_cert_error([&] { create_ca({.certs_dir = tmp / "c", .ca_key = tmp / "k", .key_bits = 1024}); },
                    {"key_size 1024"});
  EXPECT_FALSE(fs::exists(tmp / "c"));
}

// --- Node certificates --------------------------------------------------------------------------

TEST(CreateNode, VerifiesAgainstTheCaForServerAndClientUse) {
  TempDir tmp;
  Cluster c = make_ca(tmp.path());
  const auto files = create_node({.certs_dir = c.certs,
                                  .ca_key = c.ca_key,
                                  .hosts = {"localhost", "127.0.0.1", "::1", "node1.example.com", "*.db.example.com"}});
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0], c.certs / "node.crt");
  EXPECT_EQ(files[1], c.certs / "node.key");

  X509Ptr node = load_cert(c.certs / "node.crt");
  EXPECT_EQ(verify(c.ca_crt(), *node, X509_PURPOSE_SSL_SERVER), X509_V_OK);
  EXPECT_EQ(verify(c.ca_crt(), *node, X509_PURPOSE_SSL_CLIENT), X509_V_OK);

  EXPECT_EQ(subject_cn(*node), "node");
  EXPECT_EQ(name_entry(X509_get_issuer_name(node.get()), NID_commonName), "Cockroach CA");
  EXPECT_EQ(X509_check_ca(node.get()), 0);
  EXPECT_TRUE(extension_is_critical(*node, NID_basic_constraints));
  EXPECT_TRUE(X509_get_extended_key_usage(node.get()) & XKU_SSL_SERVER);
  EXPECT_TRUE(X509_get_extended_key_usage(node.get()) & XKU_SSL_CLIENT);
  EXPECT_EQ(X509_get_signature_nid(node.get()), NID_sha256WithRSAEncryption);
  EXPECT_GE(serial_bits(*node), 64);

  // The authority key id is the CA's subject key id: what lets a verifier pick the right CA.
  X509Ptr ca = load_cert(c.ca_crt());
  const ASN1_OCTET_STRING* akid = X509_get0_authority_key_id(node.get());
  ASSERT_NE(akid, nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(akid, X509_get0_subject_key_id(ca.get())), 0);

  // Every host is a SAN of the right kind: names match as DNS, addresses as IP (v4 and v6).
  EXPECT_EQ(X509_check_host(node.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(node.get(), "node1.example.com", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(node.get(), "roach3.db.example.com", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(node.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(node.get(), "::1", 0), 1);
  EXPECT_EQ(X509_check_host(node.get(), "127.0.0.1", 0, 0, nullptr), 0) << "an address must not be a DNS SAN";
  EXPECT_EQ(X509_check_host(node.get(), "elsewhere.example.com", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_check_ip_asc(node.get(), "10.0.0.1", 0), 0);

  EXPECT_EQ(X509_check_private_key(node.get(), read_private_key(c.certs / "node.key").get()), 1);
  EXPECT_EQ(mode_of(c.certs / "node.key"), 0600u);
  const auto lifetime = as_time_t(X509_get0_notAfter(node.get())) - std::time(nullptr);
  EXPECT_NEAR(static_cast<double>(lifetime), 43800.0 * 3600, 5.0);
}

TEST(CreateNode, DefaultsToLocalhostAnd127001) {
  TempDir tmp;
  Cluster c = make_ca(tmp.path());
  create_node({.certs_dir = c.certs, .ca_key = c.ca_key});
  X509Ptr node = load_cert(c.certs / "node.crt");
  EXPECT_EQ(X509_check_host(node.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(node.get(), "127.0.0.1", 0), 1);
}

TEST(CreateNode, OverwriteIsRefusedUnlessAsked) {
  TempDir tmp;
  ScopedCwd cwd(tmp.path());  // relative paths, as in a scenario
  create_ca({.certs_dir = "certs", .ca_key = "my-safe-directory/ca.key"});
  create_node({.certs_dir = "certs", .ca_key = "my-safe-directory/ca.key"});
  const std::string crt = read_text("certs/node.crt");
  const std::string key = read_text("certs/node.key");

  const std::string msg = expect_cert_error(
      [&] { create_node({.certs_dir = "certs", .ca_key = "my-safe-directory/ca.key"}); }, {});
  EXPECT_EQ(msg, "certs/node.crt already exists; pass overwrite: true to replace it");
  EXPECT_EQ(read_text("certs/node.crt"), crt);
  EXPECT_EQ(read_text("certs/node.key"), key);

  // The key alone left over is refused as well, and node.crt is not written beside it.
  fs::remove("certs/node.crt");
  EXPECT_EQ(expect_cert_error([&] { create_node({.certs_dir = "certs", .ca_key = "my-safe-directory/ca.key"}); }, {}),
            "certs/node.key already exists; pass overwrite: true to replace it");
  EXPECT_FALSE(fs::exists("certs/node.crt"));

  create_node({.certs_dir = "certs", .ca_key = "my-safe-directory/ca.key", .overwrite = true});
  EXPECT_NE(read_text("certs/node.key"), key);
  X509Ptr node = load_cert("certs/node.crt");
  EXPECT_EQ(verify("certs/ca.crt", *node), X509_V_OK);
  EXPECT_EQ(X509_check_private_key(node.get(), read_private_key("certs/node.key").get()), 1);
  EXPECT_EQ(mode_of("certs/node.key"), 0600u);
  // No temporary files left beside them.
  for (const auto& entry : fs::directory_iterator("certs")) {
    EXPECT_NE(entry.path().filename().string().front(), '.') << entry.path();
  }
}

TEST(CreateNode, RejectsBadHosts) {
  TempDir tmp;
  Cluster c = make_ca(tmp.path());
  for (const std::string bad : {"", "bad host", "[::1]", "a,DNS:evil.com", "fe80::1%eth0"}) {
    expect_cert_error([&] { create_node({.certs_dir = c.certs, .ca_key = c.ca_key, .hosts = {"localhost", bad}}); },
                      {"host"});
  }
  expect_cert_error([&] { create_node({.certs_dir = c.certs, .ca_key = c.ca_key, .hosts = {}}); }, {"hosts is empty"});
  EXPECT_FALSE(fs::exists(c.certs / "node.crt"));
}

TEST(CreateNode, MustNotOutliveTheCa) {
  TempDir tmp;
  Cluster c = make_ca(tmp.path(), CaRequest{.lifetime = 48h});
  expect_cert_error([&] { create_node({.certs_dir = c.certs, .ca_key = c.ca_key}); },
                    {"expires on", "shorter lifetime"});
  EXPECT_FALSE(fs::exists(c.certs / "node.crt"));
  create_node({.certs_dir = c.certs, .ca_key = c.ca_key, .lifetime = 24h});
  EXPECT_EQ(verify(c.ca_crt(), *load_cert(c.certs / "node.crt")), X509_V_OK);
}

TEST(CreateNode, NeverWritesOverTheCaKey) {
  TempDir tmp;
  // A CA key that sits where node.key would go: overwrite must not destroy it.
  create_ca({.certs_dir = tmp / "certs", .ca_key = tmp / "certs" / "node.key"});
  const std::string ca_key = read_text(tmp / "certs" / "node.key");
  expect_cert_error(
      [&] { create_node({.certs_dir = tmp / "certs", .ca_key = tmp / "certs" / "node.key", .overwrite = true}); },
      {"CA's own"});
  EXPECT_EQ(read_text(tmp / "certs" / "node.key"), ca_key);
}

// --- Client certificates ------------------------------------------------------------------------

TEST(CreateClient, VerifiesForClientUseAndNamesTheUser) {
  TempDir tmp;
  Cluster c = make_ca(tmp.path());
  const auto files = create_client({.certs_dir = c.certs, .ca_key = c.ca_key, .user = "maxroach"});
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0], c.certs / "client.maxroach.crt");
  EXPECT_EQ(files[1], c.certs / "client.maxroach.key");

  X509Ptr client = load_cert(c.certs / "client.maxroach.crt");
  EXPECT_EQ(subject_cn(*client), "maxroach");
  EXPECT_EQ(verify(c.ca_crt(), *client, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
  EXPECT_NE(verify(c.ca_crt(), *client, X509_PURPOSE_SSL_SERVER), X509_V_OK) << "clientAuth only";
  EXPECT_TRUE(X509_get_extended_key_usage(client.get()) & XKU_SSL_CLIENT);
  EXPECT_FALSE(X509_get_extended_key_usage(client.get()) & XKU_SSL_SERVER);
  EXPECT_EQ(X509_check_ca(client.get()), 0);
  EXPECT_EQ(X509_check_private_key(client.get(), read_private_key(c.certs / "client.maxroach.key").get()), 1);
  EXPECT_EQ(mode_of(c.certs / "client.maxroach.key"), 0600u);
  EXPECT_EQ(mode_of(c.certs / "client.maxroach.crt"), 0644u);
}

// `cockroach cert create-client MaxRoach` writes the name CockroachDB stores: maxroach.
TEST(CreateClient, NamesTheUserAsCockroachDbStoresIt) {
  TempDir tmp;
  Cluster c = make_ca(tmp.path());
  const auto files = create_client({.certs_dir = c.certs, .ca_key = c.ca_key, .user = "MaxRoach"});
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0], c.certs / "client.maxroach.crt");
  EXPECT_EQ(files[1], c.certs / "client.maxroach.key");
  EXPECT_EQ(subject_cn(*load_cert(c.certs / "client.maxroach.crt")), "maxroach");
  EXPECT_FALSE(fs::exists(c.certs / "client.MaxRoach.crt"));
}

TEST(CreateClient, SerialsAreRandomAndDistinct) {
  TempDir tmp;
  Cluster c = make_ca(tmp.path());
  create_client({.certs_dir = c.certs, .ca_key = c.ca_key, .user = "a"});
  create_client({.certs_dir = c.certs, .ca_key = c.ca_key, .user = "b"});
  X509Ptr a = load_cert(c.certs / "client.a.crt");
  X509Ptr b = load_cert(c.certs / "client.b.crt");
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(a.get()), X509_get0_serialNumber(b.get())), 0);
}

TEST(CreateClient, WithoutACaFailsAndLeavesNothing) {
  TempDir tmp;
  const fs::path certs = tmp / "certs";
  const fs::path ca_key = tmp / "safe" / "ca.key";
  expect_cert_error([&] { create_client({.certs_dir = certs, .ca_key = ca_key, .user = "root"}); },
                    {(certs / "ca.crt").string() + " not found", "certs.create_ca"});
  EXPECT_FALSE(fs::exists(certs));
  EXPECT_FALSE(fs::exists(ca_key.parent_path()));

  // ca.crt there but the CA key gone: the message names the key.
  Cluster c = make_ca(tmp / "other");
  fs::create_directories(certs);
  fs::copy_file(c.ca_crt(), certs / "ca.crt");
  expect_cert_error([&] { create_client({.certs_dir = certs, .ca_key = ca_key, .user = "root"}); },
                    {"CA key " + ca_key.string() + " not found", "certs.create_ca"});
  EXPECT_FALSE(fs::exists(certs / "client.root.crt"));
  EXPECT_FALSE(fs::exists(certs / "client.root.key"));
  EXPECT_EQ(std::distance(fs::directory_iterator(certs), fs::directory_iterator()), 1);
}

TEST(CreateClient, RefusesACaKeyOthersCanRead) {
  TempDir tmp;
  Cluster c = make_ca(tmp.path());
  for (const auto mode : {fs::perms(0644), fs::perms(0640), fs::perms(0604)}) {
    fs::permissions(c.ca_key, mode);
    expect_cert_error([&] { create_client({.certs_dir = c.certs, .ca_key = c.ca_key, .user = "root"}); },
                      {"CA key " + c.ca_key.string(), "group or others", "chmod 600 " + c.ca_key.string()});
    EXPECT_FALSE(fs::exists(c.certs / "client.root.crt"));
  }
  fs::permissions(c.ca_key, fs::perms(0400));  // read-only for the owner is fine
  create_client({.certs_dir = c.certs, .ca_key = c.ca_key, .user = "root"});
  EXPECT_TRUE(fs::exists(c.certs / "client.root.crt"));
}

TEST(CreateClient, RefusesACaKeyThatDoesNotMatchCaCrt) {
  TempDir tmp;
  Cluster a = make_ca(tmp / "a");
  Cluster b = make_ca(tmp / "b");
  expect_cert_error([&] { create_client({.certs_dir = a.certs, .ca_key = b.ca_key, .user = "root"}); },
                    {"does not match", a.ca_crt().string()});
  EXPECT_FALSE(fs::exists(a.certs / "client.root.crt"));
}

TEST(CreateClient, RefusesAnEncryptedCaKeyWithoutPrompting) {
  TempDir tmp;
  Cluster c = make_ca(tmp.path());
  EvpPkeyPtr key = read_private_key(c.ca_key);
  fs::remove(c.ca_key);
  {
    BioPtr out(BIO_new_file(c.ca_key.c_str(), "w"));
    static const char kPass[] = "secret";
    ASSERT_EQ(PEM_write_bio_PrivateKey(out.get(), key.get(), EVP_aes_256_cbc(),
                                       reinterpret_cast<const unsigned char*>(kPass), 6, nullptr, nullptr),
              1);
  }
  fs::permissions(c.ca_key, fs::perms(0600));
  expect_cert_error([&] { create_client({.certs_dir = c.certs, .ca_key = c.ca_key, .user = "root"}); },
                    {c.ca_key.string(), "unencrypted"});
}

TEST(CreateClient, RejectsBadUserNames) {
  TempDir tmp;
  Cluster c = make_ca(tmp.path());
  for (const std::string bad : {"", "a/b", "../x", "max roach", "tab\tname", "nl\n"}) {
    expect_cert_error([&] { create_client({.certs_dir = c.certs, .ca_key = c.ca_key, .user = bad}); }, {"user name"});
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(c.certs), fs::directory_iterator()), 1);  // ca.crt only
}

TEST(CreateClient, SignsWithTheMatchingCaOfARotatedBundle) {
  TempDir tmp;
  Cluster a = make_ca(tmp / "a");
  Cluster b = make_ca(tmp / "b");
  // cockroach prepends the new CA to ca.crt on rotation: B first, then A.
  const std::string bundle = read_text(b.ca_crt()) + read_text(a.ca_crt());
  fs::remove(a.ca_crt());
  std::ofstream(a.ca_crt()) << bundle;
  create_client({.certs_dir = a.certs, .ca_key = a.ca_key, .user = "root"});
  X509Ptr client = load_cert(a.certs / "client.root.crt");
  EXPECT_EQ(verify(a.ca_crt(), *client), X509_V_OK);
  EXPECT_EQ(verify(b.ca_crt(), *client), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

TEST(Verification, ACertificateFromAnotherCaIsRejected) {
  TempDir tmp;
  Cluster ours = make_ca(tmp / "ours");
  Cluster theirs = make_ca(tmp / "theirs");
  create_node({.certs_dir = theirs.certs, .ca_key = theirs.ca_key});
  create_client({.certs_dir = theirs.certs, .ca_key = theirs.ca_key, .user = "root"});
  // Both CAs are "O=Cockroach, CN=Cockroach CA": the issuer name matches, but the authority key
  // id does not, so OpenSSL finds no issuer for the certificate in our store.
  X509Ptr their_node = load_cert(theirs.certs / "node.crt");
  X509Ptr their_client = load_cert(theirs.certs / "client.root.crt");
  EXPECT_EQ(verify(ours.ca_crt(), *their_node), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  EXPECT_EQ(verify(ours.ca_crt(), *their_client), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  EXPECT_EQ(verify(theirs.ca_crt(), *their_node), X509_V_OK);
  // And the signature itself does not check out under our CA's key.
  EXPECT_NE(X509_verify(their_node.get(), read_private_key(ours.ca_key).get()), 1);
  EXPECT_EQ(X509_verify(their_node.get(), read_private_key(theirs.ca_key).get()), 1);
  ERR_clear_error();
}

// --- Pure pieces --------------------------------------------------------------------------------

TEST(CertNames, ClassifiesHostsLikeCockroach) {
  EXPECT_EQ(std::get<IpAddress>(classify_host("127.0.0.1")).bytes, (std::vector<std::uint8_t>{127, 0, 0, 1}));
  EXPECT_EQ(std::get<IpAddress>(classify_host("::1")).bytes.size(), 16u);
  EXPECT_EQ(std::get<DnsName>(classify_host("localhost")).name, "localhost");
  EXPECT_EQ(std::get<DnsName>(classify_host("1.2.3")).name, "1.2.3");  // not an address, so a name
  EXPECT_FALSE(host_problem("*.local"));
  EXPECT_FALSE(host_problem("2001:db8::7"));
  EXPECT_TRUE(host_problem("naïve.example"));
  EXPECT_EQ(client_cert_file("root"), "client.root.crt");
  EXPECT_EQ(client_key_file("root"), "client.root.key");
  EXPECT_FALSE(user_name_problem("MaxRoach_1"));
  EXPECT_TRUE(user_name_problem("a b"));
}

TEST(FileSet, WritesNothingWhenOneDestinationExists) {
  TempDir tmp;
  std::ofstream(tmp / "b") << "old";
  std::vector<OutputFile> files;
  files.emplace_back(tmp / "a", "new a", false);
  files.emplace_back(tmp / "b", "new b", true);
  expect_cert_error([&] { write_all_or_nothing(files, false); }, {(tmp / "b").string() + " already exists"});
  EXPECT_FALSE(fs::exists(tmp / "a"));
  EXPECT_EQ(read_text(tmp / "b"), "old");
}

TEST(FileSet, RefusesADirectoryEvenWithOverwrite) {
  TempDir tmp;
  fs::create_directory(tmp / "d");
  std::vector<OutputFile> files;
  files.emplace_back(tmp / "d", "x", false);
  expect_cert_error([&] { write_all_or_nothing(files, true); }, {"is a directory"});
}

}  // namespace
}  // namespace roachrun_certs
