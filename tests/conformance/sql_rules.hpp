// The checks of cockroachdb-rules.md over the statements the CockroachDB stand-in recorded: each
// returns the violations it finds, one line each naming the rule, the connection and the
// statement. Header-only: the conformance binary is its one user.
#pragma once

#include <cctype>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "script_shape.hpp"
#include "support/cockroach_standin.hpp"
#include "support/temp_dir.hpp"

namespace roachrun::test::conformance {

constexpr auto kIcase = std::regex::ECMAScript | std::regex::icase;

// One statement of a recorded query (a simple query may hold several).
struct Statement {
  int connection = 0;
  bool extended = false;
  std::string user;
  std::string text;         // trimmed, without its ';'
  std::size_t in_query = 1; // how many statements the query it came in held
  std::size_t index = 0;    // its place in that query (0-based)
};

inline std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

inline std::vector<Statement> statements_of(const std::vector<RecordedStatement>& recorded) {
  std::vector<Statement> out;
  for (const auto& r : recorded) {
    // Split as sql.exec splits a script (the sql plugin's lexer).
    const auto parts = roachrun_sql::split_script(r.text);
    for (std::size_t i = 0; i < parts.size(); ++i)
      out.push_back({r.connection, r.extended, r.user, std::string(parts[i]), parts.size(), i});
  }
  return out;
}

// The statement with its literals and quoted identifiers replaced (see cockroachdb-rules.md).
inline std::string shape_of(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\'' || c == '"') {
      std::size_t j = i + 1;
      while (j < text.size()) {
        if (text[j] == c && j + 1 < text.size() && text[j + 1] == c) j += 2;  // '' or ""
        else if (text[j] == c) break;
        else ++j;
      }
      out += c == '\'' ? "'?'" : "\"?\"";
      i = j;
    } else if (c == '$' && i + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[i + 1]))) {
      while (i + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[i + 1]))) ++i;
      out += "$?";
    } else if (std::isdigit(static_cast<unsigned char>(c)) &&
               (out.empty() || !(std::isalnum(static_cast<unsigned char>(out.back())) || out.back() == '_'))) {
      while (i + 1 < text.size() && (std::isdigit(static_cast<unsigned char>(text[i + 1])) || text[i + 1] == '.')) ++i;
      out += '?';
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  return trim(out);
}

// The allowlist: the first cell, in backticks, of each table row under "## Statement shapes".
inline std::set<std::string> allowed_shapes(const std::string& rules_markdown) {
  std::set<std::string> shapes;
  const auto at = rules_markdown.find("## Statement shapes");
  if (at == std::string::npos) return shapes;
  static const std::regex row(R"(^\| `(.+)` \|)");
  std::size_t begin = at;
  while (begin < rules_markdown.size()) {
    std::size_t end = rules_markdown.find('\n', begin);
    if (end == std::string::npos) end = rules_markdown.size();
    const std::string line = rules_markdown.substr(begin, end - begin);
    std::smatch m;
    if (std::regex_search(line, m, row)) shapes.insert(m[1].str());
    begin = end + 1;
  }
  return shapes;
}

// Seconds of an interval literal as roachrun writes them ('1s', '10m', '1h', '24 hours',
// '01:00:00'); nothing if it cannot tell.
inline std::optional<double> interval_seconds(const std::string& literal) {
  static const std::regex hms(R"(^\s*(\d+):(\d+):(\d+(?:\.\d+)?)\s*$)");
  static const std::regex unit(
      R"(^\s*(\d+(?:\.\d+)?)\s*(ms|msec|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)?\s*$)", kIcase);
  std::smatch m;
  if (std::regex_match(literal, m, hms))
    return std::stod(m[1].str()) * 3600 + std::stod(m[2].str()) * 60 + std::stod(m[3].str());
  if (!std::regex_match(literal, m, unit)) return std::nullopt;
  const double n = std::stod(m[1].str());
  std::string u = m[2].str();
  for (char& c : u) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (u.empty() || u[0] == 's') return n;
  if (u.rfind("ms", 0) == 0 || u.rfind("mil", 0) == 0) return n / 1000;
  if (u[0] == 'm') return n * 60;
  if (u[0] == 'h') return n * 3600;
  return n * 86400;
}

inline bool matches(const std::string& text, const char* pattern) {
  return std::regex_search(text, std::regex(pattern, kIcase));
}

inline std::string where(const Statement& s) {
  return " [connection " + std::to_string(s.connection) + " (" + s.user + (s.extended ? "), extended" : "), simple") +
         "]: " + s.text;
}

// R1-R5, R7, R8, R10: one statement at a time, with the transaction state R7b needs.
// R6 and R9: the simple-protocol statements of each connection in order.
inline std::vector<std::string> check(const std::vector<RecordedStatement>& recorded, const Dialect& release,
                                      const std::set<std::string>& shapes) {
  std::vector<std::string> violations;
  auto violation = [&](const char* rule, const std::string& what, const Statement& s) {
    violations.push_back(std::string(rule) + ": " + what + where(s));
  };
  struct ConnectionState {
    bool in_transaction = false;
    bool savepoint_transaction = false;  // the transaction set SAVEPOINT cockroach_restart
    std::string last;                    // the previous simple-protocol statement
    bool unsafe_internals_on = false;    // SET allow_unsafe_internals = true/on sent
  };
  std::map<int, ConnectionState> state;
  static const std::regex begin_re(R"(^(BEGIN|START\s+TRANSACTION)\b)", kIcase);
  static const std::regex end_re(R"(^(COMMIT|END|ROLLBACK)\s*$|^(COMMIT|ROLLBACK)\s+(TRANSACTION|WORK)\s*$)", kIcase);
  static const std::regex savepoint_re(R"(^SAVEPOINT\s+cockroach_restart$)", kIcase);
  static const std::regex rollback_to_re(R"(^ROLLBACK\s+TO\s+(SAVEPOINT\s+)?cockroach_restart$)", kIcase);
  static const std::regex release_re(R"(^RELEASE\s+(SAVEPOINT\s+)?cockroach_restart$)", kIcase);
  static const std::regex modification(R"(\b(UPDATE|INSERT\s+INTO|UPSERT\s+INTO|DELETE\s+FROM)\s+("(?:[^"]|"")+"|[A-Za-z_][\w.]*))",
                                       kIcase);
  static const std::regex force_retry(R"(crdb_internal\s*\.\s*force_retry\s*\(\s*'([^']*)')", kIcase);
  static const std::regex unsafe_on(R"(^SET\s+(SESSION\s+)?allow_unsafe_internals\s*(=|TO)\s*'?(true|on)'?$)", kIcase);

  for (const Statement& s : statements_of(recorded)) {
    ConnectionState& c = state[s.connection];
    const std::string& t = s.text;

    if (matches(t, R"(^DO\b)")) violation("R1", "a DO block", s);
    if (matches(t, R"(\bpg_roles\b|\bpg_database\b)")) violation("R2", "a pg_roles/pg_database look-up", s);
    if (matches(t, R"(\bON\s+SCHEMA\s+public\b)")) violation("R3", "a grant on schema public", s);
    {
      std::map<std::string, int> modified;
      for (auto it = std::sregex_iterator(t.begin(), t.end(), modification); it != std::sregex_iterator(); ++it) {
        std::string table = (*it)[2].str();
        if (!table.empty() && table.front() == '"') table = table.substr(1, table.size() - 2);
        for (char& ch : table) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (++modified[table] == 2) violation("R4", "table " + table + " modified twice in one statement", s);
      }
    }
    if (matches(t, R"(^CREATE\s+(USER|ROLE|DATABASE)\b)") && !matches(t, R"(^CREATE\s+(USER|ROLE|DATABASE)\s+IF\s+NOT\s+EXISTS\b)"))
      violation("R5", "CREATE without IF NOT EXISTS", s);

    std::smatch m;
    if (std::regex_search(t, m, force_retry)) {
      const auto seconds = interval_seconds(m[1].str());
      if (!seconds || *seconds < 60) violation("R7a", "force_retry with a short interval '" + m[1].str() + "'", s);
      if (release.cockroach_at_least(25, 4) && !c.unsafe_internals_on)
        violation("R7b", "force_retry without SET allow_unsafe_internals = true before it on v25.4+", s);
      if (release.cockroach_before(19, 2) && s.user != "root") violation("R7c", "force_retry on a non-root connection on v19.1", s);
    } else if (matches(t, R"(crdb_internal\s*\.\s*force_retry)")) {
      violation("R7a", "force_retry whose interval is not a literal", s);
    }
    if (matches(t, R"(\ballow_unsafe_internals\b)")) {
      if (release.cockroach_before(25, 4)) violation("R7b", "allow_unsafe_internals before v25.4", s);
      if (std::regex_match(t, unsafe_on)) {
        if (c.in_transaction) violation("R7b", "SET allow_unsafe_internals inside a transaction", s);
        c.unsafe_internals_on = true;
      }
    }
    if (release.cockroach_at_least(22, 1) && release.cockroach_before(22, 2) && s.extended && std::regex_search(t, begin_re) && matches(t, R"(\bISOLATION\b)"))
      violation("R8", "BEGIN with an isolation level over the extended protocol on v22.1", s);
    if (!shapes.count(shape_of(t))) violation("R10", "a statement shape not in cockroachdb-rules.md: `" + shape_of(t) + "`", s);

    if (s.extended) continue;  // R6, R9: transactions through the simple protocol
    if (release.cockroach_before(22, 1) && s.in_query > 1 && s.index == 0 && !c.in_transaction && !std::regex_search(t, begin_re))
      violation("R9", "a script of " + std::to_string(s.in_query) + " statements outside an explicit transaction before v22.1",
                s);
    if (std::regex_search(t, begin_re)) {
      if (c.in_transaction) violation("R6", "BEGIN inside a transaction", s);
      c.in_transaction = true;
      c.savepoint_transaction = false;
    } else if (std::regex_match(t, savepoint_re)) {
      if (!std::regex_search(c.last, begin_re)) violation("R6", "SAVEPOINT cockroach_restart not right after BEGIN", s);
      c.savepoint_transaction = true;
    } else if (std::regex_match(t, rollback_to_re)) {
      if (!c.savepoint_transaction) violation("R6", "ROLLBACK TO SAVEPOINT cockroach_restart without the SAVEPOINT", s);
    } else if (std::regex_match(t, release_re)) {
      if (!c.savepoint_transaction) violation("R6", "RELEASE SAVEPOINT cockroach_restart without the SAVEPOINT", s);
    } else if (std::regex_match(t, end_re)) {
      const bool commit = matches(t, R"(^(COMMIT|END)\b)");
      if (commit && c.savepoint_transaction && !std::regex_match(c.last, release_re))
        violation("R6", "COMMIT of a savepoint transaction not right after RELEASE SAVEPOINT cockroach_restart", s);
      c.in_transaction = false;
      c.savepoint_transaction = false;
    }
    c.last = t;
  }
  return violations;
}

// How many recorded statements (split) match `pattern` (case-insensitive).
inline int count_matching(const std::vector<RecordedStatement>& recorded, const std::string& pattern) {
  const std::regex re(pattern, kIcase);
  int n = 0;
  for (const Statement& s : statements_of(recorded))
    if (std::regex_search(s.text, re)) ++n;
  return n;
}

}  // namespace roachrun::test::conformance
