#include "engine/plugin_loader.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <regex>
#include <system_error>
#include <vector>

#include "engine/elf_dynamic.hpp"

namespace roachrun {

namespace {

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
// `has_details` tells whether it exports a details function (SDK 3.4).
std::string check_before_loading(const std::filesystem::path& path, bool& has_details) {
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
  has_details = exports("roachrun_plugin_details");
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

// Whether `name` is a valid plugin or step type name.
bool valid_plugin_name(const std::string& name) {
  static const std::regex kPluginName("[a-z][a-z0-9_]*");
  return std::regex_match(name, kPluginName);
}

// Why what the factory described is not a usable plugin, or "".
std::string check_description(const PluginInfo& info) {
  if (!valid_plugin_name(info.name))
    return "invalid plugin name '" + info.name + "': use lower-case letters, digits and _";
  for (auto t = info.step_types.begin(); t != info.step_types.end(); ++t) {
    const std::string full = info.name + "." + t->name;
    if (!valid_plugin_name(t->name))
      return "invalid step type name '" + t->name + "': use lower-case letters, digits and _";
    if (!t->run) return "step type '" + full + "' has no run function";
    // A second declaration of a name would be unreachable, or worse, read with the first's type.
    if (std::any_of(info.step_types.begin(), t, [&](const StepType& other) { return other.name == t->name; }))
      return "it declares step type '" + full + "' twice";
    for (auto p = t->params.begin(); p != t->params.end(); ++p)
      if (std::any_of(t->params.begin(), p, [&](const ParamSpec& other) { return other.name == p->name; }))
        return "step type '" + full + "' declares parameter '" + p->name + "' twice";
  }
  if (const auto& ca = info.certificate_authority; ca && !(ca->create_ca && ca->create_node && ca->create_client))
    return "its certificate authority lacks create_ca, create_node or create_client";
  return {};
}

// Why the details do not fit what the factory described, or "".
std::string check_details(const PluginInfo& info, const PluginDetails& details) {
  for (auto d = details.steps.begin(); d != details.steps.end(); ++d) {
    const std::string full = info.name + "." + d->step;
    auto type = std::find_if(info.step_types.begin(), info.step_types.end(), [&](const StepType& t) { return t.name == d->step; });
    if (type == info.step_types.end())
      return "its details name step type '" + full + "', which it does not declare";
    if (std::any_of(details.steps.begin(), d, [&](const StepDetails& other) { return other.step == d->step; }))
      return "its details describe step type '" + full + "' twice";
    for (auto c = d->choices.begin(); c != d->choices.end(); ++c) {
      const std::string what = "its details give parameter '" + c->param + "' of step type '" + full + "' ";
      auto spec = std::find_if(type->params.begin(), type->params.end(), [&](const ParamSpec& p) { return p.name == c->param; });
      if (spec == type->params.end()) return "its details name parameter '" + c->param + "' of step type '" + full + "', which it does not declare";
      if (spec->type != ParamType::string)
        return what + "choices, but it is " + std::string(to_string(spec->type)) + ", not string";
      if (std::any_of(d->choices.begin(), c, [&](const ParamChoices& other) { return other.param == c->param; }))
        return what + "choices twice";
      if (c->values.empty()) return what + "no choices (an empty list)";
      for (auto v = c->values.begin(); v != c->values.end(); ++v)
        if (std::find(c->values.begin(), v, *v) != v) return what + "the choice '" + *v + "' twice";
      // A default outside the choices would make every scenario that omits the parameter invalid.
      if (spec->default_value.is_string() &&
          std::find(c->values.begin(), c->values.end(), spec->default_value.get<std::string>()) == c->values.end())
        return what + "choices that leave out its default '" + spec->default_value.get<std::string>() + "'";
    }
  }
  return {};
}

}  // namespace

OpenedPlugin open_plugin(const std::filesystem::path& path, const std::function<void(OpenPhase)>& on_phase) {
  OpenedPlugin opened;
  auto refuse = [&](std::string reason, bool intrinsic = true) {
    opened.info = PluginInfo{};  // plugin code (std::functions) goes before its library
    opened.details = PluginDetails{};
    opened.library.reset();
    opened.problem = std::move(reason);
    opened.intrinsic = intrinsic;
    return std::move(opened);
  };
  bool has_details = false;
  if (std::string why = check_before_loading(path, has_details); !why.empty()) return refuse(why);

  if (on_phase) on_phase(OpenPhase::loading);
  auto library = std::make_shared<LoadedLibrary>();
  try {
    // rtld_now: an unresolved symbol is a load error now, not a crash in the middle of a run.
    library->lib.load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::system_error& e) {
    return refuse(std::string("failed to load: ") + e.what(), false);
  } catch (const std::exception& e) {
    // A static constructor threw, and the exception came out of dlopen, whose state is then
    // anyone's guess: only a scanner process ever gets here (roachrun loads a library only once
    // it was examined ok).
    return refuse(std::string("its initializer threw: ") + e.what());
  } catch (...) {
    return refuse("its initializer threw an unknown exception");
  }
  opened.library = library;
  if (std::string why = check_stamp(&library->lib.get_alias<const AbiStamp>("roachrun_plugin_abi")); !why.empty())
    return refuse(why);

  if (on_phase) on_phase(OpenPhase::describing);
  try {
    opened.info = library->lib.get_alias<PluginFactory>("roachrun_plugin_factory")();
  } catch (const std::exception& e) {
    return refuse(std::string("its factory threw: ") + e.what());
  } catch (...) {
    return refuse("its factory threw an unknown exception");
  }
  if (std::string why = check_description(opened.info); !why.empty()) return refuse(why);

  if (!has_details) return opened;
  if (on_phase) on_phase(OpenPhase::detailing);
  try {
    opened.details = library->lib.get_alias<PluginDetailsFunction>("roachrun_plugin_details")();
  } catch (const std::exception& e) {
    return refuse(std::string("its details function threw: ") + e.what());
  } catch (...) {
    return refuse("its details function threw an unknown exception");
  }
  if (std::string why = check_details(opened.info, opened.details); !why.empty()) return refuse(why);
  return opened;
}

}  // namespace roachrun
