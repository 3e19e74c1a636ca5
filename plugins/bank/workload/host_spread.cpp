#include "host_spread.hpp"

#include <algorithm>
#include <cstdlib>

namespace roachrun_bank {

namespace {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t comma; (comma = text.find(',', start)) != std::string::npos; start = comma + 1)
    parts.push_back(text.substr(start, comma - start));
  parts.push_back(text.substr(start));
  return parts;
}

std::string join_rotated(const std::vector<std::string>& list, std::size_t first) {
  std::string out;
  for (std::size_t k = 0; k < list.size(); ++k) out += (k ? "," : "") + list[(first + k) % list.size()];
  return out;
}

// The port libpq uses when the target gives none.
std::string default_port() {
  const char* env = std::getenv("PGPORT");
  return env && *env ? env : "5432";
}

}  // namespace

HostSpread spread_over_hosts(const LibpqOptions& base, int clients) {
  std::vector<std::string> host_list, hostaddr_list, port_list;
  for (const auto& [key, value] : base) {
    if (key == "host") host_list = split_list(value);
    if (key == "hostaddr") hostaddr_list = split_list(value);
    if (key == "port") port_list = split_list(value);
  }
  const std::size_t n = std::max<std::size_t>({host_list.size(), hostaddr_list.size(), 1});
  HostSpread out;
  for (std::size_t h = 0; h < n; ++h) {
    std::string host = h < host_list.size() ? host_list[h] : std::string();
    if (host.empty() && h < hostaddr_list.size()) host = hostaddr_list[h];
    std::string port = port_list.size() == 1 ? port_list[0] : h < port_list.size() ? port_list[h] : std::string();
    out.hosts.push_back((host.empty() ? "localhost" : host) + ":" + (port.empty() ? default_port() : port));
  }
  out.clients.reserve(static_cast<std::size_t>(clients));
  for (int i = 0; i < clients; ++i) {
    LibpqOptions options = base;
    const std::size_t first = static_cast<std::size_t>(i) % n;
    for (auto& [key, value] : options) {
      if (key == "host" && host_list.size() > 1) value = join_rotated(host_list, first);
      if (key == "hostaddr" && hostaddr_list.size() > 1) value = join_rotated(hostaddr_list, first);
      if (key == "port" && port_list.size() > 1) value = join_rotated(port_list, first);
    }
    out.clients.push_back(std::move(options));
  }
  return out;
}

}  // namespace roachrun_bank
