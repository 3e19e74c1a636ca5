#include "script_shape.hpp"

#include <array>
#include <cctype>
#include <string>

namespace roachrun_sql {

namespace {

bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// The statement's first keyword, upper-cased: what tells transaction control apart.
bool controls_transaction(std::string_view first_word) {
  std::string w;
  for (char c : first_word) w += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  static constexpr std::array<std::string_view, 6> kWords = {"BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT"};
  for (std::string_view k : kWords)
    if (w == k) return true;
  return false;
}

}  // namespace

std::vector<std::string_view> split_script(std::string_view sql) {
  std::vector<std::string_view> statements;
  bool in_statement = false;  // something other than blanks and comments since the last `;`
  std::size_t begin = 0;      // where the statement in progress starts
  auto start_statement = [&](std::size_t at) {
    if (in_statement) return;
    in_statement = true;
    begin = at;
  };
  auto end_statement = [&](std::size_t at) {
    if (!in_statement) return;
    in_statement = false;
    std::size_t end = at;
    while (end > begin && std::isspace(static_cast<unsigned char>(sql[end - 1]))) --end;
    statements.push_back(sql.substr(begin, end - begin));
  };
  std::size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    const char next = i + 1 < sql.size() ? sql[i + 1] : '\0';
    if (c == '-' && next == '-') {
      while (i < sql.size() && sql[i] != '\n') ++i;
    } else if (c == '/' && next == '*') {
      // PostgreSQL's block comments nest.
      int depth = 0;
      do {
        if (sql[i] == '/' && i + 1 < sql.size() && sql[i + 1] == '*') ++depth, i += 2;
        else if (sql[i] == '*' && i + 1 < sql.size() && sql[i + 1] == '/') --depth, i += 2;
        else ++i;
      } while (depth > 0 && i < sql.size());
    } else if (c == ';') {
      end_statement(i);
      ++i;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '\'' || c == '"') {
      start_statement(i);
      // E'...' strings escape with a backslash; elsewhere a doubled quote is one quote.
      const bool escapes = c == '\'' && i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e');
      for (++i; i < sql.size(); ++i) {
        if (escapes && sql[i] == '\\') ++i;
        else if (sql[i] == c) {
          if (i + 1 < sql.size() && sql[i + 1] == c) ++i;
          else break;
        }
      }
      ++i;
    } else if (c == '$' && (i == 0 || !ident_char(sql[i - 1]))) {
      // $tag$ ... $tag$ (a $1 parameter is no tag: it has no closing $).
      start_statement(i);
      std::size_t end = i + 1;
      while (end < sql.size() && ident_char(sql[end]) && !std::isdigit(static_cast<unsigned char>(sql[i + 1]))) ++end;
      if (end < sql.size() && sql[end] == '$') {
        const std::string_view tag = sql.substr(i, end - i + 1);
        const std::size_t close = sql.find(tag, end + 1);
        i = close == std::string_view::npos ? sql.size() : close + tag.size();
      } else {
        ++i;
      }
    } else {
      start_statement(i);
      ++i;
      while (i < sql.size() && ident_char(sql[i]) && ident_char(sql[i - 1])) ++i;
    }
  }
  end_statement(sql.size());
  return statements;
}

ScriptShape script_shape(std::string_view sql) {
  ScriptShape shape;
  for (std::string_view statement : split_script(sql)) {
    ++shape.statements;
    std::size_t end = 0;
    while (end < statement.size() && ident_char(statement[end])) ++end;
    if (controls_transaction(statement.substr(0, end))) shape.transaction_control = true;
  }
  return shape;
}

}  // namespace roachrun_sql
