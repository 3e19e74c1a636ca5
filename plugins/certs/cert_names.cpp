#include "cert_names.hpp"

#include <arpa/inet.h>


namespace roachrun_certs {
namespace {

bool is_space_or_control(unsigned char c) { return c <= 0x20 || c == 0x7f; }

// Quotes a user-supplied value for an error message, showing invisible characters.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

}  // namespace

std::string client_cert_file(std::string_view user) { return "client." + std::string(user) + ".crt"; }
std::string client_key_file(std::string_view user) { return "client." + std::string(user) + ".key"; }

std::optional<std::string> user_name_problem(std::string_view user) {
  if (user.empty()) return "user name is empty";
  for (unsigned char c : user) {
    if (c == '/') return "user name " + quoted(user) + " contains '/'; it becomes part of a file name";
    if (is_space_or_control(c)) {
      return "user name " + quoted(user) + " contains whitespace or a control character";
    }
  }
  return std::nullopt;
}

HostName classify_host(std::string_view host) {
  // inet_pton needs a NUL-terminated string; a std::string gives one.
  const std::string text(host);
  unsigned char buf[16];
  if (inet_pton(AF_INET, text.c_str(), buf) == 1) return IpAddress{{buf, buf + 4}};
  if (inet_pton(AF_INET6, text.c_str(), buf) == 1) return IpAddress{{buf, buf + 16}};
  return DnsName{text};
}

std::optional<std::string> host_problem(std::string_view host) {
  if (host.empty()) return "host name is empty";
  if (std::holds_alternative<IpAddress>(classify_host(host))) return std::nullopt;
  if (host.front() == '[') {
    return "host " + quoted(host) + " is not a valid name; write IPv6 addresses without brackets, e.g. ::1";
  }
  for (unsigned char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '.' || c == '_' || c == '*';
    if (!ok) {
      return "host " + quoted(host) +
             " is neither an IP address nor a DNS name (letters, digits, '-', '.', '_', '*'; "
             "international names in their xn-- form)";
    }
  }
  return std::nullopt;
}

}  // namespace roachrun_certs
