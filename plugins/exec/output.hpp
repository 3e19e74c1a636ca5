// What exec.run keeps of a command's output: the first 1 MiB of each stream for its result, and
// its stderr cut into lines for the log.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace roachrun_exec {

inline constexpr std::size_t kKeptBytes = 1024 * 1024;

// The first `limit` bytes of a stream; what comes after is counted, not kept.
class BoundedCapture {
 public:
  explicit BoundedCapture(std::size_t limit = kKeptBytes) : limit_(limit) {}
  void append(std::string_view bytes);
  const std::string& text() const noexcept { return text_; }
  bool truncated() const noexcept { return truncated_; }

 private:
  std::size_t limit_;
  std::string text_;
  bool truncated_ = false;
};

// Calls `line` for every complete line fed to it (without its "\n" or "\r\n"); a line longer
// than `max_line` is passed on in pieces of that size, so one endless line cannot grow memory.
class LineSplitter {
 public:
  explicit LineSplitter(std::function<void(std::string_view)> line, std::size_t max_line = 8192)
      : line_(std::move(line)), max_line_(max_line) {}
  void feed(std::string_view bytes);
  // The last line, when the stream ended without a newline.
  void finish();

 private:
  void emit(std::string_view text);
  std::function<void(std::string_view)> line_;
  std::size_t max_line_;
  std::string partial_;
};

}  // namespace roachrun_exec
