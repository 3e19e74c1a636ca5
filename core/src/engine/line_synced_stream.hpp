// An ostream for one of several threads that print to the same stream (the branches of a
// parallel block): it passes on whole lines only, one at a time, so lines of two branches never
// mix within a line.
#pragma once

#include <mutex>
#include <ostream>
#include <streambuf>
#include <string>

namespace roachrun {

class LineSyncedBuf final : public std::streambuf {
 public:
  LineSyncedBuf(std::ostream& target, std::mutex& mutex) : target_(target), mutex_(mutex) {}
  ~LineSyncedBuf() override { flush_all(); }
  // Passes on what is left, a last line without its newline included.
  void flush_all();

 protected:
  int_type overflow(int_type c) override;
  std::streamsize xsputn(const char* s, std::streamsize n) override;
  int sync() override;

 private:
  void pass_lines();

  std::ostream& target_;
  std::mutex& mutex_;
  std::string pending_;
};

class LineSyncedStream final : public std::ostream {
 public:
  LineSyncedStream(std::ostream& target, std::mutex& mutex) : std::ostream(nullptr), buf_(target, mutex) {
    rdbuf(&buf_);
  }
  // At a step's end: what it printed, a last line without a newline included.
  void flush_all() { buf_.flush_all(); }

 private:
  LineSyncedBuf buf_;
};

}  // namespace roachrun
