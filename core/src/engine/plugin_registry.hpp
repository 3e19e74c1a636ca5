// Finds, loads and keeps the plugin libraries, and answers "which StepType is bank.transfer?".
//
// A library roachrun has not seen before (by path, size and mtime) is first examined out of
// process (engine/plugin_examiner.hpp): a library that exits, aborts, crashes or hangs there is
// recorded as a problem saying so, and never loaded here. What the examination found is kept in
// the plugin cache (engine/plugin_cache.hpp), so a normal start runs no scanner. A library
// examined ok is then loaded in this process with the same checks (engine/plugin_loader.hpp: its
// file read before any of its code runs, its ABI stamp, its factory's description). A library
// that fails any of this is recorded as a problem with its path and the reason, and the others
// still load.
//
// A library is loaded when one of its step types is first asked for, not when its directory is
// searched (as GStreamer's registry does): its examination already names its plugin, step types
// and certificate authority, so a run maps only the plugins its scenarios use -- 0.9 MiB of
// resident memory and the dlopen of six libraries less for a bank workload. Listing the plugins
// loads them all. Loading on first use takes a lock: a secure local target may look for its
// certificate authority from a step's thread.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/plugin_examination.hpp"
#include "roachrun/plugin.hpp"

namespace roachrun {

struct LoadedLibrary;  // owns the boost::dll::shared_library
class PluginCache;

// A step type together with the library that implements it. The library is released only when
// the last RegisteredStep referring to it is gone.
struct RegisteredStep {
  std::shared_ptr<const LoadedLibrary> library;  // declared first: destroyed last
  std::string plugin;
  std::string full_name;  // "bank.transfer"
  StepType type;
  StepDetails details;  // what the plugin's details say of it (SDK 3.4); empty if nothing
  // The choices of parameter `param`, or nullptr when any string goes.
  const std::vector<std::string>* choices(std::string_view param) const;
};

// The certificate authority a plugin provides, with the library that implements it.
struct RegisteredCertificateAuthority {
  std::shared_ptr<const LoadedLibrary> library;  // declared first: destroyed last
  std::string plugin;
  CertificateAuthority authority;
};

struct PluginSummary {
  std::string name;
  std::string doc;
  std::filesystem::path path;
  std::vector<std::shared_ptr<const RegisteredStep>> steps;
};

struct PluginProblem {
  std::filesystem::path path;
  std::string reason;
};

class PluginRegistry {
 public:
  PluginRegistry();
  ~PluginRegistry();
  PluginRegistry(const PluginRegistry&) = delete;
  PluginRegistry& operator=(const PluginRegistry&) = delete;

  // Registers every *.so in `dir` (sorted by name), those not seen before examined side by side
  // first; each is loaded on first use. A plugin whose name is already registered (from a
  // directory searched earlier) is skipped, like a later entry on PATH. Throws Interrupted on
  // Ctrl-C while examining, UsageError for a bad ROACHRUN_PLUGIN_SCAN_TIMEOUT.
  void load_directory(const std::filesystem::path& dir);
  // Loads one library, examined first if not seen before. Returns false and records a problem if
  // it is not a usable plugin.
  bool load_library(const std::filesystem::path& path);

  // The step type, its library loaded now if this is its first use; nullptr if no plugin has it
  // (or its library failed to load in this process: then a problem says why).
  std::shared_ptr<const RegisteredStep> find(std::string_view full_name) const;
  std::vector<std::string> step_names() const;  // of every registered plugin, loaded or not
  // Every plugin, in search order: loads those not loaded yet.
  const std::vector<PluginSummary>& plugins() const;
  // Why libraries were skipped: those refused by their examination at once, a library that
  // fails to load in this process once it is loaded.
  const std::vector<PluginProblem>& problems() const { return problems_; }
  const std::vector<std::filesystem::path>& searched() const { return searched_; }
  // The certificate authority of the first plugin (in search order) that provides one, loaded
  // now if need be; nullptr if none does.
  std::shared_ptr<const RegisteredCertificateAuthority> certificate_authority() const;

 private:
  // One examination per library: from the cache, else by the scanner (then cached).
  std::vector<Examination> examine(const std::vector<std::filesystem::path>& libraries);
  // Registers a library its examination found usable, to be loaded on first use; false (and a
  // problem) if it is not, or names a plugin registered already.
  bool register_examined(const std::filesystem::path& path, const Examination& examination);
  // A registered library, as its examination describes it until it is loaded.
  struct Registered {
    std::filesystem::path path;
    Examination examination;
    bool loaded = false;  // tried: loaded, or a problem says why not
  };
  // Loads `r` if it was not tried yet; true if this call loaded it, false if it failed (a
  // problem says why) or was tried before. REQUIRES: lazy_ held.
  bool load(Registered& r) const;
  void add_plugin(std::size_t order, const std::filesystem::path& path, std::shared_ptr<const LoadedLibrary> library,
                  PluginInfo info, const PluginDetails& details) const;

  std::unique_ptr<PluginCache> cache_;  // read at the first examination

  // Loading on first use changes what the const queries see, never what they answer.
  mutable std::mutex lazy_;  // held by every query that may load, and while loading
  mutable std::vector<Registered> registered_;  // in search order
  mutable std::vector<PluginSummary> plugins_;  // loaded, in search order
  mutable std::vector<std::size_t> plugin_order_;  // plugins_[i]'s index in registered_
  mutable std::map<std::string, std::shared_ptr<const RegisteredStep>, std::less<>> steps_;
  mutable std::vector<PluginProblem> problems_;
  std::vector<std::filesystem::path> searched_;
  mutable std::shared_ptr<const RegisteredCertificateAuthority> certificate_authority_;
  mutable std::size_t certificate_authority_order_ = 0;
};

// The directories to search, in order: each --plugin-dir, then ROACHRUN_PLUGIN_PATH
// (colon-separated), then lib/roachrun/plugins beside the executable's bin/ (build tree and
// install prefix alike).
std::vector<std::filesystem::path> plugin_search_path(const std::vector<std::string>& plugin_dirs);

}  // namespace roachrun
