// How errors and logs name a command: its argv as a POSIX shell would read it back, so a user can
// copy it into a terminal ("ls -l 'my dir'").
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace roachrun_exec {

// `word` quoted for /bin/sh when it needs it: as is when it has only safe characters, else in
// single quotes ('it'\''s').
std::string shell_quote(std::string_view word);
// The words joined by spaces, each shell-quoted.
std::string command_text(const std::vector<std::string>& argv);
// "5s", "1.5s", "250ms", "2m": a timeout as the user would have written it.
std::string duration_text(long long ms);
// `bytes` with every invalid UTF-8 sequence replaced by U+FFFD: what a command printed goes into
// JSON (the report, captures), which holds only valid UTF-8.
std::string valid_utf8(std::string_view bytes);

}  // namespace roachrun_exec
