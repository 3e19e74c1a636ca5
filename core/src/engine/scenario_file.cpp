#include "engine/scenario_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/scenario_limits.hpp"
#include "engine/scenario_text.hpp"
#include "roachrun/error.hpp"

namespace roachrun {

namespace {

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() { ::close(fd_); }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw ValidationError(SourceLocation{path, 0, 0}, message);
}

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a file";
}

}  // namespace

std::string read_scenario_file(const std::string& path) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever. What is
  // opened is what fstat looks at and what is read, so nothing can be swapped in between.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    const int error = errno;
    if (error == ELOOP)
      fail(path, "cannot read the scenario file: it is a symbolic link loop (" + path +
                     " leads back to itself through symbolic links); point the link at a file");
    fail(path, "cannot read the scenario file: " + std::string(std::strerror(error)));
  }
  const FileDescriptor file(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail(path, "cannot read the scenario file: " + std::string(std::strerror(errno)));
  if (!S_ISREG(st.st_mode))
    fail(path, std::string("not a regular file (") + kind_of(st.st_mode) +
                   "): roachrun reads a scenario only from a regular file");
  const auto too_big = [&](std::size_t size) { fail_scenario_too_big(path, size); };
  if (static_cast<std::uintmax_t>(st.st_size) > limits::kMaxFileBytes) too_big(static_cast<std::size_t>(st.st_size));
  std::string text;
  text.resize(static_cast<std::size_t>(st.st_size));
  std::size_t used = 0;
  for (;;) {
    // One byte past the limit, to notice a file that grew after fstat.
    if (used > limits::kMaxFileBytes) too_big(used);
    if (used == text.size()) text.resize(std::min(limits::kMaxFileBytes + 1, std::max<std::size_t>(4096, used * 2)));
    const ssize_t n = ::read(fd, text.data() + used, text.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(path, "cannot read the scenario file: " + std::string(std::strerror(errno)));
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  text.resize(used);
  return text;
}

}  // namespace roachrun
