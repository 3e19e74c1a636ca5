#include "output.hpp"

namespace roachrun_exec {

void BoundedCapture::append(std::string_view bytes) {
  const std::size_t room = limit_ - text_.size();
  if (bytes.size() > room) {
    truncated_ = true;
    bytes = bytes.substr(0, room);
  }
  text_.append(bytes);
}

void LineSplitter::emit(std::string_view text) {
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  line_(text);
}

void LineSplitter::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    const std::size_t nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      partial_.append(bytes);
      while (partial_.size() >= max_line_) {
        emit(std::string_view(partial_).substr(0, max_line_));
        partial_.erase(0, max_line_);
      }
      return;
    }
    partial_.append(bytes.substr(0, nl));
    bytes.remove_prefix(nl + 1);
    std::string_view rest = partial_;
    while (rest.size() > max_line_) {
      emit(rest.substr(0, max_line_));
      rest.remove_prefix(max_line_);
    }
    emit(rest);
    partial_.clear();
  }
}

void LineSplitter::finish() {
  if (!partial_.empty()) emit(partial_);
  partial_.clear();
}

}  // namespace roachrun_exec
