// What examining each plugin library found, remembered across runs so that a normal start runs no
// scanner: one JSON file per roachrun version and ABI stamp, under $XDG_CACHE_HOME/roachrun/
// (else $HOME/.cache/roachrun/; neither: no cache, every library is examined every time), like
// GStreamer's registry cache. A library is known by its canonical path, size and mtime (ns):
// replaced or touched, it is examined again.
//
// Only definitive examinations are kept (ok, refused, exit, signal), never a timeout. Several
// roachruns may run at once: a save merges under flock(2) with what the others wrote and replaces
// the file by rename(2), so a reader sees the old file or the new one, and no entry is lost. A
// corrupt file, or one of another roachrun build, is ignored and rewritten; a directory that
// cannot be written is logged at debug and the run goes on.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "engine/plugin_examination.hpp"

namespace roachrun {

struct LibraryKey {
  std::string path;  // canonical
  std::uintmax_t size = 0;
  std::int64_t mtime_ns = 0;
  bool operator==(const LibraryKey&) const = default;
};

struct CachedExamination {
  LibraryKey key;
  Examination examination;
};

// nullopt if the file cannot be resolved or stat'ed.
std::optional<LibraryKey> library_key(const std::filesystem::path& path);

class PluginCache {
 public:
  // The file this roachrun uses, or nullopt if the environment names no cache directory.
  static std::optional<std::filesystem::path> default_file();

  // Reads `file` (nullopt: a cache that finds nothing and keeps nothing).
  explicit PluginCache(std::optional<std::filesystem::path> file);

  const std::optional<std::filesystem::path>& file() const { return file_; }
  std::optional<Examination> find(const LibraryKey& key) const;
  // Kept (until save()) only if `e` is definitive.
  void remember(const LibraryKey& key, const Examination& e);
  // Writes what was remembered since the last save, merged with the file as it is now. Never
  // throws.
  void save();

 private:
  std::optional<std::filesystem::path> file_;
  std::map<std::string, CachedExamination> entries_;  // by path
  std::map<std::string, CachedExamination> unsaved_;
};

}  // namespace roachrun
