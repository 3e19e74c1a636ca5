// The secure path against a real TLS server that authenticates clients by certificate: the
// tutorial end to end, what the server refuses, and every bad input with its message.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <regex>

#include "engine/local_target.hpp"
#include "roachrun/error.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

namespace roachrun::test {
namespace {

namespace fs = std::filesystem;

const std::string kSecureScenario = std::string(ROACHRUN_SOURCE_DIR) + "/scenarios/bank-secure.yaml";

// Creates certificates with the real certs plugin through the roachrun binary.
void make_certs(const TempDir& dir, const std::string& certs, const std::string& ca_key,
                const std::vector<std::string>& users, bool node = true) {
  std::string steps = "  - certs.create_ca: {certs_dir: " + certs + ", ca_key: " + ca_key + "}\n";
  if (node) steps += "  - certs.create_node: {certs_dir: " + certs + ", ca_key: " + ca_key + "}\n";
  for (const auto& u : users)
    steps += "  - certs.create_client: {certs_dir: " + certs + ", ca_key: " + ca_key + ", user: " + u + "}\n";
  auto file = dir.write("make-certs-" + std::to_string(std::hash<std::string>{}(certs)) + ".yaml",
                        "scenario: certs\nsteps:\n" + steps);
  auto r = roachrun({"run", file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

// One secure server for this file's server-level tests, with certificates for root and maxroach
// and a second, foreign CA with its own root certificate.
class SecureServer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    certs_ = (dir_->path() / "certs").string();
    make_certs(*dir_, certs_, (dir_->path() / "safe/ca.key").string(), {"root", "maxroach"});
    other_ = (dir_->path() / "other-certs").string();
    make_certs(*dir_, other_, (dir_->path() / "other-safe/ca.key").string(), {"root"}, false);
    server_ = LocalServer::start(secure_local_server_options(certs_), TestServer::get().log()).release();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }

  static LibpqOptions options(const std::string& user, const std::string& certs) {
    return {{"host", "127.0.0.1"},
            {"port", std::to_string(server_->port())},
            {"user", user},
            {"dbname", "defaultdb"},
            {"sslmode", "verify-full"},
            {"sslrootcert", certs_ + "/ca.crt"},
            {"sslcert", certs + "/client." + user + ".crt"},
            {"sslkey", certs + "/client." + user + ".key"}};
  }
  static void set(LibpqOptions& o, const std::string& key, const std::string& value) {
    for (auto& [k, v] : o)
      if (k == key) v = value;
  }

  static std::string connect_error(const LibpqOptions& o) {
    try {
      Connection::open(o, "test");
    } catch (const ConnectError& e) {
      return e.what();
    }
    return "";
  }

  static TempDir* dir_;
  static std::string certs_, other_;
  static LocalServer* server_;
};
TempDir* SecureServer::dir_ = nullptr;
std::string SecureServer::certs_, SecureServer::other_;
LocalServer* SecureServer::server_ = nullptr;

TEST_F(SecureServer, VerifiedTlsWithClientCertificateIsAccepted) {
  Connection c = Connection::open(options("root", certs_), "root");
  EXPECT_EQ(PQsslInUse(c.native_handle()), 1);
  EXPECT_EQ(c.exec_simple("SELECT current_user").text(0, 0), "root");
  Result ssl = c.exec_simple("SELECT ssl, client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
  EXPECT_EQ(ssl.text(0, 0), "t");
  EXPECT_NE(std::string(ssl.text(0, 1)).find("CN=root"), std::string::npos) << ssl.text(0, 1);
}

TEST_F(SecureServer, PlaintextConnectionIsRefusedByTheServer) {
  auto o = options("root", certs_);
  set(o, "sslmode", "disable");
  std::string err = connect_error(o);
  EXPECT_NE(err.find("no pg_hba.conf entry"), std::string::npos) << err;
  EXPECT_NE(err.find("accepts only TLS connections"), std::string::npos) << err;
}

TEST_F(SecureServer, TlsWithoutClientCertificateIsRefusedByTheServer) {
  auto o = options("root", certs_);
  set(o, "sslcert", "/nonexistent/client.crt");
  set(o, "sslkey", "/nonexistent/client.key");
  std::string err = connect_error(o);
  EXPECT_NE(err.find("requires a valid client certificate"), std::string::npos) << err;
  EXPECT_NE(err.find("hint: the server wants a client certificate"), std::string::npos) << err;
}

TEST_F(SecureServer, ClientCertificateOfAnotherUserIsRefused) {
  auto o = options("root", certs_);
  set(o, "sslcert", certs_ + "/client.maxroach.crt");
  set(o, "sslkey", certs_ + "/client.maxroach.key");
  std::string err = connect_error(o);
  EXPECT_NE(err.find("certificate authentication failed for user \"root\""), std::string::npos) << err;
  EXPECT_NE(err.find("its CN must be the user's name"), std::string::npos) << err;
}

TEST_F(SecureServer, ClientCertificateSignedByAnotherCaIsRefused) {
  std::string err = connect_error(options("root", other_));
  EXPECT_NE(err.find("unknown ca"), std::string::npos) << err;
  EXPECT_NE(err.find("signed by another CA"), std::string::npos) << err;
}

TEST_F(SecureServer, ServerCertificateNotMatchingTheHostIsRefused) {
  auto o = options("root", certs_);
  set(o, "host", "db.example.invalid");
  o.emplace_back("hostaddr", "127.0.0.1");
  std::string err = connect_error(o);
  EXPECT_NE(err.find("does not match host name \"db.example.invalid\""), std::string::npos) << err;
  EXPECT_NE(err.find("does not name this host"), std::string::npos) << err;
}

TEST_F(SecureServer, ServerCertificateFromAnotherCaIsRefused) {
  auto o = options("root", certs_);
  set(o, "sslrootcert", other_ + "/ca.crt");
  std::string err = connect_error(o);
  EXPECT_NE(err.find("certificate verify failed"), std::string::npos) << err;
}

// --- The secure tutorial through the roachrun binary ----------------------------------------

std::string tutorial_output_regex() {
  const std::string when = "[A-Z][a-z]{2} [A-Z][a-z]{2} [ 123][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}";
  return "Balances at " + when + "\n\\['1', '1000'\\]\n\\['2', '250'\\]\nBalances at " + when +
         "\n\\['1', '900'\\]\n\\['2', '350'\\]\n";
}

TEST(SecureTutorial, PrintsTheTutorialOutputOverVerifiedTlsTwiceInARow) {
  TempDir dir;
  const std::string certs = (dir.path() / "certs").string();
  const std::string ca_key = (dir.path() / "my-safe-directory/ca.key").string();
  for (int run = 1; run <= 2; ++run) {
    auto r = roachrun({"run", kSecureScenario, "--set", "certs_dir=" + certs, "--set", "ca_key=" + ca_key});
    ASSERT_EQ(r.exit_code, 0) << "run " << run << "\n" << r.err;
    EXPECT_TRUE(std::regex_match(r.out, std::regex(tutorial_output_regex()))) << r.out;
    EXPECT_NE(r.err.find("local secure PostgreSQL"), std::string::npos) << r.err;
  }
  // The tutorial's layout, with private keys 0600 and directories 0700.
  for (const char* f : {"ca.crt", "node.crt", "node.key", "client.root.crt", "client.root.key", "client.maxroach.crt",
                        "client.maxroach.key"})
    EXPECT_TRUE(fs::exists(fs::path(certs) / f)) << f;
  struct stat st{};
  ASSERT_EQ(stat((certs + "/client.maxroach.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(ca_key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(certs.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

// The tutorial's user written MaxRoach everywhere: CockroachDB stores maxroach, and `cockroach
// cert create-client MaxRoach` writes client.maxroach.crt with CN=maxroach. roachrun follows the
// same rule on PostgreSQL, where the role, the connection's user and the certificate's CN must
// agree exactly, so the scenario runs there too.
TEST(SecureTutorial, AMixedCaseUserIsTheLowerCaseUserEverywhere) {
  TempDir dir;
  const std::string certs = (dir.path() / "certs").string();
  const std::string ca_key = (dir.path() / "safe/ca.key").string();
  const std::string file = dir.write(
      "mixed-case.yaml",
      "scenario: mixed-case\ntarget: {url: local, secure: true, certs_dir: " + certs + ", ca_key: " + ca_key +
          "}\nconnections:\n  root: {user: root, database: defaultdb}\n  app: {user: MaxRoach, database: bank}\n"
          "default_connection: root\nsteps:\n"
          "  - {admin.create_user: {user: MaxRoach}, connection: root}\n"
          "  - {admin.create_database: {database: bank, owner: MaxRoach}, connection: root}\n"
          "  - {admin.grant: {database: bank, user: MaxRoach, privileges: ALL}, connection: root}\n"
          "  - certs.create_client: {certs_dir: " + certs + ", ca_key: " + ca_key + ", user: MaxRoach}\n"
          "  - {sql.query: SELECT current_user, connection: app}\n");
  auto r = roachrun({"run", file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("maxroach"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(fs::path(certs) / "client.maxroach.crt"));
  EXPECT_FALSE(fs::exists(fs::path(certs) / "client.MaxRoach.crt"));
}

// A scenario on the secure local target whose only step needs a connection as `user`.
std::string secure_scenario(const TempDir& dir, const std::string& certs, const std::string& ca_key,
                            const std::string& connection_extra = "") {
  return dir.write("secure.yaml", "scenario: s\ntarget: {url: local, secure: true, certs_dir: " + certs +
                                      ", ca_key: " + ca_key + "}\nconnections:\n  c: {user: root, database: defaultdb" +
                                      connection_extra + "}\nsteps:\n  - sql.query: SELECT current_user\n");
}

TEST(SecureBadInput, KeyReadableByOthersIsRefusedWithChmodAdvice) {
  TempDir dir;
  const std::string certs = (dir.path() / "certs").string();
  make_certs(dir, certs, (dir.path() / "safe/ca.key").string(), {"root"});
  fs::permissions(certs + "/client.root.key", fs::perms::others_read | fs::perms::group_read, fs::perm_options::add);
  auto r = roachrun({"run", secure_scenario(dir, certs, (dir.path() / "safe/ca.key").string())});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("refusing to use the private key " + certs + "/client.root.key"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("mode 0644"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("chmod 600 " + certs + "/client.root.key"), std::string::npos) << r.err;
}

TEST(SecureBadInput, MissingClientCertificateNamesTheFileAndHowToCreateIt) {
  TempDir dir;
  const std::string certs = (dir.path() / "certs").string();
  const std::string ca_key = (dir.path() / "safe/ca.key").string();
  make_certs(dir, certs, ca_key, {"root"});
  auto file = dir.write("s.yaml", "scenario: s\ntarget: {url: local, secure: true, certs_dir: " + certs + ", ca_key: " +
                                      ca_key + "}\nconnections:\n  c: {user: maxroach, database: defaultdb}\n"
                                      "steps:\n  - sql.query: SELECT 1\n");
  auto r = roachrun({"run", file});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("client certificate " + certs + "/client.maxroach.crt does not exist"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("certs.create_client {user: maxroach}"), std::string::npos) << r.err;
}

TEST(SecureBadInput, MissingCertsDirAgainstARunningServer) {
  TempDir dir;
  auto file = dir.write("s.yaml", "scenario: s\ntarget: {url: local, secure: true, certs_dir: " +
                                      (dir.path() / "nowhere").string() +
                                      "}\nsteps:\n  - sql.query: SELECT 1\n");
  // Against a URL (a running cluster) nothing creates certificates: the directory must exist.
  auto r = roachrun({"run", file, "--target", "postgresql://127.0.0.1:" + std::to_string(TestServer::get().port()) + "/defaultdb"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("certificate directory " + (dir.path() / "nowhere").string() + " does not exist"),
            std::string::npos)
      << r.err;
}

TEST(SecureBadInput, InsecureConnectionToASecureTarget) {
  TempDir dir;
  const std::string certs = (dir.path() / "certs").string();
  const std::string ca_key = (dir.path() / "safe/ca.key").string();
  auto r = roachrun({"run", secure_scenario(dir, certs, ca_key, ", sslmode: disable")});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("asks for sslmode=disable but the target is secure"), std::string::npos) << r.err;
}

TEST(SecureBadInput, SecureConnectionToAnInsecureTarget) {
  TempDir dir;
  const std::string certs = (dir.path() / "certs").string();
  make_certs(dir, certs, (dir.path() / "safe/ca.key").string(), {"root"});
  auto file = dir.write("s.yaml", "scenario: s\ntarget: {secure: true, certs_dir: " + certs +
                                      "}\nsteps:\n  - sql.query: SELECT 1\n");
  auto r = roachrun({"run", file, "--target", "postgresql://127.0.0.1:" + std::to_string(TestServer::get().port()) + "/defaultdb"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("server does not support SSL"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("an insecure target"), std::string::npos) << r.err;
}

TEST(SecureBadInput, CreateClientWithoutCaFailsAndCreatesNothing) {
  TempDir dir;
  const std::string certs = (dir.path() / "certs").string();
  auto file = dir.write("s.yaml", "scenario: s\nsteps:\n  - certs.create_client: {certs_dir: " + certs + ", ca_key: " +
                                      (dir.path() / "safe/ca.key").string() + ", user: maxroach}\n");
  auto r = roachrun({"run", file});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("ca.crt"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("certs.create_ca"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(certs + "/client.maxroach.crt"));
  EXPECT_FALSE(fs::exists(certs + "/client.maxroach.key"));
}

TEST(SecureBadInput, ExistingFileIsNotOverwrittenWithoutOverwrite) {
  TempDir dir;
  const std::string certs = (dir.path() / "certs").string();
  const std::string ca_key = (dir.path() / "safe/ca.key").string();
  make_certs(dir, certs, ca_key, {"maxroach"}, false);
  auto before = fs::last_write_time(certs + "/client.maxroach.crt");
  auto file = dir.write("s.yaml", "scenario: s\nsteps:\n  - certs.create_client: {certs_dir: " + certs + ", ca_key: " +
                                      ca_key + ", user: maxroach}\n");
  auto r = roachrun({"run", file});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("client.maxroach.crt already exists; pass overwrite: true to replace it"), std::string::npos) << r.err;
  EXPECT_EQ(fs::last_write_time(certs + "/client.maxroach.crt"), before);
}

}  // namespace
}  // namespace roachrun::test
