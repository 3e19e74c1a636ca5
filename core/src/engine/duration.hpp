// Durations as users write them in scenarios: "250ms", "1.5s", "2m", "1h", "10us" or a bare
// number of seconds.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace roachrun {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace roachrun
