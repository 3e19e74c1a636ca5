// Reading a scenario file from the file system: only a regular file, only up to
// limits::kMaxFileBytes, and never blocking (a FIFO or a device is refused, not opened for
// reading and waited on).
#pragma once

#include <string>

namespace roachrun {

// The file's bytes. Throws ValidationError naming `path` for a file that cannot be opened (a
// symlink loop says so), is not a regular file (and says what it is), or is too big.
std::string read_scenario_file(const std::string& path);

}  // namespace roachrun
