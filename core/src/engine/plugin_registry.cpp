#include "engine/plugin_registry.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>
#include <system_error>

#include <boost/dll/runtime_symbol_info.hpp>
#include <spdlog/spdlog.h>

#include "engine/plugin_cache.hpp"
#include "engine/plugin_examiner.hpp"
#include "engine/plugin_loader.hpp"
#include "engine/signals.hpp"
#include "engine/variables.hpp"

namespace roachrun {

namespace {
std::string full_step_name(const std::string& plugin, const std::string& type) { return plugin + "." + type; }
std::string skipped_as_duplicate(const std::string& plugin, const std::filesystem::path& first) {
  return "skipped: plugin '" + plugin + "' is already loaded from " + first.string();
}
}  // namespace

const std::vector<std::string>* RegisteredStep::choices(std::string_view param) const {
  for (const auto& c : details.choices)
    if (c.param == param) return &c.values;
  return nullptr;
}

PluginRegistry::PluginRegistry() = default;

// Step types (whose std::functions are plugin code) go before the libraries: each
// RegisteredStep releases its library after its StepType.
PluginRegistry::~PluginRegistry() {
  steps_.clear();
  plugins_.clear();
}

bool PluginRegistry::load_library(const std::filesystem::path& path) {
  if (!register_examined(path, examine({path})[0])) return false;
  const std::lock_guard lock(lazy_);
  return load(registered_.back());
}

std::vector<Examination> PluginRegistry::examine(const std::vector<std::filesystem::path>& libraries) {
  spdlog::logger* log = spdlog::default_logger_raw();
  if (!cache_) {
    cache_ = std::make_unique<PluginCache>(PluginCache::default_file());
    if (log)
      log->debug("plugin cache: {}", cache_->file() ? cache_->file()->string()
                                                    : "none (neither XDG_CACHE_HOME nor HOME is an absolute path)");
  }
  std::vector<Examination> results(libraries.size());
  std::vector<std::optional<LibraryKey>> keys(libraries.size());
  std::vector<std::filesystem::path> unseen;
  std::vector<size_t> unseen_at;
  for (size_t i = 0; i < libraries.size(); ++i) {
    keys[i] = library_key(libraries[i]);
    std::optional<Examination> known = keys[i] ? cache_->find(*keys[i]) : std::nullopt;
    if (known) {
      results[i] = std::move(*known);
      continue;
    }
    unseen.push_back(libraries[i]);
    unseen_at.push_back(i);
  }
  if (unseen.empty()) return results;

  ExaminerOptions options{plugin_scanner_path(), plugin_scan_timeout(), &Interrupts::instance().flag()};
  if (log) {
    std::string names;
    for (const auto& lib : unseen) names += " " + lib.filename().string();
    log->debug("examining {} plugin librar{} out of process with {}:{}", unseen.size(), unseen.size() == 1 ? "y" : "ies",
               options.scanner.string(), names);
  }
  const auto started = std::chrono::steady_clock::now();
  std::vector<Examination> found = examine_out_of_process(unseen, options);
  if (log)
    log->debug("examined {} plugin librar{} in {} ms", unseen.size(), unseen.size() == 1 ? "y" : "ies",
               std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
  for (size_t j = 0; j < unseen.size(); ++j) {
    const size_t i = unseen_at[j];
    if (keys[i]) cache_->remember(*keys[i], found[j]);
    results[i] = std::move(found[j]);
  }
  cache_->save();
  return results;
}

bool PluginRegistry::register_examined(const std::filesystem::path& path, const Examination& examination) {
  const std::lock_guard lock(lazy_);
  auto problem = [&](std::string reason) {
    problems_.push_back({path, std::move(reason)});
    return false;
  };
  if (!examination.ok()) return problem(examination.problem);
  // Known by its examination: the library's code need not run at all.
  for (const auto& r : registered_)
    if (r.examination.name == examination.name)
      return problem(skipped_as_duplicate(r.examination.name, r.path));
  registered_.push_back({path, examination});
  return true;
}

bool PluginRegistry::load(Registered& r) const {
  if (r.loaded) return false;
  r.loaded = true;
  OpenedPlugin opened = open_plugin(r.path);
  if (!opened.problem.empty()) {
    problems_.push_back({r.path, opened.problem});
    return false;
  }
  // The library said another name in this process than to the scanner: the first one counts.
  for (const auto& p : plugins_)
    if (p.name == opened.info.name) {
      problems_.push_back({r.path, skipped_as_duplicate(p.name, p.path)});
      return false;
    }
  const auto order = static_cast<std::size_t>(&r - registered_.data());
  add_plugin(order, r.path, std::move(opened.library), std::move(opened.info), opened.details);
  return true;
}

void PluginRegistry::add_plugin(std::size_t order, const std::filesystem::path& path,
                                std::shared_ptr<const LoadedLibrary> library, PluginInfo info,
                                const PluginDetails& details) const {
  PluginSummary summary{info.name, info.doc, path, {}};
  for (auto& type : info.step_types) {
    auto step = std::make_shared<RegisteredStep>();
    step->library = library;
    step->plugin = info.name;
    step->full_name = full_step_name(info.name, type.name);
    for (const auto& d : details.steps)
      if (d.step == type.name) step->details = d;
    step->type = std::move(type);
    steps_[step->full_name] = step;
    summary.steps.push_back(std::move(step));
  }
  // Kept in search order whatever order first use loads them in.
  const auto at = std::upper_bound(plugin_order_.begin(), plugin_order_.end(), order) - plugin_order_.begin();
  plugins_.insert(plugins_.begin() + at, std::move(summary));
  plugin_order_.insert(plugin_order_.begin() + at, order);
  if (info.certificate_authority && (!certificate_authority_ || order < certificate_authority_order_)) {
    certificate_authority_ = std::make_shared<const RegisteredCertificateAuthority>(
        RegisteredCertificateAuthority{library, info.name, std::move(*info.certificate_authority)});
    certificate_authority_order_ = order;
  }
}

void PluginRegistry::load_directory(const std::filesystem::path& dir) {
  searched_.push_back(dir);
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return;
  std::vector<std::filesystem::path> libraries;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.path().extension() == ".so" && entry.is_regular_file(ec)) libraries.push_back(entry.path());
  std::sort(libraries.begin(), libraries.end());
  const std::vector<Examination> examinations = examine(libraries);
  for (size_t i = 0; i < libraries.size(); ++i) register_examined(libraries[i], examinations[i]);
}

std::shared_ptr<const RegisteredStep> PluginRegistry::find(std::string_view full_name) const {
  const std::lock_guard lock(lazy_);
  if (auto it = steps_.find(full_name); it != steps_.end()) return it->second;
  for (auto& r : registered_) {
    if (r.loaded) continue;
    for (const auto& type : r.examination.step_types)
      if (full_name == full_step_name(r.examination.name, type)) {
        load(r);
        auto it = steps_.find(full_name);
        return it == steps_.end() ? nullptr : it->second;
      }
  }
  return nullptr;
}

std::vector<std::string> PluginRegistry::step_names() const {
  const std::lock_guard lock(lazy_);
  std::set<std::string> names;
  for (const auto& [name, step] : steps_) names.insert(name);
  for (const auto& r : registered_)
    if (!r.loaded)
      for (const auto& type : r.examination.step_types) names.insert(full_step_name(r.examination.name, type));
  return {names.begin(), names.end()};
}

const std::vector<PluginSummary>& PluginRegistry::plugins() const {
  const std::lock_guard lock(lazy_);
  for (auto& r : registered_) load(r);
  return plugins_;
}

std::shared_ptr<const RegisteredCertificateAuthority> PluginRegistry::certificate_authority() const {
  const std::lock_guard lock(lazy_);
  // Those before the one found so far, in search order: the first that provides one wins.
  for (std::size_t i = 0; i < registered_.size(); ++i) {
    if (certificate_authority_ && i >= certificate_authority_order_) break;
    if (registered_[i].examination.certificate_authority) load(registered_[i]);
  }
  return certificate_authority_;
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
