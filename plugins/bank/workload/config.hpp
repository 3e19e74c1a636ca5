// bank.workload's parameters, read once into plain data the client threads share read-only.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <roachrun/params.hpp>
#include <roachrun/retry.hpp>

namespace roachrun_bank {

// How one transfer travels; see plugins/bank/README.md.
enum class WorkloadProtocol {
  tutorial,  // BEGIN; SELECT; UPDATE; UPDATE; COMMIT -- five round trips, bank.transfer's code
  single,    // one statement in an implicit transaction -- one round trip
  pipeline,  // libpq pipeline mode: BEGIN..UPDATEs in one flight, then COMMIT/ROLLBACK -- two
};

// How the clients run; see client_threads.hpp.
enum class WorkloadEngine {
  events,   // a few threads (WorkloadConfig::threads), each running many clients as fibers over epoll
  threads,  // one thread per client, blocking in libpq
};

// The event engine's default thread count: one per core, or one per kClientsPerEventThread
// clients when that is more. A loop thread competes for the cores with the server's backends as
// one thread among them: with 256 clients on 2 threads the kernel's fair share left its clients'
// replies waiting, transactions lasted longer and SERIALIZABLE failed twice as many (bench/README.md).
inline constexpr int kClientsPerEventThread = 16;
int default_event_threads(int clients) noexcept;

enum class Distribution {
  uniform,  // every account equally likely
  skewed,   // 90% of transfers between the first max(2, accounts / 100) "hot" accounts
};

const char* to_string(WorkloadProtocol p) noexcept;
const char* to_string(Distribution d) noexcept;
const char* to_string(WorkloadEngine e) noexcept;

struct WorkloadConfig {
  std::int64_t accounts = 1000;
  std::int64_t initial_balance = 1000;
  std::int64_t amount = 10;  // each transfer moves a uniformly random amount in [1, amount]
  int clients = 8;
  std::optional<std::chrono::milliseconds> duration;  // stop at whichever of these comes first
  std::optional<std::int64_t> transfers;
  WorkloadProtocol protocol = WorkloadProtocol::tutorial;
  std::uint64_t seed = 0;  // client i draws from seed + i
  Distribution distribution = Distribution::uniform;
  std::optional<std::int64_t> rate;  // transfers/s over all clients
  // pipeline only: transfers one connection keeps in flight, each its own transaction in its own
  // Sync segment (1: the two-flight BEGIN..COMMIT transaction). See WorkloadClient::batched().
  int in_flight = 1;
  bool ledger = false;
  WorkloadEngine engine = WorkloadEngine::events;
  int threads = 1;  // events: the threads the clients share (default_event_threads)
  std::optional<std::int64_t> max_failures;
  // The time series' interval (the JSON report's time_series, the HTML report's charts); the
  // progress line shows the last one.
  std::chrono::milliseconds interval{1000};
  std::string table;         // as written; quoted where SQL is built
  std::string ledger_table;  // table + "_ledger"
  roachrun::RetryPolicy retry;  // the step's, with `isolation` applied

  // The hot set of the skewed distribution.
  std::int64_t hot_accounts() const noexcept { return accounts / 100 > 2 ? accounts / 100 : 2; }
};

// The most transfers one connection keeps in flight: libpq writes a pipeline without reading, so
// what is queued must fit the socket buffers (64 transfers are about 6 kB each way).
constexpr int kMaxInFlight = 64;

// The parameter declarations of bank.workload.
std::vector<roachrun::ParamSpec> workload_params();
// The choices of its string parameters (protocol, distribution, isolation), for the plugin's
// step details (SDK 3.4): the same tables check_workload checks against.
std::vector<std::pair<std::string, std::vector<std::string>>> workload_choices();
// Cross-parameter and choice checks at validation time; throws ParamError naming the parameter.
void check_workload(const roachrun::Params& p);
// The configuration of a validated step; `retry` is the step's retry policy.
WorkloadConfig workload_config(const roachrun::Params& p, roachrun::RetryPolicy retry);

}  // namespace roachrun_bank
