// What a script is made of, as far as sql.exec must know without a SQL parser: how many
// statements it holds and whether it manages transactions itself. A small lexer that knows
// where a `;` does not end a statement: inside '...' and E'...' strings, "..." identifiers,
// $tag$...$tag$ bodies, -- and /* */ comments.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace roachrun_sql {

struct ScriptShape {
  std::size_t statements = 0;       // non-empty statements
  bool transaction_control = false;  // one of them is BEGIN, START, COMMIT, END, ROLLBACK or ABORT
};

ScriptShape script_shape(std::string_view sql);

// The statements themselves: each from its first token to its `;` (or the end), trailing blanks
// dropped; comments between statements are no statement. Views into `sql`. (The conformance
// check splits what roachrun sent with it too.)
std::vector<std::string_view> split_script(std::string_view sql);

}  // namespace roachrun_sql
