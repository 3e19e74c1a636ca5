#include "engine/plugin_cache.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "engine/variables.hpp"
#include "roachrun/plugin.hpp"
#include "roachrun/sdk_version.hpp"

namespace roachrun {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int kFormat = 1;

// The host the verdicts hold for: its version and ABI stamp (the stamp check's other side).
json host_identity() {
  const AbiStamp s = current_abi_stamp();
  return json{{"roachrun", ROACHRUN_VERSION},
              {"abi", {s.magic, s.sdk_major, s.sdk_minor, s.cxx11_abi, s.fmt_major, s.spdlog_major, s.nlohmann_json_major}}};
}

// plugins-<version>-<hash of the identity>.json: roachruns of other builds keep files of their own
// instead of overwriting each other's.
std::string file_name() {
  std::uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char c : host_identity().dump()) h = (h ^ c) * 16777619u;
  return fmt::format("plugins-{}-{:08x}.json", ROACHRUN_VERSION, h);
}

void debug(const std::string& message) {
  if (auto* log = spdlog::default_logger_raw()) log->debug("{}", message);
}

std::optional<LibraryKey> key_of(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return LibraryKey{path, static_cast<std::uintmax_t>(st.st_size),
                    static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

// The entries of the cache file `file`; empty (and why, at debug) if it is missing, corrupt or
// another roachrun's.
using Entries = std::map<std::string, CachedExamination>;

Entries read_entries(const fs::path& file) {
  Entries entries;
  std::ifstream in(file, std::ios::binary);
  if (!in) return entries;
  std::stringstream text;
  text << in.rdbuf();
  const json j = json::parse(text.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    debug("plugin cache " + file.string() + ": not valid JSON; ignored, it will be rewritten");
    return entries;
  }
  if (j.value("format", 0) != kFormat || !j.contains("host") || j["host"] != host_identity() ||
      !j.contains("libraries") || !j["libraries"].is_object()) {
    debug("plugin cache " + file.string() + ": of another roachrun build or format; ignored, it will be rewritten");
    return entries;
  }
  for (const auto& [path, e] : j["libraries"].items()) {
    if (!e.is_object() || !e.contains("size") || !e["size"].is_number_unsigned() || !e.contains("mtime_ns") ||
        !e["mtime_ns"].is_number_integer() || !e.contains("examination"))
      continue;
    auto examination = examination_from_json(e["examination"]);
    if (!examination || !examination->definitive) continue;
    entries[path] = {LibraryKey{path, e["size"].get<std::uintmax_t>(), e["mtime_ns"].get<std::int64_t>()}, *examination};
  }
  return entries;
}

// Holds an exclusive flock(2) on `path` for its lifetime, if it could get one within a second.
class FileLock {
 public:
  explicit FileLock(const fs::path& path) : fd_(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_ < 0) {
      error_ = std::strerror(errno);
      return;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if ((errno != EWOULDBLOCK && errno != EINTR) || std::chrono::steady_clock::now() >= deadline) {
        error_ = errno == EWOULDBLOCK ? "another roachrun held its lock for more than a second" : std::strerror(errno);
        close(fd_);
        fd_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  ~FileLock() {
    if (fd_ >= 0) close(fd_);  // releases the lock
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  bool held() const { return fd_ >= 0; }
  const std::string& error() const { return error_; }

 private:
  int fd_;
  std::string error_;
};

// Writes `text` to a new file beside `file` and renames it over `file`; "" or why not.
std::string replace_file(const fs::path& file, const std::string& text) {
  std::string temp = file.string() + ".XXXXXX";
  const int fd = mkstemp(temp.data());
  if (fd < 0) return std::strerror(errno);
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  const std::string why = done < text.size() ? std::strerror(errno) : "";
  if (close(fd) != 0 || !why.empty() || rename(temp.c_str(), file.c_str()) != 0) {
    const std::string error = why.empty() ? std::strerror(errno) : why;
    unlink(temp.c_str());
    return error;
  }
  return {};
}

}  // namespace

std::optional<LibraryKey> library_key(const fs::path& path) {
  std::error_code ec;
  const fs::path canonical = fs::canonical(path, ec);
  if (ec) return std::nullopt;
  return key_of(canonical.string());
}

std::optional<fs::path> PluginCache::default_file() {
  // The XDG base directory specification: a relative XDG_CACHE_HOME is invalid and ignored.
  if (auto xdg = process_env("XDG_CACHE_HOME"); xdg && fs::path(*xdg).is_absolute())
    return fs::path(*xdg) / "roachrun" / file_name();
  if (auto home = process_env("HOME"); home && fs::path(*home).is_absolute())
    return fs::path(*home) / ".cache" / "roachrun" / file_name();
  return std::nullopt;
}

PluginCache::PluginCache(std::optional<fs::path> file) : file_(std::move(file)) {
  if (file_) entries_ = read_entries(*file_);
}

std::optional<Examination> PluginCache::find(const LibraryKey& key) const {
  auto it = entries_.find(key.path);
  if (it == entries_.end() || !(it->second.key == key)) return std::nullopt;
  return it->second.examination;
}

void PluginCache::remember(const LibraryKey& key, const Examination& e) {
  if (!file_ || !e.definitive) return;
  entries_[key.path] = unsaved_[key.path] = CachedExamination{key, e};
}

void PluginCache::save() {
  if (!file_ || unsaved_.empty()) return;
  const fs::path dir = file_->parent_path();
  auto not_saved = [&](const std::string& why) {
    debug("plugin cache " + file_->string() + " not written: " + why + "; plugins will be examined again next time");
  };
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return not_saved(ec.message());
  FileLock lock(file_->string() + ".lock");
  if (!lock.held()) return not_saved(lock.error());

  // What the others wrote meanwhile stays, unless that library has changed or gone since.
  auto merged = read_entries(*file_);
  for (auto it = merged.begin(); it != merged.end();)
    it = key_of(it->first) == it->second.key ? std::next(it) : merged.erase(it);
  for (const auto& [path, entry] : unsaved_) merged[path] = entry;

  json libraries = json::object();
  for (const auto& [path, entry] : merged)
    libraries[path] = {{"size", entry.key.size}, {"mtime_ns", entry.key.mtime_ns}, {"examination", to_json(entry.examination)}};
  const json j = {{"format", kFormat}, {"host", host_identity()}, {"libraries", libraries}};
  if (std::string why = replace_file(*file_, j.dump(1, ' ', false, json::error_handler_t::replace) + "\n"); !why.empty())
    return not_saved(why);
  debug("plugin cache " + file_->string() + ": " + std::to_string(unsaved_.size()) + " new, " +
        std::to_string(merged.size()) + " in all");
  unsaved_.clear();
  entries_ = std::move(merged);
}

}  // namespace roachrun
