#include "config.hpp"

#include <algorithm>
#include <random>
#include <thread>
#include <string_view>
#include <utility>

#include <roachrun/error.hpp>

#include "accounts.hpp"

namespace roachrun_bank {

namespace {

using roachrun::ParamSpec;
using roachrun::ParamType;

template <typename Enum, std::size_t N>
Enum choice(const roachrun::Params& p, const char* name, const std::pair<const char*, Enum> (&choices)[N]) {
  const std::string text = p.string(name);
  std::string list;
  for (std::size_t i = 0; i < N; ++i) {
    if (text == choices[i].first) return choices[i].second;
    list += std::string(i == 0 ? "" : i + 1 == N ? " or " : ", ") + choices[i].first;
  }
  throw roachrun::ParamError(name, "'" + std::string(name) + "' must be " + list + ", got '" + text + "'");
}

constexpr std::pair<const char*, WorkloadProtocol> kProtocols[] = {
    {"tutorial", WorkloadProtocol::tutorial}, {"single", WorkloadProtocol::single}, {"pipeline", WorkloadProtocol::pipeline}};
constexpr std::pair<const char*, WorkloadEngine> kEngines[] = {{"events", WorkloadEngine::events},
                                                               {"threads", WorkloadEngine::threads}};
constexpr std::pair<const char*, Distribution> kDistributions[] = {{"uniform", Distribution::uniform},
                                                                   {"skewed", Distribution::skewed}};
constexpr std::pair<const char*, roachrun::Isolation> kIsolations[] = {
    {"serializable", roachrun::Isolation::serializable},
    {"repeatable_read", roachrun::Isolation::repeatable_read},
    {"read_committed", roachrun::Isolation::read_committed},
    {"server_default", roachrun::Isolation::server_default}};

ParamSpec bounded(ParamSpec spec, std::optional<std::int64_t> min, std::optional<std::int64_t> max = std::nullopt) {
  spec.min = min;
  spec.max = max;
  return spec;
}

template <typename Enum, std::size_t N>
std::vector<std::string> names(const std::pair<const char*, Enum> (&choices)[N]) {
  std::vector<std::string> out;
  for (const auto& [name, value] : choices) out.emplace_back(name);
  return out;
}

}  // namespace

std::vector<std::pair<std::string, std::vector<std::string>>> workload_choices() {
  return {{"protocol", names(kProtocols)}, {"distribution", names(kDistributions)}, {"isolation", names(kIsolations)},
          {"engine", names(kEngines)}};
}

const char* to_string(WorkloadProtocol p) noexcept {
  for (const auto& [name, value] : kProtocols)
    if (value == p) return name;
  return "tutorial";
}

const char* to_string(Distribution d) noexcept { return d == Distribution::skewed ? "skewed" : "uniform"; }

const char* to_string(WorkloadEngine e) noexcept { return e == WorkloadEngine::threads ? "threads" : "events"; }

std::vector<ParamSpec> workload_params() {
  using roachrun::optional_param;
  // Large enough for any real run, small enough that accounts x balance and the sums of a long
  // run stay far from BIGINT's limit.
  constexpr std::int64_t kMaxAccounts = 100'000'000, kMaxBalance = 1'000'000'000'000;
  return {
      bounded(optional_param("accounts", ParamType::integer, "number of accounts, 1..N", 1000), 2, kMaxAccounts),
      bounded(optional_param("initial_balance", ParamType::integer, "every account's balance at the start", 1000), 0,
              kMaxBalance),
      bounded(optional_param("amount", ParamType::integer, "each transfer moves a random amount from 1 to this", 10), 1,
              kMaxBalance),
      bounded(optional_param("clients", ParamType::integer, "concurrent clients, one connection each", 8), 1, 1024),
      optional_param("engine", ParamType::string,
                     "events (clients as fibers on a few threads, non-blocking libpq and epoll) or threads "
                     "(one thread per client)",
                     "events"),
      bounded(optional_param("threads", ParamType::integer,
                             "engine events: threads the clients share (default: one per core, or one per " +
                                 std::to_string(kClientsPerEventThread) + " clients when that is more)"),
              1, 1024),
      optional_param("duration", ParamType::duration, "how long to run (default 10s when transfers is not given)"),
      bounded(optional_param("transfers", ParamType::integer, "stop after this many transfers (with duration: first wins)"),
              1),
      optional_param("protocol", ParamType::string, "tutorial (5 round trips), single (1 statement) or pipeline (2)",
                     "tutorial"),
      optional_param("isolation", ParamType::string,
                     "serializable, repeatable_read, read_committed or server_default (default: the retry policy's)"),
      bounded(optional_param("seed", ParamType::integer, "seed of the account and amount choice (default: random)"), 0),
      optional_param("distribution", ParamType::string, "uniform, or skewed: 90% of transfers among 1% hot accounts",
                     "uniform"),
      bounded(optional_param("in_flight", ParamType::integer,
                             "pipeline protocol: transfers in flight per connection, each its own transaction in "
                             "its own Sync segment",
                             1),
              1, kMaxInFlight),
      bounded(optional_param("rate", ParamType::integer, "limit: transfers per second over all clients"), 1),
      optional_param("ledger", ParamType::boolean,
                     "record every transfer in <table>_ledger in its transaction; the audit then checks each account",
                     false),
      bounded(optional_param("max_failures", ParamType::integer,
                             "fail the step if more transfers than this failed after their retries (default: report only)"),
              0),
      optional_param("table", ParamType::string, "the accounts table: dropped and created again by the step", "accounts"),
      optional_param("interval", ParamType::duration,
                     "the time series' interval (reports' charts, the progress line), at least 100ms", "1s"),
  };
}

void check_workload(const roachrun::Params& p) {
  check_table(p);
  (void)choice(p, "protocol", kProtocols);
  (void)choice(p, "distribution", kDistributions);
  (void)choice(p, "engine", kEngines);
  if (p.has("threads") && choice(p, "engine", kEngines) != WorkloadEngine::events)
    throw roachrun::ParamError("threads", "'threads' is for engine: events (engine: threads runs one thread per client)");
  if (p.has("isolation")) (void)choice(p, "isolation", kIsolations);
  if (p.integer("in_flight") > 1 && choice(p, "protocol", kProtocols) != WorkloadProtocol::pipeline)
    throw roachrun::ParamError("in_flight", "'in_flight' above 1 needs protocol: pipeline (got protocol: " +
                                                p.string("protocol") + ")");
  if (p.has("duration") && p.duration("duration").count() <= 0)
    throw roachrun::ParamError("duration", "'duration' must be longer than 0, e.g. 30s");
  // The main thread looks every 20 ms: a shorter interval would be mostly sampling noise.
  if (p.duration("interval") < std::chrono::milliseconds(100))
    throw roachrun::ParamError("interval", "'interval' must be at least 100ms, e.g. 1s");
}

int default_event_threads(int clients) noexcept {
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  return std::max(cores, (clients + kClientsPerEventThread - 1) / kClientsPerEventThread);
}

WorkloadConfig workload_config(const roachrun::Params& p, roachrun::RetryPolicy retry) {
  WorkloadConfig c;
  c.accounts = p.integer("accounts");
  c.initial_balance = p.integer("initial_balance");
  c.amount = p.integer("amount");
  c.clients = static_cast<int>(p.integer("clients"));
  if (p.has("duration")) c.duration = p.duration("duration");
  if (p.has("transfers")) c.transfers = p.integer("transfers");
  if (!c.duration && !c.transfers) c.duration = std::chrono::seconds(10);
  c.protocol = choice(p, "protocol", kProtocols);
  c.seed = p.has("seed") ? static_cast<std::uint64_t>(p.integer("seed")) : std::random_device{}();
  c.distribution = choice(p, "distribution", kDistributions);
  if (p.has("rate")) c.rate = p.integer("rate");
  c.in_flight = static_cast<int>(p.integer("in_flight"));
  c.ledger = p.boolean("ledger");
  c.engine = choice(p, "engine", kEngines);
  c.threads = p.has("threads") ? static_cast<int>(p.integer("threads")) : default_event_threads(c.clients);
  if (p.has("max_failures")) c.max_failures = p.integer("max_failures");
  c.table = p.string("table");
  c.interval = p.duration("interval");
  c.ledger_table = c.table + "_ledger";
  c.retry = std::move(retry);
  if (p.has("isolation")) c.retry.isolation = choice(p, "isolation", kIsolations);
  return c;
}

}  // namespace roachrun_bank
