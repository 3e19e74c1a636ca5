#include "python_repr.hpp"

#include <cstdio>

namespace roachrun_sql {

std::string python_repr(std::string_view text) {
  // Python picks the quote that needs no escaping, preferring the single quote.
  const bool has_single = text.find('\'') != std::string_view::npos;
  const bool has_double = text.find('"') != std::string_view::npos;
  const char quote = (has_single && !has_double) ? '"' : '\'';

  std::string out;
  out.reserve(text.size() + 2);
  out += quote;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == quote || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (ch == '\n') {
      out += "\\n";
    } else if (ch == '\r') {
      out += "\\r";
    } else if (ch == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      // Bytes >= 0x80 are UTF-8 the server sent; Python 3 prints printable text as is.
      out += ch;
    }
  }
  out += quote;
  return out;
}

std::string python_row(const std::vector<std::optional<std::string>>& cells) {
  std::string out = "[";
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out += ", ";
    out += cells[i] ? python_repr(*cells[i]) : "None";
  }
  out += "]";
  return out;
}

}  // namespace roachrun_sql
