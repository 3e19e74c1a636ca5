// Hostile YAML that the unit and the integration tests of the scenario limits both feed roachrun.
#pragma once

#include <string>

namespace roachrun::test {

inline std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// 9 levels of 9 aliases of the level below, "a:" to "i:", one a line under `indent`: 9^9
// scalars written out ("billion laughs"). Only "g:" (the 7th line) and beyond exceed
// limits::kMaxNodes alone.
inline std::string alias_bomb(const std::string& indent) {
  std::string s = indent + "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (char c = 'b'; c <= 'i'; ++c) {
    const std::string prev(1, static_cast<char>(c - 1));
    s += indent + c + ": &" + c + " [" + repeat("*" + prev + ", ", 8) + "*" + prev + "]\n";
  }
  return s;
}

}  // namespace roachrun::test
