#include "audit.hpp"

#include <algorithm>
#include <charconv>

namespace roachrun_bank {

namespace {

constexpr int kNamed = 20;  // accounts named in a message; the counts say how many in all

std::string accounts_text(const std::vector<AuditAccount>& accounts, std::int64_t count, bool with_expected) {
  std::string text;
  for (const auto& a : accounts) {
    text += (text.empty() ? "" : "; ") + std::string("account ") + std::to_string(a.id) + ": balance " +
            std::to_string(a.balance);
    if (with_expected) text += ", ledger says " + std::to_string(a.expected);
  }
  if (count > static_cast<std::int64_t>(accounts.size()))
    text += "; and " + std::to_string(count - static_cast<std::int64_t>(accounts.size())) + " more";
  return text;
}

// A sum as a JSON number when it fits one, else as the exact text.
roachrun::Value number_json(const std::string& text) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc() && end == text.data() + text.size()) return v;
  return text;
}

roachrun::Value accounts_json(const std::vector<AuditAccount>& accounts, bool with_expected) {
  roachrun::Value list = roachrun::Value::array();
  for (const auto& a : accounts) {
    roachrun::Value j = {{"id", a.id}, {"balance", a.balance}};
    if (with_expected) j["expected"] = a.expected;
    list.push_back(std::move(j));
  }
  return list;
}

// The audit's reads, inside the caller's transaction; fills in `r`.
void read_audit(roachrun::Connection& conn, const std::string& table, const std::string& ledger,
                std::int64_t initial_balance, AuditReport& r) {
  const std::int64_t accounts = r.expected_accounts;
  // NUMERIC sums: a corrupted balance near BIGINT's limit must be reported, not overflow.
  const roachrun::Result totals = conn.query("SELECT count(*), coalesce(sum(balance::NUMERIC), 0)::TEXT, ($1::NUMERIC * $2::NUMERIC)::TEXT, "
                                             "count(*) FILTER (WHERE balance < 0) FROM " + table,
                                             accounts, initial_balance);
  r.accounts = totals.integer(0, 0);
  r.total = std::string(totals.text(0, 1));
  r.expected_total = std::string(totals.text(0, 2));
  r.negative_count = totals.integer(0, 3);
  if (r.negative_count > 0) {
    const roachrun::Result rows =
        conn.query("SELECT id, balance FROM " + table + " WHERE balance < 0 ORDER BY id LIMIT $1", kNamed);
    for (int i = 0; i < rows.rows(); ++i) r.negative.push_back({rows.integer(i, 0), rows.integer(i, 1), 0});
  }
  if (!ledger.empty()) {
    r.ledger_checked = true;
    // Every account: its initial balance, plus what the ledger says it received, minus what it sent.
    const std::string expected = "$1::BIGINT + coalesce(r.received, 0) - coalesce(s.sent, 0)";
    const std::string from = " FROM " + table + " a LEFT JOIN (SELECT to_id, sum(amount) AS received FROM " + ledger +
                             " GROUP BY to_id) r ON r.to_id = a.id LEFT JOIN (SELECT from_id, sum(amount) AS sent FROM " +
                             ledger + " GROUP BY from_id) s ON s.from_id = a.id WHERE a.balance <> " + expected;
    r.mismatch_count = conn.query("SELECT count(*)" + from, initial_balance).integer(0, 0);
    if (r.mismatch_count > 0) {
      const roachrun::Result rows =
          conn.query("SELECT a.id, a.balance, " + expected + from + " ORDER BY a.id LIMIT $2", initial_balance, kNamed);
      for (int i = 0; i < rows.rows(); ++i)
        r.ledger_mismatches.push_back({rows.integer(i, 0), rows.integer(i, 1), rows.integer(i, 2)});
    }
  }
}

}  // namespace

AuditReport audit_accounts(roachrun::StepContext& ctx, const std::string& table, const std::string& ledger,
                           std::int64_t accounts, std::int64_t initial_balance) {
  roachrun::RetryPolicy policy = ctx.retry_policy();
  policy.isolation = roachrun::Isolation::repeatable_read;
  policy.protocol = roachrun::RetryProtocol::rollback;  // nothing to keep: every attempt reads it all
  // Reads are always safe to run again: a lost connection gets its retries even where the
  // transfers were allowed none.
  policy.max_retries = std::max(policy.max_retries, 3);
  roachrun::RetryHooks hooks;
  hooks.log = &ctx.log();
  hooks.interrupted = &ctx.interrupted();
  // Only reads: whatever became of a COMMIT whose reply was lost, they saw one consistent state.
  hooks.resolve_ambiguous = [](roachrun::Connection&) { return true; };
  AuditReport r;
  roachrun::run_transaction(
      ctx.connection(),
      [&](roachrun::Connection& conn) {
        r = AuditReport{};
        r.expected_accounts = accounts;
        read_audit(conn, table, ledger, initial_balance, r);
      },
      policy, hooks);
  return r;
}

std::string describe(const AuditReport& r, std::int64_t initial_balance) {
  const std::string sum = r.expected_total + " = " + std::to_string(r.expected_accounts) + " x " + std::to_string(initial_balance);
  if (r.ok()) {
    return "ok (" + std::to_string(r.accounts) + " accounts, total " + sum + ", none negative" +
           (r.ledger_checked ? ", ledger consistent)" : ")");
  }
  std::string text = "FAILED:";
  if (r.accounts != r.expected_accounts)
    text += " " + std::to_string(r.accounts) + " accounts, expected " + std::to_string(r.expected_accounts) + ";";
  if (r.total != r.expected_total) text += " total balance " + r.total + ", expected " + sum + ";";
  if (r.negative_count > 0)
    text += " " + std::to_string(r.negative_count) + " negative (" + accounts_text(r.negative, r.negative_count, false) + ");";
  if (r.mismatch_count > 0)
    text += " " + std::to_string(r.mismatch_count) + " disagree with the ledger (" +
            accounts_text(r.ledger_mismatches, r.mismatch_count, true) + ");";
  text.pop_back();
  return text;
}

roachrun::Value to_json(const AuditReport& r) {
  return {{"ok", r.ok()},
          {"accounts", r.accounts},
          {"expected_accounts", r.expected_accounts},
          {"total", number_json(r.total)},
          {"expected_total", number_json(r.expected_total)},
          {"negative_count", r.negative_count},
          {"negative_accounts", accounts_json(r.negative, false)},
          {"ledger_checked", r.ledger_checked},
          {"ledger_mismatch_count", r.mismatch_count},
          {"ledger_mismatches", accounts_json(r.ledger_mismatches, true)}};
}

}  // namespace roachrun_bank
