// Writing a set of certificate and key files all at once or not at all, with the permissions
// CockroachDB and libpq insist on. Throws CertError naming the file and, where there is one, the fix.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace roachrun_certs {

// One file to create. Private keys get mode 0600 from the moment they exist; certificates 0644.
class OutputFile {
 public:
  OutputFile(std::filesystem::path path, std::string contents, bool is_private);
  OutputFile(OutputFile&&) noexcept = default;
  OutputFile& operator=(OutputFile&&) noexcept = default;
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  // Wipes the contents: a key's PEM text should not linger in freed memory.
  ~OutputFile();

  const std::filesystem::path& path() const noexcept { return path_; }
  const std::string& contents() const noexcept { return contents_; }
  bool is_private() const noexcept { return is_private_; }
  unsigned mode() const noexcept { return is_private_ ? 0600u : 0644u; }

 private:
  std::filesystem::path path_;
  std::string contents_;
  bool is_private_;
};

// Throws unless every path can be created: none exists yet (or overwrite is set and it is a
// file, not a directory), and no two are the same. Cheap; call it before the expensive key
// generation so a doomed run fails fast. write_all_or_nothing checks again.
void check_destinations(const std::vector<std::filesystem::path>& paths, bool overwrite);

// Whether two spellings name the same file ("certs/ca.crt", "./certs//ca.crt"); the files need
// not exist.
bool same_path(const std::filesystem::path& a, const std::filesystem::path& b);

// Creates every file, or leaves the file system as it was. Missing parent directories are created
// with mode 0700 (as `cockroach cert` creates the certs dir). Each file is first written in full
// to a temporary file beside its destination, created with O_CREAT|O_EXCL and its final mode so it
// is never readable by others, and synced; only when all are written are they moved into place.
// Without overwrite the move refuses to replace a file that appeared meanwhile. If anything
// fails, the temporary files, the files already moved into place and the directories created are
// removed. (With overwrite, a file already replaced cannot be brought back: a rename failing
// between two renames in the same directory is the only way to get there.)
void write_all_or_nothing(const std::vector<OutputFile>& files, bool overwrite);

// Throws unless `path` is a regular file that only its owner can access (mode 0600 or 0400): a
// CA key others can read lets them mint certificates for any user. `what` names it in the
// message ("CA key"), which ends with the chmod command that fixes it.
void check_private_key_mode(const std::filesystem::path& path, std::string_view what);

}  // namespace roachrun_certs
