// What the workload's clients count, and how the main thread adds it up.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <roachrun/faults.hpp>

#include "latency_histogram.hpp"

namespace roachrun_bank {

// A counter with one writer: a relaxed load and store, no locked instruction.
class Counter {
 public:
  void add(std::uint64_t n = 1) noexcept { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  std::uint64_t get() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// What one client counts of one host of the target, by the host its session was on: where the
// transaction ran, not where the client went next.
struct HostCounters {
  Counter committed;                // transfers committed there (an ambiguous one found committed too)
  Counter ambiguous_committed;      // COMMIT replies lost there, the ledger says it committed
  Counter ambiguous_not_committed;  // ... and says it did not (then retried)
  Counter given_up;                 // transfers whose last attempt ran there and that failed
  Counter sessions_moved_in;        // sessions lost on another host that the reconnect put here
};

// One client's counters; aligned so two clients never share a cache line.
struct alignas(64) ClientStats {
  // REQUIRES: hosts >= 1, the number of hosts of the target.
  explicit ClientStats(std::size_t hosts = 1) : by_host(hosts) {}

  Counter committed;   // transfers applied and committed
  Counter declined;    // refused for insufficient funds (nothing changed): the tutorial's semantics
  Counter retries;     // attempts after the first, over all transfers
  Counter failures;    // transfers that did not commit after their retries (or whose outcome is unknown)
  Counter unfinished;  // transfers abandoned between retries when the run stopped
  Counter backoff_us;  // time slept between attempts
  Counter reconnects;  // sessions the retry engine replaced after a lost connection
  // The longest the client went without a session: from the start of the attempt that found it
  // lost to the new session (a failover's outage as one client lived it).
  Counter longest_without_us;
  LatencyHistogram latency;  // of committed and declined transfers, retries and backoff included
  std::vector<HostCounters> by_host;  // sized once: one per host of the target
};

// Failures by SQLSTATE. Written only when a transfer fails: a mutex is fine there.
class FailureLog {
 public:
  void add(const std::string& sqlstate, const std::string& message);
  std::map<std::string, std::uint64_t> by_sqlstate() const;
  std::string first_message() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t> counts_;
  std::string first_;
};

// Shared by the clients and the main thread: when to stop, and the first error that stops all.
class RunControl {
 public:
  explicit RunControl(std::optional<std::int64_t> transfers) : limit_(transfers) {}

  // A client asks before each transfer; false means stop (deadline, Ctrl-C, a fatal error, or
  // the transfer count is used up).
  bool claim() noexcept {
    if (stop_.load(std::memory_order_relaxed)) return false;
    if (limit_ && claimed_.fetch_add(1, std::memory_order_relaxed) >= *limit_) return false;
    return true;
  }
  void stop() noexcept { stop_.store(true); }
  bool stopping() const noexcept { return stop_.load(std::memory_order_relaxed); }
  const std::atomic<bool>& stop_flag() const noexcept { return stop_; }

  // The first fatal error of any client stops the run; later ones are dropped (they are almost
  // always the same cause seen by another client).
  // `during_run`: the error came after the client had started transferring (not while it first
  // connected): a target that was there and went away.
  void fail(std::exception_ptr error, bool during_run = false);
  std::exception_ptr fatal() const;
  bool fatal_during_run() const;

 private:
  std::atomic<bool> stop_{false};
  std::atomic<std::int64_t> claimed_{0};
  std::optional<std::int64_t> limit_;
  mutable std::mutex mutex_;
  std::exception_ptr fatal_;
  bool fatal_during_run_ = false;
};

// One host's figures: the clients' counters for it, and the retry engine's fault record
// (roachrun/faults.hpp) of the run.
struct HostTotals {
  std::string endpoint;  // host:port
  std::uint64_t committed = 0, ambiguous_committed = 0, ambiguous_not_committed = 0, given_up = 0;
  std::uint64_t reconnects = 0, outages = 0;  // sessions lost there; times it went away
  std::uint64_t moved_away = 0;               // of those, replaced on another host (failover)
  std::uint64_t moved_in = 0;                 // sessions lost elsewhere that moved here
  double seconds_without_connection = 0;     // summed over the sessions lost there
};

// The clients' counters added up at one moment.
struct Totals {
  std::uint64_t committed = 0, declined = 0, retries = 0, failures = 0, unfinished = 0, backoff_us = 0, reconnects = 0;
  std::uint64_t ambiguous_committed = 0, ambiguous_not_committed = 0;
  std::uint64_t outages = 0;              // add_faults()
  std::uint64_t moved = 0;                // add_faults(): sessions replaced on another host
  double seconds_without_connection = 0;  // add_faults()
  double longest_without_connection = 0;  // seconds, the longest of any one client
  LatencyHistogram::Snapshot latency;
  std::vector<HostTotals> hosts;  // add_up(): the clients' counters; add_faults(): the rest
};
void add_up(const std::vector<std::unique_ptr<ClientStats>>& clients, Totals& out);
// Names out.hosts after `endpoints` (the target's hosts, in order) and adds the retry engine's
// fault record of the run to them; an endpoint of the record that is none of them (one host
// named two ways) gets a row of its own, so the rows always add up to the totals.
void add_faults(Totals& out, const std::vector<std::string>& endpoints, const roachrun::FaultRecords& faults);
std::uint64_t failures_so_far(const std::vector<std::unique_ptr<ClientStats>>& clients);

}  // namespace roachrun_bank
