// Rows printed the way the tutorial's Python prints them: print([str(cell) for cell in row]).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace roachrun_sql {

// Python's repr() of a str: '...' quotes, or "..." when the text holds a ' and no ".
std::string python_repr(std::string_view text);

// ['1', '1000']; a NULL cell prints as None (unquoted), so it cannot be confused with the text 'None'.
std::string python_row(const std::vector<std::optional<std::string>>& cells);

}  // namespace roachrun_sql
