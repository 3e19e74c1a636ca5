// A scenario is UTF-8 text: checked byte by byte before YAML sees it, so a stray NUL or a
// Latin-1 byte is an error at its place instead of a value the database later chokes on (or
// that libpq silently cuts at the NUL).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace roachrun {

// The offset of the first byte of `text` that is NUL or not part of valid UTF-8 (overlong forms,
// surrogates and code points past U+10FFFF included), or std::string_view::npos.
std::size_t first_bad_text_byte(std::string_view text);

// Throws the one "too big" ValidationError at `file` for a scenario of `bytes` bytes, more than
// limits::kMaxFileBytes: the file reader says it before reading, the text check after.
[[noreturn]] void fail_scenario_too_big(const std::string& file, std::size_t bytes);

// `text` without a UTF-8 byte order mark. Throws fail_scenario_too_big's error for a text over
// limits::kMaxFileBytes. Throws ValidationError at `file`:line:column (columns
// count bytes, as yaml-cpp's do) for a NUL or invalid UTF-8, naming the byte offset and the
// byte, and for a UTF-16 or UTF-32 byte order mark ("save it as UTF-8").
std::string_view checked_scenario_text(std::string_view text, const std::string& file);

}  // namespace roachrun
