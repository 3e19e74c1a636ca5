// The CockroachDB conformance check (issue 14): every bundled scenario, through the roachrun CLI,
// against the CockroachDB stand-in (tests/support/cockroach_standin.hpp) at the releases the
// README claims, with each statement roachrun sent checked against cockroachdb-rules.md (beside
// this file: the rules, their sources, and what each run covers and leaves out).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "sql_rules.hpp"
#include "support/command.hpp"
#include "support/test_server.hpp"

namespace roachrun::test {
namespace {

namespace fs = std::filesystem;
using conformance::check;
using conformance::count_matching;

const std::string kSource = ROACHRUN_SOURCE_DIR;

std::string scenario(const std::string& name) { return kSource + "/scenarios/" + name + ".yaml"; }

std::string rules_markdown() { return read_file(kSource + "/tests/conformance/cockroachdb-rules.md"); }

// A copy of a bundled scenario with `from` replaced by `to` (which must occur), in `dir`, beside a
// copy of the steps the bundled scenarios include (scenarios/shared/), so its includes resolve.
std::string variant(const TempDir& dir, const std::string& name, const std::string& from, const std::string& to) {
  if (!fs::exists(dir.path() / "shared"))
    fs::copy(kSource + "/scenarios/shared", dir.path() / "shared", fs::copy_options::recursive);
  std::string text = read_file(scenario(name));
  const auto at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error(name + ".yaml no longer holds '" + from + "': update the variant");
  text.replace(at, from.size(), to);
  return dir.write(name + "-variant.yaml", text);
}

struct ScenarioRun {
  CommandResult result;
  std::vector<RecordedStatement> statements;
};

// `file` run against a stand-in playing `release`; the scenarios' own databases are dropped
// first (directly, not through the stand-in) so each run starts as on a fresh cluster.
ScenarioRun run(const std::string& release, const std::string& file, std::vector<std::string> extra = {}, const std::string& cwd = "") {
  {
    Connection root = TestServer::get().connect("root", "postgres");
    root.exec_simple("DROP DATABASE IF EXISTS bank WITH (FORCE)");
  }
  CockroachStandIn standin(release);
  std::vector<std::string> args = {"run", file, "--target", standin.url("root", "defaultdb")};
  args.insert(args.end(), extra.begin(), extra.end());
  ScenarioRun r;
  r.result = run_program(ROACHRUN_BIN, args, {}, cwd);
  r.statements = standin.statements();
  return r;
}

// Every rule over the run's statements; the violations listed one a line.
void expect_conformant(const ScenarioRun& r, const std::string& release) {
  const auto violations = check(r.statements, CockroachStandIn::dialect_of(release), conformance::allowed_shapes(rules_markdown()));
  std::string listed;
  for (const auto& v : violations) listed += "  " + v + "\n";
  EXPECT_TRUE(violations.empty()) << "on CockroachDB v" << release << ", " << violations.size()
                                  << " violation(s) of tests/conformance/cockroachdb-rules.md:\n"
                                  << listed;
}

const std::vector<std::string> kAll = {"19.1.0", "21.2.17", "22.1.22", "23.1.11", "25.4.0", "26.1.0"};

TEST(Conformance, BankInsecure) {
  for (const auto& release : kAll) {
    SCOPED_TRACE("v" + release);
    const ScenarioRun r = run(release, scenario("bank-insecure"));
    ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
    EXPECT_NE(r.result.out.find("['1', '900']\n['2', '350']"), std::string::npos) << r.result.out;
    EXPECT_EQ(count_matching(r.statements, R"(^SELECT version\(\)$)") > 0, true);
    EXPECT_EQ(count_matching(r.statements, R"(^CREATE USER IF NOT EXISTS "maxroach"$)"), 1);
    EXPECT_EQ(count_matching(r.statements, R"(^CREATE DATABASE IF NOT EXISTS "bank"$)"), 1);
    EXPECT_EQ(count_matching(r.statements, R"(^GRANT ALL ON DATABASE "bank" TO "maxroach"$)"), 1);
    expect_conformant(r, release);
  }
}

// The secure tutorial's SQL: a copy without TLS (the stand-in's proxy cannot read a TLS
// session, and a plaintext target refuses secure: true), its certificate step left out.
TEST(Conformance, BankSecureInClear) {
  TempDir dir;
  const std::string file = variant(dir, "bank-secure", "secure: true", "secure: false");
  for (const std::string release : {"19.1.0", "23.1.11"}) {
    SCOPED_TRACE("v" + release);
    const ScenarioRun r = run(release, file, {"--skip", "certs"}, dir.path().string());
    ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
    EXPECT_NE(r.result.out.find("['1', '900']\n['2', '350']"), std::string::npos) << r.result.out;
    expect_conformant(r, release);
  }
}

// The retry demo: two forced retries absorbed, a transfer, then a transfer whose forced retries
// exhaust the policy (exit 1). On v19.1, where force_retry is root-only (R7c), see below.
void expect_retry_demo(const ScenarioRun& r, const std::string& release) {
  EXPECT_EQ(r.result.exit_code, 1) << r.result.err;
  EXPECT_NE(r.result.out.find("['1', '900']\n['2', '350']"), std::string::npos) << r.result.out;
  EXPECT_NE(r.result.err.find("retries exhausted"), std::string::npos) << r.result.err;
  EXPECT_NE(r.result.err.find("[9/9]"), std::string::npos) << r.result.err;
  // 2 forced failures absorbed + 4 of the exhausted transfer, each a force_retry call.
  EXPECT_GE(count_matching(r.statements, R"(crdb_internal\.force_retry\()"), 6);
  if (CockroachStandIn::dialect_of(release).cockroach_at_least(25, 4)) {
    EXPECT_GE(count_matching(r.statements, R"(^SET allow_unsafe_internals = (true|on)$)"), 1);
  }
  expect_conformant(r, release);
}

// v19.1: the demo forces retries as maxroach, which that release refuses (root only before
// v19.2, PR #39246). roachrun says so at the first forcing step, before it sends anything of it.
TEST(Conformance, RetryDemoOnV19_1StopsAtTheFirstForcingStepSayingWhy) {
  const ScenarioRun r = run("19.1.0", scenario("retry-demo"));
  EXPECT_EQ(r.result.exit_code, 1) << r.result.err;
  EXPECT_NE(r.result.err.find("[6/9] Force two retries (bank.force_retry): FAILED"), std::string::npos) << r.result.err;
  EXPECT_NE(r.result.err.find("crdb_internal.force_retry is for root only before CockroachDB v19.2 (the server is "
                              "v19.1.0), and connection user 'maxroach' is not root"),
            std::string::npos)
      << r.result.err;
  EXPECT_EQ(count_matching(r.statements, R"(crdb_internal\.force_retry\()"), 0);
  expect_conformant(r, "19.1.0");
}

TEST(Conformance, RetryDemo) {
  for (const std::string release : {"22.1.22", "23.1.11", "25.4.0", "26.1.0"}) {
    SCOPED_TRACE("v" + release);
    expect_retry_demo(run(release, scenario("retry-demo")), release);
  }
}

// The same with CockroachDB's savepoint protocol: the retries are ROLLBACK TO SAVEPOINT
// cockroach_restart in one transaction, whose age grows with every backoff (gap 3: a short
// force_retry interval would let the last transfer commit).
TEST(Conformance, RetryDemoSavepointProtocol) {
  TempDir dir;
  const std::string file = variant(dir, "retry-demo", "retry: {max_retries: 3, base_backoff: 100ms, seed: 42}",
                                   "retry: {max_retries: 3, base_backoff: 100ms, seed: 42, protocol: savepoint}");
  for (const std::string release : {"23.1.11", "25.4.0"}) {
    SCOPED_TRACE("v" + release);
    const ScenarioRun r = run(release, file);
    expect_retry_demo(r, release);
    EXPECT_GE(count_matching(r.statements, R"(^SAVEPOINT cockroach_restart$)"), 2);
    // 2 retries absorbed, 3 of the exhausted transfer.
    EXPECT_GE(count_matching(r.statements, R"(^ROLLBACK TO SAVEPOINT cockroach_restart$)"), 5);
    EXPECT_GE(count_matching(r.statements, R"(^RELEASE SAVEPOINT cockroach_restart$)"), 3);
  }
}

const std::vector<std::string> kSmallWorkload = {"--set", "duration=1s", "--set", "clients=2", "--set", "accounts=100"};

TEST(Conformance, BankWorkload) {
  struct Case {
    std::string release, protocol;
  };
  for (const Case& c : std::vector<Case>{{"19.1.0", "tutorial"},
                                         {"22.1.22", "tutorial"},
                                         {"22.1.22", "single"},
                                         {"22.1.22", "pipeline"},
                                         {"23.1.11", "pipeline"},
                                         {"25.4.0", "tutorial"}}) {
    SCOPED_TRACE("v" + c.release + ", protocol " + c.protocol);
    auto args = kSmallWorkload;
    args.insert(args.end(), {"--set", "protocol=" + c.protocol});
    const ScenarioRun r = run(c.release, scenario("bank-workload"), args);
    ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
    EXPECT_NE(r.result.out.find("ok"), std::string::npos) << r.result.out;
    expect_conformant(r, c.release);
  }
}

// The fault-tolerance scenario's SQL: its nodes.* steps control only a formation roachrun
// started, so they are left out (as its header says to on a real cluster); no node is killed.
TEST(Conformance, FaultToleranceWithoutTheNodeSteps) {
  for (const std::string release : {"19.1.0", "23.1.11"}) {
    SCOPED_TRACE("v" + release);
    auto args = kSmallWorkload;
    args.insert(args.end(), {"--set", "duration=2s", "--skip", "nodes"});
    const ScenarioRun r = run(release, scenario("fault-tolerance-3-nodes"), args);
    ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
    expect_conformant(r, release);
  }
}

// sql.exec with several statements in one item (scripts.yaml, beside this file): before v22.1
// such a script must be sent inside an explicit transaction (R9).
TEST(Conformance, SeveralStatementScripts) {
  for (const std::string release : {"21.2.17", "22.1.22"}) {
    SCOPED_TRACE("v" + release);
    const ScenarioRun r = run(release, kSource + "/tests/conformance/scripts.yaml");
    ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
    expect_conformant(r, release);
  }
}

// The checks themselves, on statements written here: each rule catches what it is for.
TEST(ConformanceRules, EachRuleCatchesItsViolation) {
  auto violations = [](std::vector<std::pair<int, std::string>> texts, const std::string& release,
                       const std::string& user = "root", bool extended = false) {
    std::vector<RecordedStatement> recorded;
    for (auto& [connection, text] : texts) recorded.push_back({connection, extended, text, user, "defaultdb"});
    std::string rules;
    for (const auto& v : check(recorded, CockroachStandIn::dialect_of(release), {})) rules += v.substr(0, v.find(':')) + " ";
    return rules;
  };
  auto has = [](const std::string& rules, const std::string& rule) { return rules.find(rule + " ") != std::string::npos; };
  EXPECT_TRUE(has(violations({{1, "DO $$BEGIN NULL; END$$"}}, "23.1.0"), "R1"));
  EXPECT_TRUE(has(violations({{1, "SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1"}}, "23.1.0"), "R2"));
  EXPECT_TRUE(has(violations({{1, "GRANT CREATE ON SCHEMA public TO \"maxroach\""}}, "23.1.0"), "R3"));
  EXPECT_TRUE(has(violations({{1, "WITH d AS (UPDATE accounts SET balance = 1) UPDATE accounts SET balance = 2"}}, "23.1.0"), "R4"));
  EXPECT_TRUE(has(violations({{1, "CREATE USER \"maxroach\""}}, "23.1.0"), "R5"));
  EXPECT_TRUE(has(violations({{1, "BEGIN"}, {1, "SELECT 1"}, {1, "SAVEPOINT cockroach_restart"}}, "23.1.0"), "R6"));
  EXPECT_TRUE(has(violations({{1, "BEGIN"}, {1, "SAVEPOINT cockroach_restart"}, {1, "COMMIT"}}, "23.1.0"), "R6"));
  EXPECT_TRUE(has(violations({{1, "BEGIN"}, {1, "SELECT crdb_internal.force_retry('1s'::INTERVAL)"}}, "23.1.0"), "R7a"));
  EXPECT_FALSE(has(violations({{1, "BEGIN"}, {1, "SELECT crdb_internal.force_retry('1h'::INTERVAL)"}}, "23.1.0"), "R7a"));
  EXPECT_TRUE(has(violations({{1, "BEGIN"}, {1, "SELECT crdb_internal.force_retry('1h'::INTERVAL)"}}, "25.4.0"), "R7b"));
  EXPECT_FALSE(has(violations({{1, "SET allow_unsafe_internals = true"}, {1, "BEGIN"},
                               {1, "SELECT crdb_internal.force_retry('1h'::INTERVAL)"}},
                              "25.4.0"),
                   "R7b"));
  // Set on another connection does not count.
  EXPECT_TRUE(has(violations({{2, "SET allow_unsafe_internals = true"}, {1, "BEGIN"},
                              {1, "SELECT crdb_internal.force_retry('1h'::INTERVAL)"}},
                             "25.4.0"),
                  "R7b"));
  EXPECT_TRUE(has(violations({{1, "SET allow_unsafe_internals = true"}}, "23.1.0"), "R7b"));
  EXPECT_TRUE(has(violations({{1, "BEGIN"}, {1, "SELECT crdb_internal.force_retry('1h'::INTERVAL)"}}, "19.1.0", "maxroach"), "R7c"));
  EXPECT_FALSE(has(violations({{1, "BEGIN"}, {1, "SELECT crdb_internal.force_retry('1h'::INTERVAL)"}}, "19.1.0", "root"), "R7c"));
  EXPECT_TRUE(has(violations({{1, "BEGIN ISOLATION LEVEL SERIALIZABLE"}}, "22.1.0", "root", true), "R8"));
  EXPECT_FALSE(has(violations({{1, "BEGIN ISOLATION LEVEL SERIALIZABLE"}}, "23.1.0", "root", true), "R8"));
  EXPECT_TRUE(has(violations({{1, "INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)"}}, "21.2.0"), "R9"));
  EXPECT_FALSE(has(violations({{1, "BEGIN; INSERT INTO t VALUES (1); INSERT INTO t VALUES (2); COMMIT"}}, "21.2.0"), "R9"));
  EXPECT_FALSE(has(violations({{1, "INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)"}}, "22.1.0"), "R9"));
  EXPECT_TRUE(has(violations({{1, "SELECT 1"}}, "23.1.0"), "R10"));  // no shapes given
}

TEST(ConformanceRules, ShapesAndSplitting) {
  using conformance::shape_of;
  EXPECT_EQ(shape_of("UPDATE \"accounts\"  SET balance = balance - $1\n WHERE id = 12"),
            "UPDATE \"?\" SET balance = balance - $? WHERE id = ?");
  EXPECT_EQ(shape_of("SELECT crdb_internal.force_retry('1h'::INTERVAL)"), "SELECT crdb_internal.force_retry('?'::INTERVAL)");
  EXPECT_EQ(shape_of("SELECT 'it''s', \"a\"\"b\""), "SELECT '?', \"?\"");
  EXPECT_EQ(roachrun_sql::split_script("SELECT ';'; SELECT $x$;$x$; -- a; comment\nSELECT 2"),
            (std::vector<std::string_view>{"SELECT ';'", "SELECT $x$;$x$", "SELECT 2"}));
  EXPECT_EQ(conformance::interval_seconds("1s"), 1.0);
  EXPECT_EQ(conformance::interval_seconds("10m"), 600.0);
  EXPECT_EQ(conformance::interval_seconds("1 hour"), 3600.0);
  EXPECT_EQ(conformance::interval_seconds("00:05:00"), 300.0);
  EXPECT_FALSE(conformance::interval_seconds("soon"));
  // Every shape the rules file lists is one shape_of can produce (a typo would never match).
  for (const auto& shape : conformance::allowed_shapes(rules_markdown())) EXPECT_EQ(shape_of(shape), shape) << shape;
  EXPECT_FALSE(conformance::allowed_shapes(rules_markdown()).empty());
}

}  // namespace
}  // namespace roachrun::test
