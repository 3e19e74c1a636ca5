#include "engine/line_synced_stream.hpp"

namespace roachrun {

void LineSyncedBuf::pass_lines() {
  const std::size_t end = pending_.rfind('\n');
  if (end == std::string::npos) return;
  {
    std::lock_guard lock(mutex_);
    target_.write(pending_.data(), static_cast<std::streamsize>(end + 1));
    target_.flush();
  }
  pending_.erase(0, end + 1);
}

void LineSyncedBuf::flush_all() {
  pass_lines();
  if (pending_.empty()) return;
  std::lock_guard lock(mutex_);
  target_ << pending_;
  target_.flush();
  pending_.clear();
}

LineSyncedBuf::int_type LineSyncedBuf::overflow(int_type c) {
  if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
  pending_ += traits_type::to_char_type(c);
  if (pending_.back() == '\n') pass_lines();
  return c;
}

std::streamsize LineSyncedBuf::xsputn(const char* s, std::streamsize n) {
  pending_.append(s, static_cast<std::size_t>(n));
  pass_lines();
  return n;
}

// A flush passes whole lines only: a branch's half line waits for its end (or its step's end).
int LineSyncedBuf::sync() {
  pass_lines();
  return 0;
}

}  // namespace roachrun
