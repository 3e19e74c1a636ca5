#include "engine/plugin_registry.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <regex>
#include <system_error>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

#include "engine/elf_dynamic.hpp"
#include "engine/variables.hpp"

namespace roachrun {

struct LoadedLibrary {
  boost::dll::shared_library lib;
};

PluginRegistry::PluginRegistry() = default;

// Step types (whose std::functions are plugin code) go before the libraries: each
// RegisteredStep releases its library after its StepType.
PluginRegistry::~PluginRegistry() {
  steps_.clear();
  plugins_.clear();
}

namespace {

const std::regex kPluginName("[a-z][a-z0-9_]*");

std::string version_text(std::uint32_t major, std::uint32_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

std::string other_sdk(const std::string& theirs) {
  return "built against roachrun SDK " + theirs + ", but this roachrun provides SDK " +
         version_text(kSdkVersionMajor, kSdkVersionMinor) + "; rebuild the plugin against this roachrun's headers";
}

// The SDK major a library links (libroachrun_sdk.so.<major>), if it links one.
std::optional<std::string> linked_sdk_major(const std::vector<std::string>& needed) {
  const std::string prefix = "libroachrun_sdk.so.";
  for (const auto& soname : needed)
    if (soname.rfind(prefix, 0) == 0) return soname.substr(prefix.size());
  return std::nullopt;
}

// Reads what the dynamic loader reads (the dynamic symbol table and the needed libraries), without
// running any code of the library: a plugin stripped the way distributions strip passes.
std::string check_before_loading(const std::filesystem::path& path) {
  ElfDynamicInfo elf;
  try {
    elf = read_elf_dynamic_info(path);
  } catch (const ElfError& e) {
    return std::string("not a loadable shared library: ") + e.what();
  }
  auto exports = [&](const char* name) { return std::find(elf.exported.begin(), elf.exported.end(), name) != elf.exported.end(); };
  if (!exports("roachrun_plugin_abi") || !exports("roachrun_plugin_factory"))
    return "not a roachrun plugin: it exports no roachrun_plugin_abi/roachrun_plugin_factory "
           "(build it with ROACHRUN_PLUGIN(...) from <roachrun/plugin.hpp>)";
  // A plugin of another major needs another soname of the SDK, which is usually not installed:
  // loading it would only say that file is missing.
  if (auto major = linked_sdk_major(elf.needed); major && *major != std::to_string(kSdkVersionMajor))
    return other_sdk(*major + " (it links libroachrun_sdk.so." + *major + ")");
  return {};
}

// The libraries whose types cross the plugin boundary, by the stamp's field for each.
struct CrossingLibrary {
  const char* name;
  std::uint32_t AbiStamp::*major;
};
constexpr CrossingLibrary kCrossingLibraries[] = {{"fmt", &AbiStamp::fmt_major},
                                                  {"spdlog", &AbiStamp::spdlog_major},
                                                  {"nlohmann-json", &AbiStamp::nlohmann_json_major}};

// Why the library's stamp is not this host's, or "". `raw` points at the plugin's stamp, whose
// layout is known only once its major is: every layout starts with magic, SDK major and minor.
std::string check_stamp(const void* raw) {
  std::uint32_t head[3];  // magic, sdk_major, sdk_minor
  std::memcpy(head, raw, sizeof head);
  const AbiStamp mine = current_abi_stamp();
  if (head[0] != kAbiMagic) return "corrupt ABI stamp; rebuild the plugin";
  if (head[1] != mine.sdk_major) return other_sdk(version_text(head[1], head[2]));
  AbiStamp stamp;
  std::memcpy(&stamp, raw, sizeof stamp);
  if (stamp.cxx11_abi != mine.cxx11_abi)
    return "built with a different C++ standard library ABI (_GLIBCXX_USE_CXX11_ABI=" + std::to_string(stamp.cxx11_abi) +
           ", roachrun uses " + std::to_string(mine.cxx11_abi) + ")";
  for (const auto& lib : kCrossingLibraries)
    if (stamp.*lib.major != mine.*lib.major)
      return std::string("built against ") + lib.name + " " + std::to_string(stamp.*lib.major) +
             ", but this roachrun uses " + lib.name + " " + std::to_string(mine.*lib.major) +
             "; rebuild the plugin against " + lib.name + " " + std::to_string(mine.*lib.major) +
             ", the version roachrun was built with";
  return {};
}

}  // namespace

bool PluginRegistry::load_library(const std::filesystem::path& path) {
  auto problem = [&](std::string reason) {
    problems_.push_back({path, std::move(reason)});
    return false;
  };
  if (std::string why = check_before_loading(path); !why.empty()) return problem(why);

  auto library = std::make_shared<LoadedLibrary>();
  try {
    // rtld_now: an unresolved symbol is a load error now, not a crash in the middle of a run.
    library->lib.load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::system_error& e) {
    return problem(std::string("failed to load: ") + e.what());
  }
  if (std::string why = check_stamp(&library->lib.get_alias<const AbiStamp>("roachrun_plugin_abi")); !why.empty())
    return problem(why);

  PluginInfo info;
  try {
    info = library->lib.get_alias<PluginFactory>("roachrun_plugin_factory")();
  } catch (const std::exception& e) {
    return problem(std::string("its factory threw: ") + e.what());
  } catch (...) {
    return problem("its factory threw an unknown exception");
  }
  if (!std::regex_match(info.name, kPluginName))
    return problem("invalid plugin name '" + info.name + "': use lower-case letters, digits and _");
  for (const auto& p : plugins_)
    if (p.name == info.name) {
      problems_.push_back({path, "skipped: plugin '" + info.name + "' is already loaded from " + p.path.string()});
      return false;
    }
  for (const auto& t : info.step_types) {
    if (!std::regex_match(t.name, kPluginName))
      return problem("invalid step type name '" + t.name + "': use lower-case letters, digits and _");
    if (!t.run) return problem("step type '" + info.name + "." + t.name + "' has no run function");
  }
  if (const auto& ca = info.certificate_authority; ca && !(ca->create_ca && ca->create_node && ca->create_client))
    return problem("its certificate authority lacks create_ca, create_node or create_client");
  add_plugin(path, std::move(library), std::move(info));
  return true;
}

void PluginRegistry::add_plugin(const std::filesystem::path& path, std::shared_ptr<const LoadedLibrary> library,
                                PluginInfo info) {
  PluginSummary summary{info.name, info.doc, path, {}};
  for (auto& type : info.step_types) {
    auto step = std::make_shared<RegisteredStep>();
    step->library = library;
    step->plugin = info.name;
    step->full_name = info.name + "." + type.name;
    step->type = std::move(type);
    steps_[step->full_name] = step;
    summary.steps.push_back(std::move(step));
  }
  plugins_.push_back(std::move(summary));
  if (info.certificate_authority && !certificate_authority_)
    certificate_authority_ = std::make_shared<const RegisteredCertificateAuthority>(
        RegisteredCertificateAuthority{library, info.name, std::move(*info.certificate_authority)});
}

void PluginRegistry::load_directory(const std::filesystem::path& dir) {
  searched_.push_back(dir);
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return;
  std::vector<std::filesystem::path> libraries;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.path().extension() == ".so" && entry.is_regular_file(ec)) libraries.push_back(entry.path());
  std::sort(libraries.begin(), libraries.end());
  for (const auto& lib : libraries) load_library(lib);
}

std::shared_ptr<const RegisteredStep> PluginRegistry::find(std::string_view full_name) const {
  auto it = steps_.find(full_name);
  return it == steps_.end() ? nullptr : it->second;
}

std::vector<std::string> PluginRegistry::step_names() const {
  std::vector<std::string> names;
  for (const auto& [name, step] : steps_) names.push_back(name);
  return names;
}

std::vector<std::filesystem::path> plugin_search_path(const std::vector<std::string>& plugin_dirs) {
  std::vector<std::filesystem::path> dirs(plugin_dirs.begin(), plugin_dirs.end());
  if (auto env = process_env("ROACHRUN_PLUGIN_PATH")) {
    size_t start = 0;
    while (start <= env->size()) {
      size_t colon = env->find(':', start);
      std::string part = env->substr(start, colon == std::string::npos ? std::string::npos : colon - start);
      if (!part.empty()) dirs.emplace_back(part);
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
  }
  std::error_code ec;
  auto exe = boost::dll::program_location(ec);
  if (!ec) dirs.push_back(exe.parent_path().parent_path() / "lib" / "roachrun" / "plugins");
  return dirs;
}

}  // namespace roachrun
