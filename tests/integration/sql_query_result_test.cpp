// sql.query's result in the JSON report (what captures take): column names, rows as the server's
// text with NULL as null, the row count, and `value` for a single cell -- while what it prints
// stays the tutorial's.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "support/command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

namespace roachrun::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST(SqlQueryResult, InTheJsonReport) {
  TempDir dir;
  const fs::path report = dir.path() / "report.json";
  const std::string file = dir.write(
      "s.yaml",
      "scenario: query-result\n"
      "steps:\n"
      "  - sql.query: SELECT 42 AS n\n"
      "  - sql.query: {sql: \"SELECT * FROM (VALUES (1, 'a'), (2, NULL)) AS t(id, name) ORDER BY id\"}\n"
      "  - sql.query: {sql: 'SELECT NULL::text AS nothing', print: false}\n"
      "  - sql.query: {sql: 'SELECT 1 AS one WHERE false', expect: []}\n"
      "  - sql.query: {sql: \"SELECT 'x' AS a, 'y' AS b\", expect: [[x, z]]}\n");
  const auto r = roachrun({"run", file, "--target", TestServer::get().url(), "--report", "json=" + report.string()});
  EXPECT_EQ(r.exit_code, 1) << "the last step's expectation fails\n" << r.err;
  EXPECT_EQ(r.out, "['42']\n['1', 'a']\n['2', None]\n['x', 'y']\n") << "printing is unchanged";

  std::ifstream in(report);
  const json steps = json::parse(in)["scenarios"][0]["steps"];
  EXPECT_EQ(steps[0]["result"], json::parse(R"({"columns": ["n"], "rows": [["42"]], "row_count": 1, "value": "42"})"))
      << steps[0].dump();
  EXPECT_EQ(steps[1]["result"],
            json::parse(R"({"columns": ["id", "name"], "rows": [["1", "a"], ["2", null]], "row_count": 2})"))
      << "no value unless exactly one row and one column\n" << steps[1].dump();
  EXPECT_EQ(steps[2]["result"],
            json::parse(R"({"columns": ["nothing"], "rows": [[null]], "row_count": 1, "value": null})"))
      << steps[2].dump();
  EXPECT_EQ(steps[3]["result"], json::parse(R"({"columns": ["one"], "rows": [], "row_count": 0})")) << steps[3].dump();
  EXPECT_EQ(steps[4]["status"], "failed");
  EXPECT_EQ(steps[4]["result"]["rows"], json::parse(R"([["x", "y"]])")) << "kept for a failed expectation too";
}

}  // namespace
}  // namespace roachrun::test
