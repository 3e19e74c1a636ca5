#include "support/tcp_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace roachrun::test {

namespace {

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error("tcp proxy: " + what + ": " + std::strerror(errno)); }

bool send_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

void close_both(int a, int b) {
  ::shutdown(a, SHUT_RDWR);
  ::shutdown(b, SHUT_RDWR);
  ::close(a);
  ::close(b);
}

// A socket listening on 127.0.0.1:port (0: a free port), or -1 with errno set.
int open_listener(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 || ::listen(fd, 64) < 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

// Whether `chunk` (frontend messages: a type byte, a big-endian length counting itself, the body)
// runs a statement holding `marker`; see TcpProxy::arm. What does not parse as whole messages (the
// start-up packet, a message split over two reads) matches only as far as it parses.
bool runs_statement(const std::string& chunk, const std::string& marker) {
  for (std::size_t at = 0; at + 5 <= chunk.size();) {
    std::uint32_t length = 0;
    for (std::size_t i = 1; i <= 4; ++i) length = length << 8 | static_cast<unsigned char>(chunk[at + i]);
    if (length < 4 || chunk.size() - at - 1 < length) return false;
    const std::string_view body(chunk.data() + at + 5, length - 4);
    // Query: the text. Parse: the statement's name, then its text. Bind: the portal, then the name.
    const std::string_view first = body.substr(0, body.find('\0'));
    const std::string_view second = first.size() < body.size() ? body.substr(first.size() + 1) : std::string_view();
    const std::string_view name = second.substr(0, second.find('\0'));
    const bool hit = (chunk[at] == 'Q' && first.find(marker) != std::string_view::npos) ||
                     (chunk[at] == 'P' && first.empty() && second.find(marker) != std::string_view::npos) ||
                     (chunk[at] == 'B' && name.find(marker) != std::string_view::npos);
    if (hit) return true;
    at += 1 + length;
  }
  return false;
}

std::uint32_t read_be32(const std::string& s, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(s[at + i]);
  return v;
}

void append_be32(std::string& s, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>(v >> shift & 0xff));
}

// user and database of a StartupMessage (length, protocol, then name\0value\0 pairs, then \0).
void read_startup_parameters(const std::string& message, std::string& user, std::string& database) {
  std::size_t at = 8;
  while (at < message.size() && message[at] != '\0') {
    const std::size_t name_end = message.find('\0', at);
    if (name_end == std::string::npos) return;
    const std::size_t value_end = message.find('\0', name_end + 1);
    if (value_end == std::string::npos) return;
    const std::string name = message.substr(at, name_end - at);
    const std::string value = message.substr(name_end + 1, value_end - name_end - 1);
    if (name == "user") user = value;
    if (name == "database") database = value;
    at = value_end + 1;
  }
  if (database.empty()) database = user;  // PostgreSQL's default, as the server applies it
}

// The start-up packets a client may send before StartupMessage (no type byte: a length, a code).
constexpr std::uint32_t kSslRequest = 80877103;
constexpr std::uint32_t kGssEncRequest = 80877104;

// What one connection's client has sent that is not forwarded yet, and where in the protocol it is.
struct ClientStream {
  enum class Phase { startup, typed, raw } phase = Phase::startup;
  bool awaiting_encryption_reply = false;  // an SSLRequest/GSSENCRequest went out; 'S'/'G' means TLS
  std::string pending;
};

}  // namespace

TcpProxy::TcpProxy(int upstream_port) : upstream_port_(upstream_port) {
  listen_fd_ = open_listener(0);
  if (listen_fd_ < 0) fail("listen");
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) < 0) fail("getsockname");
  port_ = ntohs(addr.sin_port);
  listening_ = true;
  acceptor_ = std::thread([this] { accept_loop(); });
}

TcpProxy::~TcpProxy() {
  stop_ = true;
  acceptor_.join();
  for (auto& t : pumps_) t.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

void TcpProxy::cut() {
  const int cut_below = ++generation_;
  auto open_before = [&] {
    std::lock_guard lock(mutex_);
    int n = 0;
    for (const auto& [generation, count] : open_) if (generation < cut_below) n += count;
    return n;
  };
  while (open_before() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

void TcpProxy::set_accepting(bool accepting) {
  accepting_ = accepting;
  while (listening_.load() != accepting) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

void TcpProxy::arm(CommitFault fault, std::string marker) {
  {
    std::lock_guard lock(mutex_);
    marker_ = std::move(marker);
  }
  fired_ = false;
  fault_ = static_cast<int>(fault);
}

std::string TcpProxy::client_bytes() const {
  std::lock_guard lock(mutex_);
  return sent_;
}

int TcpProxy::count_sent(const std::string& text) const {
  const std::string all = client_bytes();
  int n = 0;
  for (auto at = all.find(text); at != std::string::npos; at = all.find(text, at + text.size())) ++n;
  return n;
}

void TcpProxy::set_rewriter(Rewriter rewriter) {
  std::lock_guard lock(mutex_);
  rewriter_ = std::move(rewriter);
}

std::vector<RecordedStatement> TcpProxy::statements() const {
  std::lock_guard lock(mutex_);
  return statements_;
}

std::string TcpProxy::forward_message(const RecordedStatement& session, std::string message) {
  const char type = message[0];
  if (type != 'Q' && type != 'P') return message;
  const std::string_view body(message.data() + 5, message.size() - 5);
  // Query: text\0. Parse: name\0 text\0 then the parameter types, kept as they are.
  const std::size_t text_at = type == 'Q' ? 0 : body.find('\0');
  if (text_at == std::string_view::npos) return message;
  const std::size_t text_begin = type == 'Q' ? 0 : text_at + 1;
  const std::size_t text_end = body.find('\0', text_begin);
  if (text_end == std::string_view::npos) return message;
  RecordedStatement statement = session;
  statement.extended = type == 'P';
  statement.text = std::string(body.substr(text_begin, text_end - text_begin));
  Rewriter rewriter;
  {
    std::lock_guard lock(mutex_);
    statements_.push_back(statement);
    rewriter = rewriter_;
  }
  if (!rewriter) return message;
  std::optional<std::string> text;
  try {
    text = rewriter(statement);
  } catch (const std::exception&) {
    // A rewriter that cannot decide (e.g. its own query failed) lets the server answer the
    // statement as it was sent; an exception must not end the connection's thread.
    text.reset();
  }
  if (!text) return message;
  std::string new_body(body.substr(0, text_begin));
  new_body += *text;
  new_body += body.substr(text_end);  // the text's \0, then a Parse's parameter types
  std::string out(1, type);
  append_be32(out, static_cast<std::uint32_t>(new_body.size() + 4));
  return out + new_body;
}

void TcpProxy::accept_loop() {
  while (!stop_) {
    // Start or stop listening as set_accepting() asked (only this thread touches listen_fd_).
    if (!accepting_ && listen_fd_ >= 0) {
      ::close(listen_fd_);
      listen_fd_ = -1;
      listening_ = false;
    } else if (accepting_ && listen_fd_ < 0) {
      listen_fd_ = open_listener(port_);  // the same port again; retried if it is not free yet
      listening_ = listen_fd_ >= 0;
    }
    if (listen_fd_ < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(upstream_port_));
    if (server < 0 || ::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
      if (server >= 0) ::close(server);
      ::close(client);
      continue;
    }
    int one = 1;
    ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const int connection = ++connections_;
    const int generation = generation_.load();
    {
      std::lock_guard lock(mutex_);
      ++open_[generation];
    }
    pumps_.emplace_back([this, client, server, generation, connection] {
      pump(client, server, generation, connection);
      std::lock_guard lock(mutex_);
      --open_[generation];
    });
  }
}

void TcpProxy::pump(int client, int server, int generation, int connection) {
  char buf[65536];
  ClientStream stream;
  using Phase = ClientStream::Phase;
  RecordedStatement session;
  session.connection = connection;
  // The whole messages the client's bytes complete (recorded and rewritten), to forward now; a
  // message's incomplete tail waits in stream.pending for the next read.
  auto take_messages = [&](const std::string& received) {
    if (stream.phase == Phase::raw) return received;
    stream.pending += received;
    std::string out;
    std::size_t at = 0;
    while (true) {
      if (stream.phase == Phase::raw) {
        out += stream.pending.substr(at);
        at = stream.pending.size();
        break;
      }
      const std::size_t header = stream.phase == Phase::startup ? 4 : 5;
      if (stream.pending.size() - at < header) break;
      const std::uint32_t length = read_be32(stream.pending, at + header - 4);
      if (length < 4 || (stream.phase == Phase::startup && length < 8)) {
        stream.phase = Phase::raw;  // not the protocol this proxy knows: pass it through
        continue;
      }
      const std::size_t size = header - 4 + length;
      if (stream.pending.size() - at < size) break;
      std::string message = stream.pending.substr(at, size);
      at += size;
      if (stream.phase == Phase::startup) {
        const std::uint32_t code = read_be32(message, 4);
        if (code == kSslRequest || code == kGssEncRequest) {
          stream.awaiting_encryption_reply = true;
        } else {
          stream.phase = Phase::typed;  // StartupMessage (or CancelRequest, the last message)
          read_startup_parameters(message, session.user, session.database);
        }
        out += message;
      } else {
        out += forward_message(session, std::move(message));
      }
    }
    stream.pending.erase(0, at);
    return out;
  };
  while (!stop_ && generation_.load() == generation) {
    pollfd p[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    if (::poll(p, 2, 50) <= 0) continue;
    if (p[0].revents) {
      ssize_t n = ::recv(client, buf, sizeof buf, 0);
      if (n <= 0) break;
      const std::string received(buf, static_cast<std::size_t>(n));
      {
        std::lock_guard lock(mutex_);
        sent_ += received;
      }
      const std::string chunk = take_messages(received);
      if (chunk.empty()) continue;
      std::string marker;
      {
        std::lock_guard lock(mutex_);
        marker = marker_;
      }
      if (fault_ != static_cast<int>(CommitFault::none) && runs_statement(chunk, marker)) {
        const auto fault = static_cast<CommitFault>(fault_.exchange(static_cast<int>(CommitFault::none)));
        if (fault == CommitFault::drop_reply) {
          send_all(server, chunk.data(), chunk.size());
          // The server replies only once the COMMIT has been executed: wait for that, then lose it.
          pollfd r{server, POLLIN, 0};
          if (::poll(&r, 1, 10'000) > 0) (void)::recv(server, buf, sizeof buf, 0);
        }
        fired_ = true;
        close_both(client, server);
        return;
      }
      if (!send_all(server, chunk.data(), chunk.size())) break;
    }
    if (p[1].revents) {
      ssize_t n = ::recv(server, buf, sizeof buf, 0);
      if (n <= 0) break;
      if (stream.awaiting_encryption_reply) {
        // The one-byte answer to SSLRequest/GSSENCRequest: 'S' or 'G' starts an encrypted session.
        stream.awaiting_encryption_reply = false;
        if (buf[0] == 'S' || buf[0] == 'G') stream.phase = Phase::raw;
      }
      if (!send_all(client, buf, static_cast<std::size_t>(n))) break;
    }
  }
  close_both(client, server);
}

}  // namespace roachrun::test
