// Examines plugin libraries out of process: each in a roachrun-plugin-scanner of its own
// (core/src/plugin_scanner.cpp), side by side, each within a time limit. A library whose static
// initializers or factory call exit(), abort, crash or hang takes down its scanner only, and comes
// back as a problem saying so; roachrun then loads in its own process only libraries examined ok.
// This is isolation from accidents, not a sandbox: the scanner runs the library's code as the
// user running roachrun.
//
// The scanner is found beside the running program, as installed (<prefix>/bin/roachrun and
// <prefix>/libexec/roachrun/roachrun-plugin-scanner) and in the build tree (build/bin, build/tests
// and build/libexec/roachrun alike), or at $ROACHRUN_PLUGIN_SCANNER.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <vector>

#include "engine/plugin_examination.hpp"

namespace roachrun {

inline constexpr std::chrono::milliseconds kDefaultPluginScanTimeout{1000};

struct ExaminerOptions {
  std::filesystem::path scanner;
  std::chrono::milliseconds timeout = kDefaultPluginScanTimeout;  // for each library, from its scanner's start
  const std::atomic<bool>* interrupted = nullptr;                 // checked while waiting
};

// $ROACHRUN_PLUGIN_SCANNER if set, else <exe>/../../libexec/roachrun/roachrun-plugin-scanner.
std::filesystem::path plugin_scanner_path();

// $ROACHRUN_PLUGIN_SCAN_TIMEOUT (a duration: "1.5s", "800ms", seconds) if set, else 1 s: slow
// machines and sanitizer builds raise it. Throws UsageError for anything else.
std::chrono::milliseconds plugin_scan_timeout();

// One examination per library, in order. Problems name what happened, not the path (the caller
// has it): "its initializer called exit(7) while being examined". Throws Interrupted as soon as
// *options.interrupted is set, after killing the scanners still running.
std::vector<Examination> examine_out_of_process(const std::vector<std::filesystem::path>& libraries,
                                                const ExaminerOptions& options);

}  // namespace roachrun
