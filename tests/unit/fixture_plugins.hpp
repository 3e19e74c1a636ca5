// Where the fixture plugins of tests/fixtures/plugins/ are built: <dir>/<name>/lib<name>.so.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "engine/plugin_examiner.hpp"

namespace roachrun::test {

inline std::filesystem::path fixture_plugin(const std::string& name) {
  return std::filesystem::path(ROACHRUN_FIXTURE_PLUGIN_DIR) / name / ("lib" + name + ".so");
}

// A fixture plugin whose own code takes down the process that loads it (misbehaving.hpp), and
// the problem roachrun reports it with.
struct MisbehavingFixture {
  std::string name;
  std::string problem;
};

inline std::vector<MisbehavingFixture> misbehaving_fixtures() {
  // The limit is the one the run uses: a sanitizer run may raise it.
  const std::string limit = fmt::format("{:.1f} s", plugin_scan_timeout().count() / 1000.0);
  return {{"init_exit", "its initializer called exit(7) while being examined"},
          {"init_abort", "its initializer aborted (SIGABRT) while being examined; it printed: \"init_abort: cannot go on\""},
          {"init_throw", "its initializer threw: fixture initializer failure"},
          {"init_segfault", "its initializer crashed (SIGSEGV) while being examined"},
          {"init_hang", "did not finish loading within " + limit +
                            " while being examined (ROACHRUN_PLUGIN_SCAN_TIMEOUT sets the limit)"},
          {"factory_exit", "its factory called exit(3) while being examined"},
          {"details_exit", "its details function called exit(4) while being examined"},
          {"fini_abort", "it aborted (SIGABRT) while being unloaded (in its static destructors)"}};
}

// The pid a misbehaving fixture wrote to its marker file (ROACHRUN_FIXTURE_MARKER), or -1.
inline pid_t marker_pid(const std::filesystem::path& marker) {
  std::ifstream in(marker);
  pid_t pid = -1;
  in >> pid;
  return in ? pid : -1;
}

// Whether no process `pid` is left (not even a zombie: it was collected).
inline bool process_gone(pid_t pid) { return pid > 0 && kill(pid, 0) != 0 && errno == ESRCH; }

// Whether `pid` has ended, within `limit`: gone, or a zombie (the child of a process that died
// before it, left for init to collect).
inline bool process_ends(pid_t pid, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (process_gone(pid)) return true;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const size_t paren = text.rfind(')');  // the state follows the command name in parentheses
    if (paren != std::string::npos && text.compare(paren, 4, ") Z ") == 0) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// Time since `start`, for "finishes under 2 s".
inline std::chrono::milliseconds since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

}  // namespace roachrun::test
