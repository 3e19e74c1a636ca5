#include "file_set.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "ossl.hpp"

namespace roachrun_certs {
namespace fs = std::filesystem;

namespace {

std::string errno_text(int err) { return std::strerror(err); }

std::string octal_mode(mode_t mode) {
  std::array<char, 8> buf{};
  std::snprintf(buf.data(), buf.size(), "%04o", static_cast<unsigned>(mode & 07777));
  return buf.data();
}

fs::path parent_dir(const fs::path& file) {
  fs::path parent = file.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

// Two spellings of one destination ("certs/ca.crt", "./certs//ca.crt") must compare equal.
fs::path comparable(const fs::path& p) {
  std::error_code ec;
  fs::path canon = fs::weakly_canonical(fs::absolute(p, ec), ec);
  return ec ? p.lexically_normal() : canon;
}

std::string already_exists(const fs::path& path) {
  return path.string() + " already exists; pass overwrite: true to replace it";
}

// ".node.key.tmp-1a2b3c4d5e6f" beside node.key: same directory, so the final rename is atomic;
// a dot file, so `cockroach start` never mistakes it for a certificate.
fs::path temp_name_for(const fs::path& dest) {
  std::array<unsigned char, 6> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    throw_openssl_error("cannot draw a temporary file name");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string suffix;
  for (unsigned char b : random) {
    suffix += kHex[b >> 4];
    suffix += kHex[b & 0xf];
  }
  return parent_dir(dest) / ("." + dest.filename().string() + ".tmp-" + suffix);
}

void write_fully(int fd, const std::string& data, const fs::path& shown_as) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw CertError("cannot write " + shown_as.string() + ": " + errno_text(errno));
    }
    done += static_cast<std::size_t>(n);
  }
}

// Everything write_all_or_nothing has done so far, undone by the destructor unless committed.
class Transaction {
 public:
  Transaction() = default;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction() {
    if (committed_) return;
    for (const auto& p : published_) ::unlink(p.c_str());
    for (const auto& p : temps_) ::unlink(p.c_str());
    // Deepest first; rmdir only removes a directory that is still empty, so nothing anyone else
    // put there meanwhile is lost.
    for (auto it = created_dirs_.rbegin(); it != created_dirs_.rend(); ++it) ::rmdir(it->c_str());
  }

  // mkdir -p with mode 0700, remembering what it created.
  void make_dirs(const fs::path& dir) {
    fs::path prefix;
    for (const auto& part : dir) {
      prefix /= part;
      struct stat st {};
      if (::stat(prefix.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
          throw CertError("cannot create directory " + dir.string() + ": " + prefix.string() +
                          " exists and is not a directory");
        }
        continue;
      }
      if (::mkdir(prefix.c_str(), 0700) == 0) {
        created_dirs_.push_back(prefix);
      } else if (errno != EEXIST) {
        throw CertError("cannot create directory " + prefix.string() + ": " + errno_text(errno));
      }
    }
  }

  // Writes `file` to a new temporary file beside its destination and returns that file's name.
  fs::path stage(const OutputFile& file) {
    for (int attempt = 0;; ++attempt) {
      fs::path temp = temp_name_for(file.path());
      // O_EXCL with the final mode: the file is born private, never world-readable for a moment
      // as it would be if it were written first and chmod-ed after. O_NOFOLLOW: never write
      // through a symlink someone planted under that name.
      const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                            static_cast<mode_t>(file.mode()));
      if (fd < 0) {
        if (errno == EEXIST && attempt < 10) continue;
        throw CertError("cannot create " + file.path().string() + ": " + errno_text(errno));
      }
      temps_.push_back(temp);
      try {
        write_fully(fd, file.contents(), file.path());
        if (::fsync(fd) != 0) throw CertError("cannot write " + file.path().string() + ": " + errno_text(errno));
      } catch (...) {
        ::close(fd);
        throw;
      }
      if (::close(fd) != 0) throw CertError("cannot write " + file.path().string() + ": " + errno_text(errno));
      return temp;
    }
  }

  void publish(const fs::path& temp, const fs::path& dest, bool overwrite) {
    // Only a file this call created is removed on rollback; one it replaced is already gone, and
    // deleting its successor would leave the user with less than the half-done state.
    struct stat st {};
    const bool existed = ::lstat(dest.c_str(), &st) == 0;
    if (overwrite) {
      if (::rename(temp.c_str(), dest.c_str()) != 0) {
        throw CertError("cannot replace " + dest.string() + ": " + errno_text(errno));
      }
    } else if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, dest.c_str(), RENAME_NOREPLACE) != 0) {
      // A file system without RENAME_NOREPLACE: link() refuses an existing name just as well.
      if ((errno != EINVAL && errno != ENOSYS) || ::link(temp.c_str(), dest.c_str()) != 0) {
        if (errno == EEXIST) throw CertError(already_exists(dest));
        throw CertError("cannot create " + dest.string() + ": " + errno_text(errno));
      }
      ::unlink(temp.c_str());
    }
    std::erase(temps_, temp);
    if (!existed) published_.push_back(dest);
  }

  void commit() { committed_ = true; }

 private:
  std::vector<fs::path> created_dirs_;
  std::vector<fs::path> temps_;
  std::vector<fs::path> published_;
  bool committed_ = false;
};

}  // namespace

OutputFile::OutputFile(fs::path path, std::string contents, bool is_private)
    : path_(std::move(path)), contents_(std::move(contents)), is_private_(is_private) {}

OutputFile::~OutputFile() { OPENSSL_cleanse(contents_.data(), contents_.size()); }

bool same_path(const fs::path& a, const fs::path& b) { return comparable(a) == comparable(b); }

void check_destinations(const std::vector<fs::path>& paths, bool overwrite) {
  std::set<fs::path> seen;
  for (const auto& path : paths) {
    if (!seen.insert(comparable(path)).second) {
      throw CertError(path.string() + " would be written twice; give the CA key and the certs dir distinct paths");
    }
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) continue;  // ENOTDIR: make_dirs reports it better
      throw CertError("cannot check " + path.string() + ": " + errno_text(errno));
    }
    if (S_ISDIR(st.st_mode)) throw CertError(path.string() + " is a directory; remove it or choose another path");
    if (!overwrite) throw CertError(already_exists(path));
  }
}

void write_all_or_nothing(const std::vector<OutputFile>& files, bool overwrite) {
  std::vector<fs::path> paths;
  for (const auto& file : files) paths.push_back(file.path());
  check_destinations(paths, overwrite);
  Transaction tx;
  std::vector<fs::path> temps;
  for (const auto& file : files) {
    tx.make_dirs(parent_dir(file.path()));
    temps.push_back(tx.stage(file));
  }
  for (std::size_t i = 0; i < files.size(); ++i) tx.publish(temps[i], files[i].path(), overwrite);
  tx.commit();
}

void check_private_key_mode(const fs::path& path, std::string_view what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw CertError("cannot read " + std::string(what) + " " + path.string() + ": " + errno_text(errno));
  }
  if (!S_ISREG(st.st_mode)) throw CertError(std::string(what) + " " + path.string() + " is not a regular file");
  // The rule libpq applies to its own key file: no permission bits at all for group or others.
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    throw CertError(std::string(what) + " " + path.string() + " is accessible by group or others (mode " +
                    octal_mode(st.st_mode) + "); run chmod 600 " + path.string());
  }
}

}  // namespace roachrun_certs
