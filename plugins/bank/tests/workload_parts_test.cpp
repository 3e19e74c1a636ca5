// The workload's parts that need no server: latency quantiles, the account choice, the spread
// over hosts and the parameter checks. The workload itself is tested end to end against a real
// PostgreSQL in tests/integration/workload_test.cpp.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <roachrun/error.hpp>

#include "workload/account_picker.hpp"
#include "workload/host_spread.hpp"
#include "workload/latency_histogram.hpp"
#include "workload/config.hpp"

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

TEST(HostSpread, ClientsGoRoundRobinOverHostsAndPorts) {
  int hosts = 0;
  const auto options = spread_over_hosts({{"host", "a,b,c"}, {"port", "1,2,3"}, {"user", "root"}}, 5, hosts);
  EXPECT_EQ(hosts, 3);
  ASSERT_EQ(options.size(), 5u);
  const char* expected_hosts[] = {"a", "b", "c", "a", "b"};
  const char* expected_ports[] = {"1", "2", "3", "1", "2"};
  for (int i = 0; i < 5; ++i) {
    std::map<std::string, std::string> o(options[i].begin(), options[i].end());
    EXPECT_EQ(o["host"], expected_hosts[i]);
    EXPECT_EQ(o["port"], expected_ports[i]);
    EXPECT_EQ(o["user"], "root");
  }
}

TEST(HostSpread, OnePortForAllHostsAndOneHostUnchanged) {
  int hosts = 0;
  auto options = spread_over_hosts({{"host", "a,b"}, {"port", "26257"}}, 2, hosts);
  EXPECT_EQ(hosts, 2);
  EXPECT_EQ(options[1][0].second, "b");
  EXPECT_EQ(options[1][1].second, "26257");
  options = spread_over_hosts({{"host", "/tmp"}, {"port", "5432"}}, 3, hosts);
  EXPECT_EQ(hosts, 1);
  EXPECT_EQ(options[2][0].second, "/tmp");
}

roachrun::Params params(roachrun::Value overrides) {
  roachrun::Value v = {{"accounts", 1000}, {"initial_balance", 1000}, {"amount", 10}, {"clients", 8},
                       {"protocol", "tutorial"}, {"distribution", "uniform"}, {"ledger", false},
                       {"table", "accounts"}};
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

}  // namespace
}  // namespace roachrun_bank
