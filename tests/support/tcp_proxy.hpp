// A loopback TCP proxy between libpq and the test server, for injecting faults a real network
// has: it forwards bytes both ways, records what clients sent (the statements, in clear: the
// tests connect with sslmode=disable), can be armed to drop the connection at COMMIT, and can
// play a server that goes away: cut every open connection, refuse new ones, then come back.
// It frames the client's messages (PostgreSQL protocol 3) so it can record each statement and,
// given a rewriter, replace a statement's text before the server sees it (the CockroachDB
// stand-in, cockroach_standin.hpp). After an SSLRequest or GSSENCRequest the server accepts, the
// bytes are encrypted: the proxy forwards them untouched and records no statements.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace roachrun::test {

// One statement a client sent, as it sent it (before any rewrite): a simple Query message's
// text (which may hold several statements), or a Parse message's query text (extended).
struct RecordedStatement {
  int connection = 0;  // 1 for the proxy's first accepted connection, 2 for the next, ...
  bool extended = false;
  std::string text;
  std::string user;      // of the connection's StartupMessage
  std::string database;  // of the connection's StartupMessage (the user's name if it gave none)
};

class TcpProxy {
 public:
  enum class CommitFault {
    none,
    // Forward the message holding COMMIT, wait for the server's first reply bytes (so the
    // commit has happened), drop them and close both sides: committed, but the reply is lost.
    drop_reply,
    // Close both sides instead of forwarding the message holding COMMIT: the server sees the
    // client vanish inside the transaction and rolls it back.
    drop_commit,
  };

  // Listens on 127.0.0.1, a free port, and forwards each connection to upstream_port there.
  explicit TcpProxy(int upstream_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const noexcept { return port_; }
  // The next client message that runs a statement holding `marker` (on any connection) triggers
  // `fault`, once: a simple query or an unnamed (run at once) statement whose text holds it, or
  // a Bind of a prepared statement whose name does -- so the commit of a pipeline's prepared
  // COMMIT or of a single-statement transaction can be aimed at, and not the Parse preparing it.
  void arm(CommitFault fault, std::string marker = "COMMIT");
  // True once an armed fault went off.
  bool fired() const noexcept { return fired_.load(); }
  // Connections accepted so far.
  int connections() const noexcept { return connections_.load(); }
  // Closes every connection open now, both sides, as a server that went away would; returns
  // once they are closed. Connections accepted later are not affected.
  void cut();
  // false: close the listening socket, so new connections are refused (ECONNREFUSED) until
  // set_accepting(true) listens again on the same port(). Returns once it is in effect.
  void set_accepting(bool accepting);
  // Everything clients sent, all connections, in arrival order.
  std::string client_bytes() const;
  // How many times `text` occurs in client_bytes().
  int count_sent(const std::string& text) const;

  // Returns the text to send instead of a statement's, or nothing to send it as it is. Called on
  // the connection's own thread (so it may block, e.g. on a query of its own), for every Query
  // and Parse message, concurrently for different connections.
  using Rewriter = std::function<std::optional<std::string>(const RecordedStatement&)>;
  // Set it before clients connect.
  void set_rewriter(Rewriter rewriter);
  // Every statement every client sent, in arrival order (the original text, not a rewrite).
  std::vector<RecordedStatement> statements() const;

 private:
  void accept_loop();
  void pump(int client, int server, int generation, int connection);
  // Records and rewrites one complete typed client message (type byte, length, body).
  // `session`: the connection's number, user and database; its text is set per statement.
  std::string forward_message(const RecordedStatement& session, std::string message);

  int listen_fd_ = -1;
  int upstream_port_ = 0;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> fault_{0};
  std::atomic<bool> fired_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> generation_{0};  // bumped by cut(): pumps of an older generation close
  std::atomic<bool> accepting_{true};
  std::atomic<bool> listening_{false};
  mutable std::mutex mutex_;
  std::string marker_ = "COMMIT";  // under mutex_
  std::string sent_;
  std::vector<RecordedStatement> statements_;  // under mutex_
  Rewriter rewriter_;  // set before connections; read by the pumps
  std::map<int, int> open_;  // running pumps by generation (under mutex_)
  std::vector<std::thread> pumps_;
  std::thread acceptor_;
};

}  // namespace roachrun::test
