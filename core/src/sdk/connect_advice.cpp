#include "connect_advice.hpp"

namespace roachrun {

// TLS problems first: their messages also mention users and hosts. Each CockroachDB text is
// quoted from its source (cockroachdb/cockroach), since no CockroachDB runs here to show it.
std::string connect_advice(const std::string& message) {
  auto has = [&](const char* text) { return message.find(text) != std::string::npos; };
  if (has("server does not support SSL"))
    return "the server does not speak TLS (an insecure target): drop secure: true, or use sslmode=disable";
  // Plaintext to a secure server. PostgreSQL: no hostnossl line in pg_hba.conf. CockroachDB:
  // ErrSSLRequired, "node is running secure mode, SSL connection required" (SQLSTATE 08P01),
  // pkg/sql/pgwire/server.go.
  if ((has("no pg_hba.conf entry") && (has("no encryption") || has("SSL off"))) ||
      has("node is running secure mode, SSL connection required"))
    return "the server accepts only TLS connections with a client certificate: set target.secure: true "
           "and certs_dir (or sslmode=verify-full with sslcert/sslkey)";
  if (has("requires a valid client certificate"))
    return "the server wants a client certificate: use a secure target with certs_dir holding "
           "client.<user>.crt/.key, or give sslcert and sslkey";
  // A certificate whose CN is another user. PostgreSQL: "certificate authentication failed for
  // user". CockroachDB (pkg/security/auth.go, UserAuthCertHook) has said it three ways: "requested
  // user is X, but certificate is for Y" (to v22.1), "requested user X is not authorized for
  // tenant N" (v22.2 on), and "certificate authentication failed for user "X" (DN: ...)" (current).
  if (has("certificate authentication failed") || has("but certificate is for") ||
      has("is not authorized for tenant"))
    return "the server refused the client certificate for this user: its CN must be the user's name "
           "(certs_dir/client.<user>.crt with CN=<user>)";
  // A client certificate from another CA. PostgreSQL (OpenSSL) sends the TLS alert unknown_ca;
  // CockroachDB's Go crypto/tls sends unknown_ca too in current Go, bad_certificate for any
  // verification failure in older ones (crypto/tls handshake_server.go, processCertsFromClient),
  // which libpq prints as "tlsv1 alert unknown ca" / "sslv3 alert bad certificate".
  if (has("unknown ca") || has("certificate unknown") || has("alert bad certificate"))
    return "the server does not trust the client certificate: it was signed by another CA than the one the "
           "server uses; create it with that CA's key";
  if (has("does not match host name"))
    return "the server's certificate does not name this host: connect to a host it names, or recreate "
           "node.crt with this host in its hosts";
  if (has("certificate verify failed"))
    return "the server's certificate is not signed by the CA in sslrootcert (certs_dir/ca.crt): use the CA "
           "that signed the server's certificate";
  if (has("private key file") || has("has group or world access"))
    return "fix the key file's permissions: chmod 600 <key file>";
  // A node that is up but not serving SQL yet, or no more. PostgreSQL (57P03): "the database
  // system is starting up" / "is shutting down" / "is not yet accepting connections" / "is in
  // recovery mode". CockroachDB (pkg/sql/pgwire/server.go): ErrDrainingNewConn "server is not
  // accepting clients, try another node" (older releases: "server is not accepting clients") and
  // ErrDrainingExistingConn "server is shutting down".
  if (has("the database system is") || has("server is not accepting clients") || has("server is shutting down"))
    return "the server is starting up, shutting down or draining: wait until it serves again, or connect to "
           "another node";
  if (has("Connection refused") || has("could not translate host name") || has("timeout expired"))
    return "is the server running there? Check the target's host and port";
  if (has("authentication failed") || has("does not exist") || has("no pg_hba.conf entry") || has("password"))
    return "check the connection's user and password (and that the user exists)";
  if (has("certificate") || has("SSL"))
    return "check the TLS settings and certificate files of the connection";
  return {};
}

}  // namespace roachrun
