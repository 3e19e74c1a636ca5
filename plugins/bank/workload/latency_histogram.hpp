// Transfer latencies in microseconds, in log-linear buckets (HdrHistogram's layout): exact below
// 64 us, then 32 buckets per power of two, so a quantile is off by at most 1/32 (3%).
//
// One writer (its client thread) and any number of readers (the progress line): the writer's
// record() is a relaxed load and store per counter -- no locked instruction -- and a reader sees
// each count whole, possibly one transfer behind.
//
// The buckets come in blocks of 32 (one power of two), each allocated by the writer the first
// time it records a value in that range: a client's transfers span a few powers of two, so it
// keeps a few blocks (256 bytes each) instead of all 33 (8.4 KiB, which at 256 clients was 2 MiB
// of the workload's resident memory). At most 33 allocations in a histogram's life, none after
// its range is seen.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace roachrun_bank {

class LatencyHistogram {
 public:
  static constexpr int kBuckets = 64 + 31 * 32;  // up to 2^36 us (19 hours); longer is clamped

  static constexpr int kBlock = 32;  // buckets per block
  static constexpr int kBlocks = kBuckets / kBlock;
  static_assert(kBuckets % kBlock == 0);

  LatencyHistogram() = default;
  ~LatencyHistogram();
  LatencyHistogram(const LatencyHistogram&) = delete;
  LatencyHistogram& operator=(const LatencyHistogram&) = delete;

  // May allocate a block (the first value in its range): std::bad_alloc is then the one error.
  void record(std::uint64_t micros) {
    const int i = index(micros);
    std::atomic<std::uint64_t>* block = blocks_[i / kBlock].load(std::memory_order_relaxed);  // only this thread stores
    if (!block) block = new_block(i / kBlock);
    bump(block[i % kBlock]);
    if (micros > max_.load(std::memory_order_relaxed)) max_.store(micros, std::memory_order_relaxed);
  }

  // A copy of the counts, for quantiles over all clients and over an interval.
  struct Snapshot {
    std::array<std::uint64_t, kBuckets> counts{};
    std::uint64_t max = 0;
    std::uint64_t total() const noexcept;
    // The latency under which a fraction q (0..1) of the recorded transfers fall, in microseconds:
    // the middle of that bucket. 0 when empty.
    double quantile(double q) const noexcept;
    // The top of the highest bucket with a count (within 3% of the largest value in it), never
    // above `max`; 0 when empty. An interval's largest latency: an interval has no max of its own.
    double highest() const noexcept;
    void add(const Snapshot& other) noexcept;       // this += other
    void subtract(const Snapshot& older) noexcept;  // this -= older (an interval); max unchanged
  };
  void read_into(Snapshot& out) const noexcept;  // adds this histogram's counts to out

  static int index(std::uint64_t micros) noexcept;
  static double bucket_middle(int index) noexcept;
  static double bucket_upper(int index) noexcept;  // where the bucket ends (exclusive), in us

 private:
  static void bump(std::atomic<std::uint64_t>& c) noexcept {
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  std::atomic<std::uint64_t>* new_block(int b);
  // Published with release, read with acquire: a reader that sees a block sees it zeroed.
  std::array<std::atomic<std::atomic<std::uint64_t>*>, kBlocks> blocks_{};
  std::atomic<std::uint64_t> max_{0};
};

}  // namespace roachrun_bank
