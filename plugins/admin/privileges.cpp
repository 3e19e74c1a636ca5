#include "privileges.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

#include <roachrun/error.hpp>

namespace roachrun_admin {

namespace {

// Database-level privilege keywords of PostgreSQL (CREATE, CONNECT, TEMPORARY/TEMP) and of
// CockroachDB's versions (CREATE, CONNECT, DROP, ZONECONFIG, BACKUP, RESTORE, and before v20.2 the
// table privileges SELECT, INSERT, UPDATE, DELETE and GRANT). The list guards the SQL text; which
// of them the server accepts on a database is the server's call.
constexpr auto kKnown =
    std::to_array<std::string_view>({"ALL", "CREATE", "CONNECT", "TEMPORARY", "TEMP", "DROP", "GRANT", "SELECT",
                                     "INSERT", "UPDATE", "DELETE", "BACKUP", "RESTORE", "ZONECONFIG", "CHANGEFEED"});

// Upper case, surrounding blanks trimmed, inner runs of blanks collapsed to one space.
std::string normalize(std::string_view item) {
  std::string out;
  bool space = false;
  for (char c : item) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace

std::vector<std::string> parse_privileges(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const auto& item : items) {
    std::string_view rest = item;
    while (true) {  // each item may itself be a comma-separated list
      const auto comma = rest.find(',');
      std::string keyword = normalize(rest.substr(0, comma));
      if (keyword == "ALL PRIVILEGES") keyword = "ALL";
      if (keyword.empty()) {
        throw roachrun::ParamError("privileges", "empty privilege in '" + item + "'");
      }
      if (std::find(kKnown.begin(), kKnown.end(), keyword) == kKnown.end()) {
        std::string known;
        for (auto k : kKnown) known += (known.empty() ? "" : ", ") + std::string(k);
        throw roachrun::ParamError("privileges", "unknown database privilege '" + keyword + "'; use one of " + known);
      }
      if (std::find(out.begin(), out.end(), keyword) == out.end()) out.push_back(std::move(keyword));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  if (out.empty()) throw roachrun::ParamError("privileges", "no privileges given; use ALL to grant everything");
  if (out.size() > 1 && std::find(out.begin(), out.end(), "ALL") != out.end()) {
    throw roachrun::ParamError("privileges", "ALL already includes every privilege: give ALL alone");
  }
  return out;
}

std::string join_privileges(const std::vector<std::string>& privileges) {
  std::string out;
  for (const auto& p : privileges) out += (out.empty() ? "" : ", ") + p;
  return out;
}

}  // namespace roachrun_admin
