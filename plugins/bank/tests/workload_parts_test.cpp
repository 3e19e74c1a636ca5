// The workload's parts that need no server: latency quantiles, the account choice, the spread
// over hosts, the per-host figures and the parameter checks. The workload itself is tested end
// to end against a real PostgreSQL in tests/integration/workload_test.cpp.
#include <algorithm>
#include <thread>
#include <cmath>
#include <map>
#include <memory>
#include <set>

#include <gtest/gtest.h>
#include <roachrun/error.hpp>

#include "workload/account_picker.hpp"
#include "workload/host_spread.hpp"
#include "workload/latency_histogram.hpp"
#include "workload/config.hpp"
#include "workload/stats.hpp"
#include "workload/time_series.hpp"

namespace roachrun_bank {
namespace {

TEST(LatencyHistogram, SmallValuesAreExact) {
  for (std::uint64_t v = 0; v < 64; ++v) EXPECT_EQ(LatencyHistogram::index(v), static_cast<int>(v));
}

TEST(LatencyHistogram, BucketsGrowWithTheValueAndStayWithinThreePercent) {
  int last = 0;
  for (std::uint64_t v = 1; v < (std::uint64_t{1} << 36); v = v + 1 + v / 97) {
    const int i = LatencyHistogram::index(v);
    ASSERT_GE(i, last) << v;
    last = i;
    const double middle = LatencyHistogram::bucket_middle(i);
    ASSERT_LE(std::abs(middle - static_cast<double>(v)) / static_cast<double>(v), v < 64 ? 1.0 : 0.032) << v;
  }
  EXPECT_LT(last, LatencyHistogram::kBuckets);
  EXPECT_EQ(LatencyHistogram::index(std::uint64_t{1} << 50), LatencyHistogram::kBuckets - 1);  // clamped
}

TEST(LatencyHistogram, QuantilesOfAKnownDistribution) {
  LatencyHistogram h;
  for (std::uint64_t v = 1; v <= 10'000; ++v) h.record(v);  // 1 us .. 10 ms, uniform
  LatencyHistogram::Snapshot s;
  h.read_into(s);
  EXPECT_EQ(s.total(), 10'000u);
  EXPECT_EQ(s.max, 10'000u);
  EXPECT_NEAR(s.quantile(0.50), 5000, 5000 * 0.032);
  EXPECT_NEAR(s.quantile(0.99), 9900, 9900 * 0.032);
  EXPECT_LE(s.quantile(1.0), 10'000);  // never above the largest value seen
}

TEST(LatencyHistogram, IntervalIsTheDifferenceOfSnapshots) {
  LatencyHistogram h;
  for (int i = 0; i < 100; ++i) h.record(10);
  LatencyHistogram::Snapshot before;
  h.read_into(before);
  for (int i = 0; i < 100; ++i) h.record(5000);
  LatencyHistogram::Snapshot now;
  h.read_into(now);
  now.subtract(before);
  EXPECT_EQ(now.total(), 100u);
  EXPECT_NEAR(now.quantile(0.5), 5000, 5000 * 0.032);
  LatencyHistogram::Snapshot empty;
  EXPECT_EQ(empty.quantile(0.5), 0);
}

WorkloadConfig config_with(std::int64_t accounts, Distribution d = Distribution::uniform) {
  WorkloadConfig c;
  c.accounts = accounts;
  c.amount = 10;
  c.distribution = d;
  return c;
}

TEST(AccountPicker, TwoDistinctAccountsInRangeAndAnAmountInRange) {
  for (std::int64_t n : {2, 3, 1000}) {
    AccountPicker picker(config_with(n), 42);
    std::set<std::int64_t> seen;
    for (int i = 0; i < 20'000; ++i) {
      const TransferChoice c = picker.next();
      ASSERT_NE(c.from, c.to);
      ASSERT_GE(c.from, 1);
      ASSERT_LE(c.from, n);
      ASSERT_GE(c.to, 1);
      ASSERT_LE(c.to, n);
      ASSERT_GE(c.amount, 1);
      ASSERT_LE(c.amount, 10);
      seen.insert(c.to);
    }
    EXPECT_EQ(static_cast<std::int64_t>(seen.size()), n) << "every account is a destination sometimes";
  }
}

TEST(AccountPicker, SameSeedSameTransfers) {
  AccountPicker a(config_with(1000), 7), b(config_with(1000), 7), c(config_with(1000), 8);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next(), y = b.next(), z = c.next();
    EXPECT_TRUE(x.from == y.from && x.to == y.to && x.amount == y.amount);
    differs |= x.from != z.from;
  }
  EXPECT_TRUE(differs);
}

TEST(AccountPicker, SkewedFavoursTheHotAccounts) {
  const WorkloadConfig config = config_with(1000, Distribution::skewed);
  ASSERT_EQ(config.hot_accounts(), 10);
  AccountPicker picker(config, 1);
  int hot = 0;
  for (int i = 0; i < 10'000; ++i) hot += picker.next().from <= 10;
  EXPECT_NEAR(hot / 10'000.0, 0.9 + 0.1 * 0.01, 0.02);
  EXPECT_EQ(config_with(50, Distribution::skewed).hot_accounts(), 2);  // at least two
}

std::map<std::string, std::string> as_map(const LibpqOptions& options) { return {options.begin(), options.end()}; }

TEST(HostSpread, EachClientGetsTheListRotatedToStartAtItsOwnHost) {
  const auto spread = spread_over_hosts({{"host", "a,b,c"}, {"port", "1,2,3"}, {"user", "root"}}, 5);
  EXPECT_EQ(spread.hosts, (std::vector<std::string>{"a:1", "b:2", "c:3"}));
  ASSERT_EQ(spread.clients.size(), 5u);
  // Round-robin first hosts, each followed by the others in the target's order: libpq tries them
  // in turn, so a client whose host is gone moves to the next one that answers.
  const char* expected_hosts[] = {"a,b,c", "b,c,a", "c,a,b", "a,b,c", "b,c,a"};
  const char* expected_ports[] = {"1,2,3", "2,3,1", "3,1,2", "1,2,3", "2,3,1"};
  for (int i = 0; i < 5; ++i) {
    auto o = as_map(spread.clients[i]);
    EXPECT_EQ(o["host"], expected_hosts[i]) << "client " << i;
    EXPECT_EQ(o["port"], expected_ports[i]) << "client " << i;
    EXPECT_EQ(o["user"], "root");
    EXPECT_EQ(spread.clients[i].size(), 3u) << "no option added or lost";
  }
}

TEST(HostSpread, HostaddrRotatesWithTheHostsAndOnePortServesAll) {
  const auto spread =
      spread_over_hosts({{"host", "n1,n2"}, {"hostaddr", "10.0.0.1,10.0.0.2"}, {"port", "26257"}}, 2);
  EXPECT_EQ(spread.hosts, (std::vector<std::string>{"n1:26257", "n2:26257"}));
  auto second = as_map(spread.clients[1]);
  EXPECT_EQ(second["host"], "n2,n1");
  EXPECT_EQ(second["hostaddr"], "10.0.0.2,10.0.0.1");
  EXPECT_EQ(second["port"], "26257");
  // Named by hostaddr where a host is left out, as Connection::endpoint() names the session.
  EXPECT_EQ(spread_over_hosts({{"hostaddr", "10.0.0.1,10.0.0.2"}, {"port", "1,2"}}, 1).hosts,
            (std::vector<std::string>{"10.0.0.1:1", "10.0.0.2:2"}));
}

// A primary/standby target: target_session_attrs (and every other option) goes with each rotated
// list, so libpq passes over the read-only standby for every client, whichever host it starts at.
TEST(HostSpread, TargetSessionAttrsTravelsWithEveryClientsList) {
  const LibpqOptions base = {{"host", "127.0.0.1,127.0.0.1"}, {"port", "27001,27002"},
                             {"target_session_attrs", "read-write"}, {"connect_timeout", "10"}};
  const auto spread = spread_over_hosts(base, 2);
  ASSERT_EQ(spread.clients.size(), 2u);
  EXPECT_EQ(as_map(spread.clients[1])["port"], "27002,27001");
  for (const auto& options : spread.clients) {
    EXPECT_EQ(as_map(options)["target_session_attrs"], "read-write");
    EXPECT_EQ(as_map(options)["connect_timeout"], "10");
  }
}

TEST(HostSpread, OneHostIsLeftAsItIs) {
  const LibpqOptions base = {{"host", "/tmp"}, {"port", "5432"}, {"dbname", "bank"}};
  const auto spread = spread_over_hosts(base, 3);
  EXPECT_EQ(spread.hosts, (std::vector<std::string>{"/tmp:5432"}));
  ASSERT_EQ(spread.clients.size(), 3u);
  for (const auto& options : spread.clients) EXPECT_EQ(options, base);
}

TEST(HostTotals, ClientsCountsAndTheFaultRecordAddUpByHost) {
  std::vector<std::unique_ptr<ClientStats>> clients;
  for (int i = 0; i < 2; ++i) clients.push_back(std::make_unique<ClientStats>(2));
  clients[0]->by_host[0].committed.add(5);
  clients[0]->by_host[0].ambiguous_committed.add();
  clients[1]->by_host[0].committed.add(2);  // client 1 moved to host 0 for a while
  clients[1]->by_host[1].committed.add(7);
  clients[1]->by_host[1].ambiguous_not_committed.add(2);
  clients[1]->by_host[1].given_up.add();
  clients[1]->by_host[1].sessions_moved_in.add(3);  // a failover from host 0
  clients[0]->longest_without_us.add(1'500'000);
  clients[1]->longest_without_us.add(4'250'000);
  Totals total;
  add_up(clients, total);
  EXPECT_DOUBLE_EQ(total.longest_without_connection, 4.25) << "the longest of any one client, not a sum";
  EXPECT_EQ(total.ambiguous_committed, 1u);
  EXPECT_EQ(total.ambiguous_not_committed, 2u);
  roachrun::FaultRecords faults;
  faults["a:1"] = {.sessions_lost = 3, .sessions_moved = 3, .outages = 1, .without_connection = std::chrono::milliseconds(250)};
  faults["elsewhere:9"] = {.sessions_lost = 1, .sessions_moved = 0, .outages = 0, .without_connection = std::chrono::milliseconds(50)};
  add_faults(total, {"a:1", "b:2"}, faults);
  ASSERT_EQ(total.hosts.size(), 3u) << "an endpoint of the record that is no host of the target gets its own row";
  EXPECT_EQ(total.hosts[0].endpoint, "a:1");
  EXPECT_EQ(total.hosts[0].committed, 7u);
  EXPECT_EQ(total.hosts[0].ambiguous_committed, 1u);
  EXPECT_EQ(total.hosts[0].reconnects, 3u);
  EXPECT_EQ(total.hosts[0].outages, 1u);
  EXPECT_DOUBLE_EQ(total.hosts[0].seconds_without_connection, 0.25);
  EXPECT_EQ(total.hosts[0].moved_away, 3u);
  EXPECT_EQ(total.hosts[1].moved_in, 3u);
  EXPECT_EQ(total.hosts[1].moved_away, 0u);
  EXPECT_EQ(total.hosts[1].endpoint, "b:2");
  EXPECT_EQ(total.hosts[1].committed, 7u);
  EXPECT_EQ(total.hosts[1].ambiguous_not_committed, 2u);
  EXPECT_EQ(total.hosts[1].given_up, 1u);
  EXPECT_EQ(total.hosts[1].reconnects, 0u);
  EXPECT_EQ(total.hosts[2].endpoint, "elsewhere:9");
  EXPECT_EQ(total.hosts[2].reconnects, 1u);
  EXPECT_EQ(total.outages, 1u);
  EXPECT_EQ(total.moved, 3u);
  EXPECT_DOUBLE_EQ(total.seconds_without_connection, 0.3);
}

roachrun::Params params(roachrun::Value overrides) {
  roachrun::Value v = {{"accounts", 1000}, {"initial_balance", 1000}, {"amount", 10}, {"clients", 8},
                       {"protocol", "tutorial"}, {"distribution", "uniform"}, {"ledger", false},
                       {"table", "accounts"}, {"interval", 1000}, {"in_flight", 1}, {"engine", "events"}};
  for (auto& [k, x] : overrides.items()) v[k] = x;
  return roachrun::Params(v);
}

TEST(WorkloadConfig, ChoicesAreCheckedNamingTheParameter) {
  EXPECT_NO_THROW(check_workload(params({})));
  try {
    check_workload(params({{"protocol", "smoke"}}));
    FAIL() << "no error";
  } catch (const roachrun::ParamError& e) {
    EXPECT_EQ(e.param(), "protocol");
    EXPECT_NE(std::string(e.what()).find("tutorial, single or pipeline"), std::string::npos) << e.what();
  }
  EXPECT_THROW(check_workload(params({{"distribution", "zipfian"}})), roachrun::ParamError);
  EXPECT_THROW(check_workload(params({{"isolation", "snapshot"}})), roachrun::ParamError);
  EXPECT_THROW(check_workload(params({{"table", ""}})), roachrun::ParamError);
}

TEST(WorkloadConfig, DefaultsToTenSecondsAndAppliesIsolation) {
  WorkloadConfig c = workload_config(params({{"isolation", "read_committed"}}), roachrun::RetryPolicy{});
  ASSERT_TRUE(c.duration);
  EXPECT_EQ(c.duration->count(), 10'000);
  EXPECT_FALSE(c.transfers);
  EXPECT_EQ(c.retry.isolation, roachrun::Isolation::read_committed);
  EXPECT_EQ(c.ledger_table, "accounts_ledger");
  c = workload_config(params({{"transfers", 500}, {"protocol", "pipeline"}}), roachrun::RetryPolicy{});
  EXPECT_FALSE(c.duration) << "a count alone runs until it is done";
  EXPECT_EQ(c.protocol, WorkloadProtocol::pipeline);
}

// --- the time series ---------------------------------------------------------------------------

TEST(LatencyHistogram, HighestIsTheTopOfTheLastBucketUsedNeverAboveTheMax) {
  LatencyHistogram h;
  LatencyHistogram::Snapshot empty;
  EXPECT_EQ(empty.highest(), 0);
  for (std::uint64_t v : {10u, 200u, 4'990u}) h.record(v);
  LatencyHistogram::Snapshot s;
  h.read_into(s);
  EXPECT_EQ(s.highest(), 4'990) << "capped by the largest value recorded";
  s.max = 0;  // an interval's difference: no max of its own
  EXPECT_GE(s.highest(), 4'990);
  EXPECT_LE(s.highest(), 4'990 * 1.032);
  for (int i = 1; i < LatencyHistogram::kBuckets; ++i)
    ASSERT_GT(LatencyHistogram::bucket_upper(i), LatencyHistogram::bucket_upper(i - 1)) << i;
}

// Two clients' counters, sampled the way the workload's main thread samples them.
struct TwoClients {
  std::vector<std::unique_ptr<ClientStats>> clients;
  explicit TwoClients(std::size_t hosts = 1) {
    for (int i = 0; i < 2; ++i) clients.push_back(std::make_unique<ClientStats>(hosts));
  }
  Totals sample() const {
    Totals t;
    add_up(clients, t);
    return t;
  }
};

TEST(TimeSeries, EachIntervalCountsWhatHappenedInItAndTheRowsAddUpToTheRun) {
  TwoClients run;
  const Totals t0 = run.sample();
  run.clients[0]->committed.add(30);
  run.clients[1]->committed.add(10);
  run.clients[1]->declined.add(2);
  run.clients[0]->retries.add(4);
  const Totals t1 = run.sample();
  run.clients[1]->committed.add(5);
  run.clients[0]->failures.add(1);
  run.clients[1]->reconnects.add(3);
  const Totals t2 = run.sample();
  const Interval a = interval_between(0, 1.0, t1, t0, {"h:1"}, {}, {});
  const Interval b = interval_between(1.0, 0.5, t2, t1, {"h:1"}, {}, {});
  EXPECT_EQ(a.committed, 40u);
  EXPECT_EQ(a.declined, 2u);
  EXPECT_EQ(a.retries, 4u);
  EXPECT_EQ(a.failures, 0u);
  EXPECT_DOUBLE_EQ(a.transfers_per_second(), 42.0);
  EXPECT_EQ(b.committed, 5u);
  EXPECT_EQ(b.failures, 1u);
  EXPECT_EQ(b.reconnects, 3u);
  EXPECT_DOUBLE_EQ(b.start_s, 1.0);
  EXPECT_DOUBLE_EQ(b.transfers_per_second(), 10.0) << "a part-interval's rate is over its own length";
  EXPECT_EQ(a.committed + b.committed, t2.committed);
  EXPECT_TRUE(a.hosts.empty()) << "one host: no per-host rows";
}

TEST(TimeSeries, PercentilesAreThoseOfTheIntervalNotOfTheRunSoFar) {
  TwoClients run;
  const Totals t0 = run.sample();
  for (int i = 0; i < 1000; ++i) run.clients[i % 2]->latency.record(1'000);  // 1 ms
  const Totals t1 = run.sample();
  for (int i = 0; i < 90; ++i) run.clients[0]->latency.record(20'000);  // 20 ms
  for (int i = 0; i < 10; ++i) run.clients[1]->latency.record(100'000);  // 100 ms
  const Totals t2 = run.sample();
  for (int i = 0; i < 10; ++i) run.clients[0]->latency.record(2'000);  // 2 ms, after the slow ones
  const Totals t3 = run.sample();
  const Interval fast = interval_between(0, 1, t1, t0, {"h:1"}, {}, {});
  const Interval slow = interval_between(1, 1, t2, t1, {"h:1"}, {}, {});
  const Interval after = interval_between(2, 1, t3, t2, {"h:1"}, {}, {});
  EXPECT_NEAR(fast.p50_ms, 1.0, 0.032);
  EXPECT_NEAR(fast.p99_ms, 1.0, 0.032);
  EXPECT_NEAR(fast.max_ms, 1.0, 0.032);
  EXPECT_NEAR(slow.p50_ms, 20.0, 20 * 0.032) << "not diluted by the thousand fast transfers before";
  EXPECT_NEAR(slow.p95_ms, 100.0, 100 * 0.032);
  EXPECT_NEAR(slow.p99_ms, 100.0, 100 * 0.032);
  EXPECT_DOUBLE_EQ(slow.max_ms, 100.0);
  EXPECT_NEAR(after.max_ms, 2.0, 2 * 0.032) << "an interval's max is its own, not the run's";
  EXPECT_NEAR(after.p50_ms, 2.0, 2 * 0.032);
  const Interval idle = interval_between(3, 1, t3, t3, {"h:1"}, {}, {});
  EXPECT_EQ(idle.p99_ms, 0) << "an interval with no transfer has no latency";
  EXPECT_EQ(idle.max_ms, 0);
}

TEST(TimeSeries, SeveralHostsGetTheirOwnRowsWithTheEnginesReconnects) {
  TwoClients run(2);
  Totals t0 = run.sample();
  t0.hosts[0].endpoint = "a:1";
  run.clients[0]->by_host[0].committed.add(7);
  run.clients[1]->by_host[1].committed.add(3);
  run.clients[1]->by_host[1].given_up.add(1);
  const Totals t1 = run.sample();
  roachrun::FaultRecords before, now;
  before["a:1"].sessions_lost = 2;
  now["a:1"].sessions_lost = 5;
  now["b:2"].sessions_lost = 1;
  const Interval row = interval_between(0, 1, t1, t0, {"a:1", "b:2"}, now, before);
  ASSERT_EQ(row.hosts.size(), 2u);
  EXPECT_EQ(row.hosts[0].committed, 7u);
  EXPECT_EQ(row.hosts[0].reconnects, 3u) << "what the interval added to the record";
  EXPECT_EQ(row.hosts[1].committed, 3u);
  EXPECT_EQ(row.hosts[1].failures, 1u);
  EXPECT_EQ(row.hosts[1].reconnects, 1u);
}

TEST(TimeSeries, MemoryIsBoundedByIntervalsNotTransfers) {
  // The same 10 intervals with 10 transfers each and with 100,000 each: the same rows, the same
  // JSON but for the digits.
  const auto series_json = [](int per_interval) {
    TwoClients run;
    std::vector<Interval> series;
    Totals before = run.sample();
    for (int i = 0; i < 10; ++i) {
      for (int n = 0; n < per_interval; ++n) {
        run.clients[n % 2]->committed.add();
        run.clients[n % 2]->latency.record(static_cast<std::uint64_t>(500 + n % 3000));
      }
      Totals now = run.sample();
      series.push_back(interval_between(i, 1, now, before, {"h:1"}, {}, {}));
      before = now;
    }
    roachrun::Value result = roachrun::Value::object();
    add_time_series_json(result, std::chrono::seconds(1), series, {}, OutageSpans::clock::now(), before.latency);
    return result;
  };
  const roachrun::Value small = series_json(10), large = series_json(100'000);
  EXPECT_EQ(small["time_series"].size(), 10u);
  EXPECT_EQ(large["time_series"].size(), 10u);
  EXPECT_EQ(large["time_series"][9]["committed"], 100'000);
  EXPECT_LE(large["latency_histogram"].size(), static_cast<std::size_t>(LatencyHistogram::kBuckets));
  EXPECT_LT(large.dump().size(), small.dump().size() + 10 * 200 + 100 * large["latency_histogram"].size())
      << "a million transfers add digits, not rows";
  std::uint64_t in_histogram = 0;
  for (const auto& bucket : large["latency_histogram"]) {
    in_histogram += bucket["count"].get<std::uint64_t>();
    EXPECT_LT(bucket["from_ms"].get<double>(), bucket["to_ms"].get<double>());
  }
  EXPECT_EQ(in_histogram, 1'000'000u) << "every transfer's latency is in the histogram";
  EXPECT_DOUBLE_EQ(large["interval_seconds"].get<double>(), 1.0);
}

TEST(OutageSpans, OverlappingSpansMergeAndDisjointOnesStayInOrder) {
  using clock = OutageSpans::clock;
  const clock::time_point t0 = clock::now();
  const auto at = [t0](int ms) { return t0 + std::chrono::milliseconds(ms); };
  OutageSpans spans;
  spans.add(at(5000), at(6000));
  spans.add(at(1000), at(3000));  // eight clients losing one server: overlapping spans
  spans.add(at(1200), at(3100));
  spans.add(at(2900), at(3050));
  spans.add(at(3100), at(3200));  // touching the merged one
  const auto list = spans.spans();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].from, at(1000));
  EXPECT_EQ(list[0].to, at(3200));
  EXPECT_EQ(list[0].sessions, 4u);
  EXPECT_EQ(list[1].from, at(5000));
  EXPECT_EQ(list[1].sessions, 1u);
  // One span that covers both swallows them.
  spans.add(at(0), at(7000));
  ASSERT_EQ(spans.spans().size(), 1u);
  EXPECT_EQ(spans.spans()[0].sessions, 6u);
}

TEST(OutageSpans, AFlappingTargetCannotGrowThemWithoutBound) {
  using clock = OutageSpans::clock;
  const clock::time_point t0 = clock::now();
  OutageSpans spans;
  for (int i = 0; i < 10'000; ++i)
    spans.add(t0 + std::chrono::milliseconds(10 * i), t0 + std::chrono::milliseconds(10 * i + 1));
  const auto list = spans.spans();
  EXPECT_EQ(list.size(), OutageSpans::kMaxSpans);
  std::uint64_t sessions = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    sessions += list[i].sessions;
    if (i > 0) {
      EXPECT_LT(list[i - 1].to, list[i].from) << "disjoint, in order";
    }
  }
  EXPECT_EQ(sessions, 10'000u) << "merged, not dropped";
  EXPECT_EQ(list.front().from, t0);
  EXPECT_EQ(list.back().to, t0 + std::chrono::milliseconds(10 * 9'999 + 1));
}

TEST(WorkloadConfig, InFlightAboveOneIsForThePipelineOnly) {
  EXPECT_EQ(workload_config(params({}), roachrun::RetryPolicy{}).in_flight, 1);
  EXPECT_NO_THROW(check_workload(params({{"protocol", "pipeline"}, {"in_flight", 8}})));
  EXPECT_EQ(workload_config(params({{"protocol", "pipeline"}, {"in_flight", 8}}), roachrun::RetryPolicy{}).in_flight, 8);
  for (const char* protocol : {"tutorial", "single"}) {
    try {
      check_workload(params({{"protocol", protocol}, {"in_flight", 2}}));
      FAIL() << "no error for protocol " << protocol;
    } catch (const roachrun::ParamError& e) {
      EXPECT_EQ(e.param(), "in_flight");
      EXPECT_NE(std::string(e.what()).find("needs protocol: pipeline (got protocol: " + std::string(protocol) + ")"),
                std::string::npos)
          << e.what();
    }
  }
}

TEST(WorkloadConfig, IntervalDefaultsToASecondAndHasAFloor) {
  EXPECT_EQ(workload_config(params({}), roachrun::RetryPolicy{}).interval.count(), 1000);
  EXPECT_EQ(workload_config(params({{"interval", 250}}), roachrun::RetryPolicy{}).interval.count(), 250);
  try {
    check_workload(params({{"interval", 20}}));
    FAIL() << "no error";
  } catch (const roachrun::ParamError& e) {
    EXPECT_EQ(e.param(), "interval");
  }
}

TEST(WorkloadConfig, EventsIsTheDefaultEngineOnAThreadPerCoreOrPerSixteenClients) {
  const std::vector<roachrun::ParamSpec> specs = workload_params();
  const auto engine = std::find_if(specs.begin(), specs.end(), [](const auto& spec) { return spec.name == "engine"; });
  ASSERT_NE(engine, specs.end());
  EXPECT_EQ(engine->default_value, "events");
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const WorkloadConfig c = workload_config(params({}), roachrun::RetryPolicy{});
  EXPECT_EQ(c.engine, WorkloadEngine::events);
  EXPECT_EQ(c.threads, cores) << "8 clients";
  EXPECT_EQ(workload_config(params({{"clients", 256}}), roachrun::RetryPolicy{}).threads, std::max(cores, 16));
  EXPECT_EQ(workload_config(params({{"clients", 257}}), roachrun::RetryPolicy{}).threads, std::max(cores, 17));
  const WorkloadConfig two = workload_config(params({{"clients", 256}, {"threads", 2}}), roachrun::RetryPolicy{});
  EXPECT_EQ(two.threads, 2);
  try {
    check_workload(params({{"engine", "threads"}, {"threads", 4}}));
    FAIL() << "threads: 4 accepted with engine: threads";
  } catch (const roachrun::ParamError& e) {
    EXPECT_EQ(e.param(), "threads");
    EXPECT_NE(std::string(e.what()).find("is for engine: events"), std::string::npos) << e.what();
  }
  EXPECT_THROW(check_workload(params({{"engine", "fibers"}})), roachrun::ParamError);
}

}  // namespace
}  // namespace roachrun_bank
