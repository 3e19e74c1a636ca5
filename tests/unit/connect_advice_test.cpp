// The hints of a failed connect, for PostgreSQL's and libpq's words (what secure_test.cpp sees on
// the real server) and for CockroachDB's, which no server here can produce: each CockroachDB
// text is the one its source sends (cockroachdb/cockroach; cited in connect_advice.cpp), as
// libpq prints it.
#include <gtest/gtest.h>

#include <string>

#include "sdk/connect_advice.hpp"

namespace roachrun::test {
namespace {

// Whether the advice for `message` contains `expected`.
::testing::AssertionResult advises(const std::string& message, const std::string& expected) {
  const std::string advice = connect_advice(message);
  if (advice.find(expected) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "for \"" << message << "\" the advice is \"" << advice
                                       << "\", expected it to contain \"" << expected << "\"";
}

constexpr const char* kSecureOnly = "accepts only TLS connections";
constexpr const char* kWrongCn = "its CN must be the user's name";
constexpr const char* kWrongCa = "signed by another CA";
constexpr const char* kNotReady = "starting up, shutting down or draining";

TEST(ConnectAdvice, PlaintextToASecureServer) {
  EXPECT_TRUE(advises("connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  no pg_hba.conf entry for host "
                      "\"127.0.0.1\", user \"root\", database \"defaultdb\", no encryption",
                      kSecureOnly));
  EXPECT_TRUE(advises("connection to server at \"127.0.0.1\", port 26257 failed: ERROR:  node is running secure mode, "
                      "SSL connection required",
                      kSecureOnly))
      << "CockroachDB's ErrSSLRequired";
}

TEST(ConnectAdvice, ACertificateForAnotherUser) {
  EXPECT_TRUE(advises("connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  certificate authentication "
                      "failed for user \"root\"",
                      kWrongCn));
  EXPECT_TRUE(advises("connection to server at \"127.0.0.1\", port 26257 failed: ERROR:  requested user is maxroach, "
                      "but certificate is for root",
                      kWrongCn))
      << "CockroachDB to v22.1";
  EXPECT_TRUE(advises("connection to server at \"127.0.0.1\", port 26257 failed: ERROR:  requested user maxroach is "
                      "not authorized for tenant 1",
                      kWrongCn))
      << "CockroachDB v22.2 on";
  EXPECT_TRUE(advises("connection to server at \"127.0.0.1\", port 26257 failed: ERROR:  certificate authentication "
                      "failed for user \"maxroach\" (DN: <nil>)\nDETAIL:  The client certificate (DN: CN=root) is "
                      "valid for \"root\" on all tenants.",
                      kWrongCn))
      << "current CockroachDB";
}

TEST(ConnectAdvice, AClientCertificateFromAnotherCa) {
  EXPECT_TRUE(advises("connection to server at \"127.0.0.1\", port 5432 failed: SSL error: tlsv1 alert unknown ca",
                      kWrongCa));
  EXPECT_TRUE(advises("connection to server at \"127.0.0.1\", port 26257 failed: SSL error: sslv3 alert bad certificate",
                      kWrongCa))
      << "Go's crypto/tls before it told unknown CAs apart";
}

TEST(ConnectAdvice, ANodeThatIsNotServing) {
  EXPECT_TRUE(advises("connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  the database system is "
                      "starting up",
                      kNotReady));
  EXPECT_TRUE(advises("connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  the database system is "
                      "shutting down",
                      kNotReady));
  EXPECT_TRUE(advises("connection to server at \"127.0.0.1\", port 26257 failed: ERROR:  server is not accepting "
                      "clients, try another node",
                      kNotReady))
      << "CockroachDB's ErrDrainingNewConn";
  EXPECT_TRUE(advises("connection to server at \"127.0.0.1\", port 26257 failed: ERROR:  server is not accepting "
                      "clients",
                      kNotReady))
      << "older CockroachDB";
}

TEST(ConnectAdvice, TheOtherHintsAreUnchanged) {
  EXPECT_TRUE(advises("connection to server at \"127.0.0.1\", port 1 failed: Connection refused", "is the server running"));
  EXPECT_TRUE(advises("FATAL:  connection requires a valid client certificate", "wants a client certificate"));
  EXPECT_TRUE(advises("server certificate for \"localhost\" does not match host name \"db.example.invalid\"",
                      "does not name this host"));
  EXPECT_TRUE(advises("SSL error: certificate verify failed", "not signed by the CA in sslrootcert"));
  EXPECT_TRUE(advises("server does not support SSL, but SSL was required", "an insecure target"));
  EXPECT_TRUE(advises("FATAL:  password authentication failed for user \"maxroach\"", "user and password"));
  EXPECT_EQ(connect_advice("something nobody planned for"), "");
}

}  // namespace
}  // namespace roachrun::test
