// How a shared library becomes a roachrun plugin.
//
//   roachrun::PluginInfo describe() {
//     return {"hello", "Says hello", {roachrun::StepType{...}}};
//   }
//   ROACHRUN_PLUGIN(describe)
//   ROACHRUN_PLUGIN_DETAILS(details)  // optional (SDK 3.4): enums, local-target-only steps
//
// The library must be built against these headers (roachrun_add_plugin in CMake does it). The
// host reads the ABI stamp first and refuses a library stamped with another SDK major version, or
// built against another major of fmt, spdlog or nlohmann-json (their types cross the boundary:
// spdlog::logger&, nlohmann values, fmt in spdlog's inline code), naming both versions and the
// library's path; a different minor version of the same SDK major loads (minor versions only add
// to the SDK). Only then does it call the factory. The library stays
// loaded as long as anything it created (a StepType's functions) lives.
//
// The factory is called once per process, on the main thread, while plugins are loaded -- also
// for `roachrun plugins` and `roachrun validate`. It must only describe: no database, no files,
// no threads, no global state that outlives it. If it throws, the plugin is reported as not
// loaded with the exception's message, and the other plugins still load. Static constructors of
// the library run before the stamp can be checked: keep them trivial.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/dll/alias.hpp>
#include <fmt/core.h>           // FMT_VERSION
#include <nlohmann/json_fwd.hpp>  // NLOHMANN_JSON_VERSION_MAJOR
#include <spdlog/version.h>     // SPDLOG_VER_MAJOR

#include "roachrun/certificate_authority.hpp"
#include "roachrun/step.hpp"
#include "roachrun/version.hpp"

namespace roachrun {

// What a plugin offers. Plain data, copied by the host.
struct PluginInfo {
  std::string name;  // the part before the dot in "bank.transfer"; [a-z][a-z0-9_]*
  std::string doc;   // one line
  std::vector<StepType> step_types;
  // Optional: certificates for the host's secure local target (see certificate_authority.hpp).
  // When several plugins offer one, the first loaded wins.
  std::optional<CertificateAuthority> certificate_authority{};
};

// Stamped into every plugin; plain data so it can be read before any plugin code runs.
// Every layout of every SDK major begins with `magic`, `sdk_major` and `sdk_minor`: the host reads
// those first and refuses another major by them alone, never reading fields an older or newer
// layout may not have. The fields after them are this major's; a minor version may only append.
struct AbiStamp {
  std::uint32_t magic;      // kAbiMagic
  std::uint32_t sdk_major;
  std::uint32_t sdk_minor;
  std::uint32_t cxx11_abi;  // libstdc++'s dual ABI: std::string layouts must match
  // Majors of the libraries whose types cross the plugin boundary (since SDK 3.0).
  std::uint32_t fmt_major;
  std::uint32_t spdlog_major;
  std::uint32_t nlohmann_json_major;
};

inline constexpr std::uint32_t kAbiMagic = 0x52525350;  // "RRSP"

inline constexpr AbiStamp current_abi_stamp() {
  return AbiStamp{kAbiMagic,
                  static_cast<std::uint32_t>(kSdkVersionMajor),
                  static_cast<std::uint32_t>(kSdkVersionMinor),
#if defined(_GLIBCXX_USE_CXX11_ABI)
                  static_cast<std::uint32_t>(_GLIBCXX_USE_CXX11_ABI),
#else
                  0u,
#endif
                  static_cast<std::uint32_t>(FMT_VERSION / 10000),
                  static_cast<std::uint32_t>(SPDLOG_VER_MAJOR),
                  static_cast<std::uint32_t>(NLOHMANN_JSON_VERSION_MAJOR)};
}

using PluginFactory = PluginInfo();

// Optional details of a plugin's step types (SDK 3.4), exported beside the factory with
// ROACHRUN_PLUGIN_DETAILS(fn). They are separate so StepType and ParamSpec keep their layouts: a
// plugin built against an older minor exports none, and its steps have no details. The host
// calls the function once, right after the factory and under the same rules (describe only; if
// it throws, the plugin is not loaded), and refuses the plugin when the details name a step
// type or parameter the factory did not declare, give a non-string parameter choices, or give
// an empty or repeated choice.

// The allowed values of one string parameter (an enum): a scenario giving another value is
// refused before anything runs, and `roachrun schema` lists them for editors.
struct ParamChoices {
  std::string param;                // a parameter of the step type, of ParamType::string
  std::vector<std::string> values;  // not empty, no value twice
};

struct StepDetails {
  std::string step;  // a step type's name as in PluginInfo ("stop", not "nodes.stop")
  // The step only works on roachrun's own local target (it starts, stops or reads the server it
  // manages): a scenario whose target is a URL is refused before anything runs.
  bool needs_local_target = false;
  std::vector<ParamChoices> choices;
};

struct PluginDetails {
  std::vector<StepDetails> steps;  // at most one entry per step type; steps without one have none
};

using PluginDetailsFunction = PluginDetails();

}  // namespace roachrun

// The exported names the host looks for (Boost.DLL aliases).
#define ROACHRUN_PLUGIN_FACTORY_ALIAS roachrun_plugin_factory
#define ROACHRUN_PLUGIN_ABI_ALIAS roachrun_plugin_abi
#define ROACHRUN_PLUGIN_DETAILS_ALIAS roachrun_plugin_details

// Exports `factory` (a function `roachrun::PluginInfo()`) and the ABI stamp. Use once per plugin.
#define ROACHRUN_PLUGIN(factory)                                                                      \
  namespace roachrun_plugin_exports {                                                                 \
  const ::roachrun::AbiStamp roachrun_abi_stamp = ::roachrun::current_abi_stamp();                    \
  ::roachrun::PluginInfo roachrun_factory() { return factory(); }                                     \
  }                                                                                                   \
  BOOST_DLL_ALIAS(roachrun_plugin_exports::roachrun_abi_stamp, roachrun_plugin_abi)                   \
  BOOST_DLL_ALIAS(roachrun_plugin_exports::roachrun_factory, roachrun_plugin_factory)

// Exports `details` (a function `roachrun::PluginDetails()`), next to ROACHRUN_PLUGIN. Optional;
// use at most once per plugin. (SDK 3.4.)
#define ROACHRUN_PLUGIN_DETAILS(details)                                                              \
  namespace roachrun_plugin_exports {                                                                 \
  ::roachrun::PluginDetails roachrun_details() { return details(); }                                  \
  }                                                                                                   \
  BOOST_DLL_ALIAS(roachrun_plugin_exports::roachrun_details, roachrun_plugin_details)
