// Fuzz target: ${...} substitution in one scalar. A ValidationError (undefined variable,
// malformed reference) is a normal outcome; a crash, a sanitizer report or another exception is
// not. Text without any '$' must come back unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "engine/variables.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Values holding references and '$' themselves: substitution is one pass, never recursive.
  static const roachrun::VarTable vars = {
      {"amount", "100"}, {"name", "maxroach"}, {"dollars", "$${amount}"}, {"ref", "${name}"}, {"empty", ""}};
  const std::string text = roachrun::fuzz::input_text(data, size);
  try {
    const std::string out =
        roachrun::substitute(text, vars, roachrun::SourceLocation{"fuzz.yaml", 3, 7}, roachrun::fuzz::fixed_env);
    if (!roachrun::has_reference(text) && out != text) std::abort();
  } catch (const roachrun::ValidationError&) {
  }
  return 0;
}
