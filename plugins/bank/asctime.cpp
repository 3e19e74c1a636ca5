#include "asctime.hpp"

#include <cstdio>

namespace roachrun_bank {

std::string python_asctime(std::time_t t) {
  // Names spelled out rather than strftime's %a/%b: those follow LC_TIME, and Python's asctime
  // is always English.
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[64];
  // %2d pads a one-digit day with a space, like asctime and strftime's %e.
  std::snprintf(buf, sizeof buf, "%s %s %2d %02d:%02d:%02d %d", kDays[tm.tm_wday % 7], kMonths[tm.tm_mon % 12],
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
  return buf;
}

}  // namespace roachrun_bank
