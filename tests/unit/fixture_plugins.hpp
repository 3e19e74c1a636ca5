// Where the fixture plugins of tests/fixtures/plugins/ are built: <dir>/<name>/lib<name>.so.
#pragma once

#include <filesystem>
#include <string>

namespace roachrun::test {

inline std::filesystem::path fixture_plugin(const std::string& name) {
  return std::filesystem::path(ROACHRUN_FIXTURE_PLUGIN_DIR) / name / ("lib" + name + ".so");
}

}  // namespace roachrun::test
