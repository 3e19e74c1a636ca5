// Dialect: which engine and which CockroachDB release a version() string names. The strings are
// version() as CockroachDB's releases print it (docs: "SELECT version()" on each release's
// "Functions and Operators" page; the build tag is what `cockroach version` shows).
#include <gtest/gtest.h>

#include "roachrun/connection.hpp"

namespace {

using roachrun::Dialect;
using roachrun::ServerRelease;

TEST(Dialect, ReadsCockroachReleases) {
  const Dialect v19 = Dialect::from_version_string(
      "CockroachDB CCL v19.1.0 (x86_64-unknown-linux-gnu, built 2019/04/29 18:36:40, go1.11.6)");
  ASSERT_TRUE(v19.is_cockroach());
  EXPECT_EQ(v19.cockroach_release(), (ServerRelease{19, 1, 0}));
  EXPECT_TRUE(v19.cockroach_at_least(19, 1));
  EXPECT_FALSE(v19.cockroach_at_least(19, 2));
  EXPECT_TRUE(v19.cockroach_before(19, 2));

  const Dialect oss = Dialect::from_version_string("CockroachDB OSS v22.1.22 (aarch64-linux, built 2023/09/01, go1.17.11)");
  EXPECT_EQ(oss.cockroach_release(), (ServerRelease{22, 1, 22}));
  EXPECT_TRUE(oss.cockroach_at_least(22, 1));
  EXPECT_FALSE(oss.cockroach_before(22, 1));
  EXPECT_TRUE(oss.cockroach_before(22, 2));

  const Dialect rc = Dialect::from_version_string("CockroachDB CCL v25.4.0-rc.1 (x86_64-pc-linux-gnu, built 2025/10/20)");
  EXPECT_EQ(rc.cockroach_release(), (ServerRelease{25, 4, 0}));
  EXPECT_TRUE(rc.cockroach_at_least(25, 4));
}

TEST(Dialect, ACockroachWithoutAReleaseCountsAsTheNewest) {
  const Dialect d = Dialect::from_version_string("CockroachDB CCL (built from source)");
  ASSERT_TRUE(d.is_cockroach());
  EXPECT_EQ(d.cockroach_release(), std::nullopt);
  EXPECT_TRUE(d.cockroach_at_least(99, 9));
  EXPECT_FALSE(d.cockroach_before(19, 2));
}

TEST(Dialect, PostgresIsNoCockroachRelease) {
  const Dialect pg = Dialect::from_version_string(
      "PostgreSQL 15.10 (Debian 15.10-0+deb12u1) on x86_64-pc-linux-gnu, compiled by gcc 12.2.0, 64-bit");
  EXPECT_FALSE(pg.is_cockroach());
  EXPECT_EQ(pg.cockroach_release(), std::nullopt);
  EXPECT_FALSE(pg.cockroach_at_least(1, 0));
  EXPECT_FALSE(pg.cockroach_before(99, 0));
}

}  // namespace
