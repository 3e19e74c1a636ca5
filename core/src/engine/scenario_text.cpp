#include "engine/scenario_text.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "engine/scenario_limits.hpp"
#include "roachrun/error.hpp"

namespace roachrun {

namespace {

// The length of the valid UTF-8 sequence at the start of `s` (s not empty), or 0.
std::size_t sequence_length(std::string_view s) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char b0 = byte(0);
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte (narrower to exclude overlongs etc.)
  if (b0 >= 0xC2 && b0 <= 0xDF) n = 2;
  else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;       // overlong
    else if (b0 == 0xED) hi = 0x9F;  // UTF-16 surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;       // overlong
    else if (b0 == 0xF4) hi = 0x8F;  // past U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < n || byte(1) < lo || byte(1) > hi) return 0;
  for (std::size_t i = 2; i < n; ++i)
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  return n;
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// 1-based line and byte column of `offset`.
SourceLocation location_of(std::string_view text, std::size_t offset, const std::string& file) {
  int line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset; ++i)
    if (text[i] == '\n') ++line, line_start = i + 1;
  return SourceLocation{file, line, static_cast<int>(offset - line_start) + 1};
}

// "every other byte is NUL": what UTF-16 without a byte order mark looks like.
bool looks_like_utf16(std::string_view text) {
  const std::size_t n = std::min<std::size_t>(text.size(), 64) & ~std::size_t{1};
  if (n < 4) return false;
  std::size_t even = 0, odd = 0;
  for (std::size_t i = 0; i < n; i += 2) even += text[i] == '\0', odd += text[i + 1] == '\0';
  return even == n / 2 || odd == n / 2;
}

}  // namespace

std::size_t first_bad_text_byte(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c != 0 && c < 0x80) {
      ++i;
      continue;
    }
    if (c == 0) return i;
    const std::size_t n = sequence_length(text.substr(i));
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

void fail_scenario_too_big(const std::string& file, std::size_t bytes) {
  throw ValidationError(SourceLocation{file, 0, 0},
                        "the scenario file has " + std::to_string(bytes) + " bytes, more than the " +
                            std::to_string(limits::kMaxFileBytes >> 20) +
                            " MiB a scenario may have (limits::kMaxFileBytes); split it into several");
}

std::string_view checked_scenario_text(std::string_view text, const std::string& file) {
  if (text.size() > limits::kMaxFileBytes) fail_scenario_too_big(file, text.size());
  constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
  // UTF-32 first: its little-endian mark starts with UTF-16's.
  for (const auto& [bom, name] : {std::pair<std::string_view, const char*>{{"\x00\x00\xFE\xFF", 4}, "UTF-32"},
                                  {{"\xFF\xFE\x00\x00", 4}, "UTF-32"},
                                  {"\xFE\xFF", "UTF-16"},
                                  {"\xFF\xFE", "UTF-16"}})
    if (starts_with(text, bom))
      throw ValidationError(SourceLocation{file, 1, 1}, std::string("the file is ") + name +
                                                            " (it starts with a " + name +
                                                            " byte order mark): save it as UTF-8");
  const std::string_view whole = text;
  if (starts_with(text, kUtf8Bom)) text.remove_prefix(kUtf8Bom.size());
  const std::size_t bad = first_bad_text_byte(text);
  if (bad == std::string_view::npos) return text;
  const std::size_t offset = bad + (whole.size() - text.size());  // in the file, the mark included
  // Columns as yaml-cpp counts them, which is after the mark (an editor does not show it).
  const SourceLocation at = location_of(text, bad, file);
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(text[bad]));
  const std::string where = " (byte offset " + std::to_string(offset) + ")";
  if (text[bad] == '\0')
    throw ValidationError(at, "NUL byte" + where + ": a scenario is text, and a NUL cannot be in it" +
                                  (looks_like_utf16(text) ? "; the file looks like UTF-16: save it as UTF-8" : ""));
  throw ValidationError(at, "invalid UTF-8: byte " + std::string(hex) + where +
                                " is not part of a UTF-8 character; save the file as UTF-8 (it may be Latin-1 or "
                                "Windows-1252)");
}

}  // namespace roachrun
