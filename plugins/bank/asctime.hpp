// The tutorial prints "Balances at {time.asctime()}".
#pragma once

#include <ctime>
#include <string>

namespace roachrun_bank {

// Python's time.asctime() of `t` in local time: "Wed Aug  7 12:11:23 2019" (strftime
// "%a %b %e %H:%M:%S %Y" in the C locale), with no trailing newline.
std::string python_asctime(std::time_t t);

}  // namespace roachrun_bank
