#include "engine/duration.hpp"

#include <cmath>
#include <string>

namespace roachrun {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  size_t end = 0;
  double number = 0;
  try {
    number = std::stod(std::string(text), &end);
  } catch (...) {
    return std::nullopt;
  }
  if (end == 0 || !std::isfinite(number) || number < 0) return std::nullopt;
  std::string_view unit = text.substr(end);
  double ms_per_unit = 0;
  if (unit.empty() || unit == "s") ms_per_unit = 1000;
  else if (unit == "ms") ms_per_unit = 1;
  else if (unit == "us") ms_per_unit = 0.001;
  else if (unit == "m" || unit == "min") ms_per_unit = 60'000;
  else if (unit == "h") ms_per_unit = 3'600'000;
  else return std::nullopt;
  double ms = number * ms_per_unit;
  if (ms > 9.0e15) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(ms)));
}

}  // namespace roachrun
