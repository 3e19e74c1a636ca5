// A temporary directory removed with everything in it when the object goes.
#pragma once

#include <filesystem>
#include <string>

namespace roachrun::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  // Writes `content` to path()/name and returns the full path.
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

// The whole file, bytes as they are ("" if it cannot be read): the counterpart of TempDir::write.
std::string read_file(const std::filesystem::path& path);

}  // namespace roachrun::test
