// The run's logger: everything that is not a step's own output goes to stderr through it.
#pragma once

#include <memory>
#include <string>

#include <spdlog/logger.h>

namespace roachrun {

// `level` is one of trace, debug, info, warn, error, off. Throws UsageError for anything else.
// Known secrets (see redact.hpp) are masked in every line it writes.
std::shared_ptr<spdlog::logger> make_stderr_logger(const std::string& level);

}  // namespace roachrun
