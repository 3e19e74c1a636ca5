// How a target and a scenario's connection combine into libpq options.
#include <map>

#include <gtest/gtest.h>

#include "engine/target.hpp"
#include "engine/tls_files.hpp"
#include "roachrun/connection.hpp"
#include "roachrun/error.hpp"
#include "support/temp_dir.hpp"

namespace roachrun {
namespace {

std::map<std::string, std::string> as_map(const LibpqOptions& options) { return {options.begin(), options.end()}; }

ConnectionDef connection(std::string user, std::string database, bool implicit) {
  ConnectionDef c;
  c.name = implicit ? "default" : "app";
  c.user = std::move(user);
  c.database = std::move(database);
  c.implicit = implicit;
  return c;
}

TEST(ApplyConnection, ImplicitConnectionTakesTheUrlsUserAndDatabase) {
  const LibpqOptions url = parse_conninfo("postgresql://me:secret@db.example:26257/bench?sslmode=disable");
  const auto o = as_map(apply_connection(url, connection("root", "defaultdb", true), TargetDef{}));
  EXPECT_EQ(o.at("user"), "me");
  EXPECT_EQ(o.at("dbname"), "bench");
  EXPECT_EQ(o.at("password"), "secret") << "the URL's password goes with the URL's user";
  EXPECT_EQ(o.at("host"), "db.example");
}

TEST(ApplyConnection, ImplicitConnectionFallsBackToRootOnDefaultdb) {
  const auto o = as_map(apply_connection(parse_conninfo("postgresql://db.example:26257"),
                                         connection("root", "defaultdb", true), TargetDef{}));
  EXPECT_EQ(o.at("user"), "root");
  EXPECT_EQ(o.at("dbname"), "defaultdb");
}

TEST(ApplyConnection, DeclaredConnectionKeepsItsOwnUserAndDatabase) {
  const LibpqOptions url = parse_conninfo("postgresql://me:secret@db.example:26257/bench");
  const auto o = as_map(apply_connection(url, connection("maxroach", "bank", false), TargetDef{}));
  EXPECT_EQ(o.at("user"), "maxroach");
  EXPECT_EQ(o.at("dbname"), "bank");
  EXPECT_EQ(o.count("password"), 0u) << "another user's password is never sent";
}

// CockroachDB's rule on both engines: the user as CockroachDB stores it, and its certificate
// under that name (cockroach cert create-client MaxRoach writes client.maxroach.crt).
TEST(ApplyConnection, UserIsLowerCasedAndSoAreItsCertificateFiles) {
  const LibpqOptions url = parse_conninfo("postgresql://db.example:26257");
  EXPECT_EQ(as_map(apply_connection(url, connection("MaxRoach", "bank", false), TargetDef{})).at("user"), "maxroach");

  // A secure target looks for the normalized name's files (and names the missing one).
  test::TempDir dir;
  dir.write("ca.crt", "");
  TargetDef secure;
  secure.secure = true;
  secure.certs_dir = dir.path().string();
  try {
    (void)apply_connection(url, connection("MaxRoach", "bank", false), secure);
    FAIL() << "there is no client certificate";
  } catch (const ConnectError& e) {
    EXPECT_NE(std::string(e.what()).find((dir.path() / "client.maxroach.crt").string() + " does not exist"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("user 'maxroach'"), std::string::npos) << e.what();
  }
}

TEST(ApplyConnection, TheUrlsPasswordGoesWithItsUserWhateverItsCase) {
  const LibpqOptions url = parse_conninfo("postgresql://Root:secret@db.example:26257/defaultdb");
  const auto o = as_map(apply_connection(url, connection("root", "defaultdb", false), TargetDef{}));
  EXPECT_EQ(o.at("user"), "root");
  EXPECT_EQ(o.at("password"), "secret");
}

}  // namespace
}  // namespace roachrun
