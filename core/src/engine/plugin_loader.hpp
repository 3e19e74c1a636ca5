// Loads one plugin library and checks it: the one implementation of every check, used by the
// registry in roachrun's process and by roachrun-plugin-scanner, which examines a library in a
// process of its own before roachrun loads it (engine/plugin_examiner.hpp).
//
// In order, each refusing the library with the reason: its file is read before any of its code
// runs (it must export the roachrun aliases and link this SDK's major: engine/elf_dynamic.hpp);
// it is loaded (its static initializers run); its ABI stamp is checked (SDK major, C++ ABI, the
// fmt/spdlog/nlohmann-json majors); only then its factory is called, and what it describes is
// checked (names, run functions, a complete certificate authority); then, if the library exports
// one (SDK 3.4), its details function is called and its details checked against the description.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <boost/dll/shared_library.hpp>

#include "roachrun/plugin.hpp"

namespace roachrun {

struct LoadedLibrary {
  boost::dll::shared_library lib;
};

// A plugin library loaded and described, or why not.
struct OpenedPlugin {
  std::shared_ptr<const LoadedLibrary> library;  // declared first: released after `info`
  PluginInfo info;                               // only meaningful when `problem` is empty
  PluginDetails details;                         // empty when the library exports none
  std::string problem;                           // why it is not a usable plugin; "" if it is
  // false when the problem lies outside the file (the dynamic loader could not load it: a
  // dependency missing or unresolved), so the same file may load another time.
  bool intrinsic = true;
};

// The points at which the library's own code starts to run.
enum class OpenPhase {
  loading,     // its static initializers
  describing,  // its factory
  detailing,   // its details function (only for a library that exports one)
};

// Never throws for anything the library does short of killing the process. `on_phase` (optional)
// is called just before each phase: the scanner says where it is before plugin code runs.
OpenedPlugin open_plugin(const std::filesystem::path& path, const std::function<void(OpenPhase)>& on_phase = {});

}  // namespace roachrun
