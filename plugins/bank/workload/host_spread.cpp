#include "host_spread.hpp"

#include <algorithm>

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

}  // namespace

std::vector<LibpqOptions> spread_over_hosts(const LibpqOptions& base, int clients, int& hosts) {
  std::vector<std::string> host_list, hostaddr_list, port_list;
  for (const auto& [key, value] : base) {
    if (key == "host") host_list = split_list(value);
    if (key == "hostaddr") hostaddr_list = split_list(value);
    if (key == "port") port_list = split_list(value);
  }
  hosts = static_cast<int>(std::max<std::size_t>({host_list.size(), hostaddr_list.size(), 1}));
  std::vector<LibpqOptions> out;
  out.reserve(static_cast<std::size_t>(clients));
  for (int i = 0; i < clients; ++i) {
    LibpqOptions options = base;
    const auto pick = [i](const std::vector<std::string>& list) { return list[static_cast<std::size_t>(i) % list.size()]; };
    for (auto& [key, value] : options) {
      if (key == "host" && host_list.size() > 1) value = pick(host_list);
      if (key == "hostaddr" && hostaddr_list.size() > 1) value = pick(hostaddr_list);
      if (key == "port" && port_list.size() > 1) value = pick(port_list);
    }
    out.push_back(std::move(options));
  }
  return out;
}

}  // namespace roachrun_bank
