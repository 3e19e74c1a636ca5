#include "latency_histogram.hpp"

#include <algorithm>
#include <bit>

namespace roachrun_bank {

int LatencyHistogram::index(std::uint64_t micros) noexcept {
  if (micros < 64) return static_cast<int>(micros);
  const int msb = 63 - std::countl_zero(micros);  // 6..63
  if (msb > 36) return kBuckets - 1;
  const int shift = msb - 5;  // micros >> shift keeps the top 6 bits: 32..63
  const auto top = static_cast<int>(micros >> shift);
  return 64 + (shift - 1) * 32 + (top - 32);
}

double LatencyHistogram::bucket_middle(int index) noexcept {
  if (index < 64) return index + 0.5;
  const int shift = (index - 64) / 32 + 1;
  const int top = (index - 64) % 32 + 32;
  const double low = static_cast<double>(static_cast<std::uint64_t>(top) << shift);
  return low + static_cast<double>(std::uint64_t{1} << shift) / 2;
}

double LatencyHistogram::bucket_upper(int index) noexcept {
  if (index < 64) return index + 1;
  const int shift = (index - 64) / 32 + 1;
  const int top = (index - 64) % 32 + 32;
  return static_cast<double>(static_cast<std::uint64_t>(top + 1) << shift);
}

LatencyHistogram::~LatencyHistogram() {
  for (auto& block : blocks_) delete[] block.load(std::memory_order_relaxed);
}

std::atomic<std::uint64_t>* LatencyHistogram::new_block(int b) {
  auto* block = new std::atomic<std::uint64_t>[kBlock]{};
  blocks_[static_cast<std::size_t>(b)].store(block, std::memory_order_release);
  return block;
}

void LatencyHistogram::read_into(Snapshot& out) const noexcept {
  for (int b = 0; b < kBlocks; ++b) {
    const std::atomic<std::uint64_t>* block = blocks_[static_cast<std::size_t>(b)].load(std::memory_order_acquire);
    if (!block) continue;
    for (int j = 0; j < kBlock; ++j) out.counts[b * kBlock + j] += block[j].load(std::memory_order_relaxed);
  }
  out.max = std::max(out.max, max_.load(std::memory_order_relaxed));
}

std::uint64_t LatencyHistogram::Snapshot::total() const noexcept {
  std::uint64_t n = 0;
  for (auto c : counts) n += c;
  return n;
}

double LatencyHistogram::Snapshot::quantile(double q) const noexcept {
  const std::uint64_t n = total();
  if (n == 0) return 0;
  // The rank of the q-quantile, 1-based: the smallest value with at least q*n values at or below.
  auto rank = static_cast<std::uint64_t>(q * static_cast<double>(n) + 0.999999);
  rank = std::clamp<std::uint64_t>(rank, 1, n);
  std::uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts[i];
    // A bucket's middle can lie above the largest value recorded: never report more than that.
    if (seen >= rank) return max > 0 ? std::min(bucket_middle(i), static_cast<double>(max)) : bucket_middle(i);
  }
  return static_cast<double>(max);
}

double LatencyHistogram::Snapshot::highest() const noexcept {
  for (int i = kBuckets - 1; i >= 0; --i)
    if (counts[i] > 0) return max > 0 ? std::min(bucket_upper(i), static_cast<double>(max)) : bucket_upper(i);
  return 0;
}

void LatencyHistogram::Snapshot::add(const Snapshot& other) noexcept {
  for (int i = 0; i < kBuckets; ++i) counts[i] += other.counts[i];
  max = std::max(max, other.max);
}

void LatencyHistogram::Snapshot::subtract(const Snapshot& older) noexcept {
  for (int i = 0; i < kBuckets; ++i) counts[i] -= std::min(counts[i], older.counts[i]);
}

}  // namespace roachrun_bank
