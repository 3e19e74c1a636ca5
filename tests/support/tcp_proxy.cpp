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
    ++connections_;
    const int generation = generation_.load();
    {
      std::lock_guard lock(mutex_);
      ++open_[generation];
    }
    pumps_.emplace_back([this, client, server, generation] {
      pump(client, server, generation);
      std::lock_guard lock(mutex_);
      --open_[generation];
    });
  }
}

void TcpProxy::pump(int client, int server, int generation) {
  char buf[65536];
  while (!stop_ && generation_.load() == generation) {
    pollfd p[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    if (::poll(p, 2, 50) <= 0) continue;
    if (p[0].revents) {
      ssize_t n = ::recv(client, buf, sizeof buf, 0);
      if (n <= 0) break;
      const std::string chunk(buf, static_cast<std::size_t>(n));
      std::string marker;
      {
        std::lock_guard lock(mutex_);
        sent_ += chunk;
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
      if (!send_all(client, buf, static_cast<std::size_t>(n))) break;
    }
  }
  close_both(client, server);
}

}  // namespace roachrun::test
