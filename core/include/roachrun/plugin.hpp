// How a shared library becomes a roachrun plugin.
//
//   roachrun::PluginInfo describe() {
//     return {"hello", "Says hello", {roachrun::StepType{...}}};
//   }
//   ROACHRUN_PLUGIN(describe)
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

}  // namespace roachrun

// The exported names the host looks for (Boost.DLL aliases).
#define ROACHRUN_PLUGIN_FACTORY_ALIAS roachrun_plugin_factory
#define ROACHRUN_PLUGIN_ABI_ALIAS roachrun_plugin_abi

// Exports `factory` (a function `roachrun::PluginInfo()`) and the ABI stamp. Use once per plugin.
#define ROACHRUN_PLUGIN(factory)                                                                      \
  namespace roachrun_plugin_exports {                                                                 \
  const ::roachrun::AbiStamp roachrun_abi_stamp = ::roachrun::current_abi_stamp();                    \
  ::roachrun::PluginInfo roachrun_factory() { return factory(); }                                     \
  }                                                                                                   \
  BOOST_DLL_ALIAS(roachrun_plugin_exports::roachrun_abi_stamp, roachrun_plugin_abi)                   \
  BOOST_DLL_ALIAS(roachrun_plugin_exports::roachrun_factory, roachrun_plugin_factory)
