// Fuzz target: a whole scenario file through the loader (YAML syntax, structure, target,
// connections, variables, the shape of each step). A roachrun error is the loader refusing the
// input, a normal outcome; anything else escaping it (a YAML::Exception, std::out_of_range ...)
// would reach the user as an internal error (exit 5), so it is left to crash the target, as are
// sanitizer reports, hangs (-timeout) and runaway memory (-rss_limit_mb).
#include <cstddef>
#include <cstdint>

#include "engine/scenario_loader.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    roachrun::load_scenario_text(roachrun::fuzz::input_text(data, size), "fuzz.yaml", {}, roachrun::fuzz::fixed_env);
  } catch (const roachrun::Error& e) {
    if (e.kind() == roachrun::ErrorKind::internal) throw;
  }
  return 0;
}
