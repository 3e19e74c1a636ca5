#include "accounts.hpp"

#include <charconv>
#include <limits>

#include <roachrun/error.hpp>
#include <roachrun/step.hpp>


namespace roachrun_bank {

roachrun::ParamSpec table_param() {
  return roachrun::optional_param("table", roachrun::ParamType::string, "name of the accounts table", "accounts");
}

void check_table(const roachrun::Params& p) {
  if (p.string("table").empty()) throw roachrun::ParamError("table", "'table' is empty: give a table name");
}

std::string quoted_table(const roachrun::Connection& conn, const roachrun::Params& p) {
  return conn.escape_identifier(p.string("table"));
}

std::optional<std::int64_t> integer_of(const roachrun::Value& v) {
  if (v.is_number_integer() && !v.is_number_unsigned()) return v.get<std::int64_t>();
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return static_cast<std::int64_t>(u);
  }
  if (!v.is_string()) return std::nullopt;
  const auto& s = v.get_ref<const std::string&>();
  std::int64_t out = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return out;
}

bool is_cockroach(roachrun::StepContext& ctx) {
  bool cockroach = false;
  roachrun::run_reconnecting(ctx, [&](roachrun::Connection& c) { cockroach = c.dialect().is_cockroach(); });
  return cockroach;
}

void require_no_transaction(roachrun::Connection& conn, std::string_view what) {
  if (conn.in_transaction()) {
    throw roachrun::StepError(std::string(what) + ": connection '" + conn.label() +
                              "' is already inside a transaction (an earlier step left a BEGIN open?); this step "
                              "runs its own transaction: COMMIT or ROLLBACK first");
  }
}

}  // namespace roachrun_bank
