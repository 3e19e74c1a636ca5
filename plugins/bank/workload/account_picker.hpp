// Which accounts a transfer moves money between, and how much: reproducible from a seed, cheap
// (a few multiplications), no allocation.
#pragma once

#include <cstdint>

#include "config.hpp"

namespace roachrun_bank {

// xoshiro-style generators are overkill here: splitmix64 passes BigCrush and is one line.
class Random {
 public:
  explicit Random(std::uint64_t seed) noexcept : state_(seed) {}
  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n), n > 0. The modulo's bias is below n / 2^64: nothing a run could see.
  std::uint64_t below(std::uint64_t n) noexcept { return next() % n; }
  double unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)

 private:
  std::uint64_t state_;
};

struct TransferChoice {
  std::int64_t from;
  std::int64_t to;  // never == from
  std::int64_t amount;
};

class AccountPicker {
 public:
  AccountPicker(const WorkloadConfig& config, std::uint64_t seed) noexcept
      : random_(seed),
        accounts_(config.accounts),
        hot_(config.hot_accounts()),
        amount_(config.amount),
        skewed_(config.distribution == Distribution::skewed) {}

  TransferChoice next() noexcept {
    // Skewed: 9 in 10 transfers stay among the hot accounts (the first 1%, at least 2).
    const std::int64_t n = skewed_ && random_.below(10) != 0 ? hot_ : accounts_;
    TransferChoice c;
    c.from = 1 + static_cast<std::int64_t>(random_.below(static_cast<std::uint64_t>(n)));
    // One of the other n-1 accounts: from's successors, wrapping around (as the pgbench script).
    c.to = 1 + (c.from + static_cast<std::int64_t>(random_.below(static_cast<std::uint64_t>(n - 1)))) % n;
    c.amount = 1 + static_cast<std::int64_t>(random_.below(static_cast<std::uint64_t>(amount_)));
    return c;
  }

 private:
  Random random_;
  std::int64_t accounts_;
  std::int64_t hot_;
  std::int64_t amount_;
  bool skewed_;
};

}  // namespace roachrun_bank
