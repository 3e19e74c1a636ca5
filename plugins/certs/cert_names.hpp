// Names in CockroachDB's certificate layout, and the checks on what a user may put in them.
// Pure string logic: no OpenSSL, no files, so both StepType::check and the certificate code use it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace roachrun_certs {

// File names inside the certs dir, as `cockroach cert` and `cockroach start --certs-dir` expect.
inline constexpr std::string_view kCaCertFile = "ca.crt";
inline constexpr std::string_view kNodeCertFile = "node.crt";
inline constexpr std::string_view kNodeKeyFile = "node.key";
std::string client_cert_file(std::string_view user);  // "client.<user>.crt"
std::string client_key_file(std::string_view user);   // "client.<user>.key"

// Why `user` cannot name a client certificate, or nullopt if it can. The name becomes both the
// certificate's CN and part of a file name, so '/' (a path), whitespace and control characters
// (never valid in a SQL role name given unquoted, and a trap in shell scripts) are refused.
std::optional<std::string> user_name_problem(std::string_view user);

// One subjectAltName entry: an IP address (4 or 16 bytes, network order) or a DNS name.
struct IpAddress {
  std::vector<std::uint8_t> bytes;
};
struct DnsName {
  std::string name;
};
using HostName = std::variant<IpAddress, DnsName>;

// Classifies a host as `cockroach cert create-node` does: whatever parses as an IPv4 or IPv6
// address is an IP SAN, anything else a DNS SAN. Throws nothing; see host_problem for checks.
HostName classify_host(std::string_view host);

// Why `host` cannot be a subjectAltName, or nullopt if it can. DNS names are IA5 (ASCII) in a
// certificate, so international names must be given in their xn-- form; '*' is allowed for
// wildcards such as *.local.
std::optional<std::string> host_problem(std::string_view host);

}  // namespace roachrun_certs
