// What every fuzz target shares: the input as text, and a fixed environment (never the process's,
// so an input behaves the same on every machine and in every replay).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace roachrun::fuzz {

inline std::string input_text(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

inline std::optional<std::string> fixed_env(const std::string& name) {
  if (name == "HOME") return "/home/fuzz";
  if (name == "PGPORT") return "26257";
  if (name == "EMPTY") return "";
  return std::nullopt;
}

}  // namespace roachrun::fuzz
