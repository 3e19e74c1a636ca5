// sql.query: one statement with parameters; prints its rows like the tutorial and/or checks them.
#include <algorithm>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <roachrun/roachrun.hpp>
#include <spdlog/spdlog.h>

#include "python_repr.hpp"
#include "several_statements.hpp"
#include "steps.hpp"

namespace roachrun_sql {

namespace {

using Row = std::vector<std::optional<std::string>>;

// YAML null is SQL NULL; every other scalar is compared by its text, as the server sends text.
std::optional<std::string> cell_of(const roachrun::Value& v) {
  if (v.is_null()) return std::nullopt;
  return roachrun::scalar_text(v);
}

std::vector<Row> expected_rows(const roachrun::Value& rows) {
  std::vector<Row> out;
  for (const auto& row : rows) {
    Row r;
    if (row.is_array()) {
      for (const auto& cell : row) r.push_back(cell_of(cell));
    } else {
      r.push_back(cell_of(row));  // a bare scalar is a one-column row
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<Row> actual_rows(const roachrun::Result& res) {
  std::vector<Row> out;
  out.reserve(static_cast<std::size_t>(res.rows()));
  for (int r = 0; r < res.rows(); ++r) {
    Row row;
    for (int c = 0; c < res.columns(); ++c) row.push_back(res.value(r, c));
    out.push_back(std::move(row));
  }
  return out;
}

std::string rows_block(const std::vector<Row>& rows) {
  std::string s;
  for (const auto& row : rows) s += "\n    " + python_row(row);
  if (rows.empty()) s += "\n    (no rows)";
  return s;
}

std::string mismatch_message(const std::vector<Row>& expected, const std::vector<Row>& actual) {
  std::size_t first = 0;
  while (first < expected.size() && first < actual.size() && expected[first] == actual[first]) ++first;
  std::string where =
      expected.size() != actual.size() && first == std::min(expected.size(), actual.size())
          ? "expected " + std::to_string(expected.size()) + " row(s), got " + std::to_string(actual.size())
          : "first difference at row " + std::to_string(first + 1);
  return "query result does not match 'expect' (" + where + "; rows are compared in order, as text)" +
         "\n  expected:" + rows_block(expected) + "\n  actual:" + rows_block(actual);
}

std::vector<roachrun::Param> query_params(const roachrun::Params& p) {
  std::vector<roachrun::Param> out;
  if (!p.has("params")) return out;
  const roachrun::Value& v = p.raw("params");
  if (!v.is_array()) return {cell_of(v)};
  for (const auto& e : v) out.push_back(cell_of(e));
  return out;
}

// At most this many rows go into the step's result (row_count still counts them all): a query of a
// large table must not make the JSON report, or a capture, as large.
constexpr std::size_t kResultRows = 10000;

// The step's result, what a capture takes: {"columns": [...], "rows": [[...]], "row_count": N}, the
// cells as the text the server sent (NULL as null), and "value" -- the one cell -- when the query
// returned exactly one row of one column.
roachrun::Value result_of(const roachrun::Result& res, const std::vector<Row>& rows) {
  roachrun::Value columns = roachrun::Value::array();
  for (int c = 0; c < res.columns(); ++c) columns.push_back(res.column_name(c));
  roachrun::Value cells = roachrun::Value::array();
  for (std::size_t r = 0; r < rows.size() && r < kResultRows; ++r) {
    roachrun::Value row = roachrun::Value::array();
    for (const auto& cell : rows[r]) row.push_back(cell ? roachrun::Value(*cell) : roachrun::Value(nullptr));
    cells.push_back(std::move(row));
  }
  roachrun::Value out = {{"columns", std::move(columns)}, {"rows", std::move(cells)}, {"row_count", rows.size()}};
  if (rows.size() > kResultRows) out["rows_truncated"] = true;
  if (rows.size() == 1 && rows.front().size() == 1)
    out["value"] = rows.front().front() ? roachrun::Value(*rows.front().front()) : roachrun::Value(nullptr);
  return out;
}

void check(const roachrun::Params& p) {
  if (p.string("sql").find_first_not_of(" \t\r\n;") == std::string::npos)
    throw roachrun::ParamError("sql", "'sql' is empty: give one statement");
}

void run(roachrun::StepContext& ctx, const roachrun::Params& p) {
  // Asked once per connection: on CockroachDB before v22.1, which ignores cancel requests, it is
  // what lets Ctrl-C close the session instead of waiting for a long query.
  ctx.connection().dialect();
  const roachrun::Result res = [&] {
    try {
      return ctx.connection().exec_params(p.string("sql"), query_params(p));
    } catch (const roachrun::DbError& e) {
      // The server's words for a second statement are cryptic; say what to do instead.
      if (several_statements_refused(e.sqlstate(), e.server_message()))
        throw roachrun::DbError(e.sqlstate(), e.server_message(),
                                "sql.query runs exactly one statement (use sql.exec for several)");
      throw;
    }
  }();
  const std::vector<Row> actual = actual_rows(res);
  ctx.log().debug("query returned {} rows", actual.size());
  ctx.set_result(result_of(res, actual));

  if (p.boolean("print")) {
    std::ostream& out = ctx.out();
    for (const auto& row : actual) out << python_row(row) << '\n';
    out.flush();
  }
  if (p.has("expect")) {
    const std::vector<Row> expected = expected_rows(p.raw("expect"));
    if (expected != actual) throw roachrun::StepError(mismatch_message(expected, actual));
  }
}

}  // namespace

roachrun::StepType query_step() {
  using roachrun::ParamType;
  return roachrun::StepType{
      .name = "query",
      .doc = "Run one statement with $1.. parameters; print its rows as Python lists and/or check them",
      .params =
          {
              roachrun::required_param("sql", ParamType::string, "one statement; values as $1, $2, ..."),
              roachrun::optional_param("params", ParamType::string_list, "values for $1, $2, ... in order, sent as text"),
              roachrun::optional_param("expect", ParamType::rows,
                       "rows the query must return, in order, compared as text (null is SQL NULL)"),
              roachrun::optional_param("print", ParamType::boolean, "print each row like the tutorial: ['1', '1000'] (NULL as None)",
                       true),
          },
      .run = run,
      .check = check,
  };
}

}  // namespace roachrun_sql
