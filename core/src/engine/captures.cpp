#include "engine/captures.hpp"

#include <charconv>

#include "roachrun/error.hpp"

namespace roachrun {

std::string capture_text(const Value& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  return value.dump(-1, ' ', false, Value::error_handler_t::replace);
}

namespace {

std::string keys_of(const Value& v) {
  if (v.is_object()) {
    std::string keys;
    for (const auto& [k, _] : v.items()) keys += (keys.empty() ? "" : ", ") + k;
    return keys.empty() ? "an empty object" : "keys " + keys;
  }
  if (v.is_array()) return v.empty() ? "an empty list" : "a list of " + std::to_string(v.size());
  return "the value " + capture_text(v).substr(0, 80);
}

}  // namespace

const Value& captured_part(const Value& result, const CaptureDef& capture, int step_number) {
  const std::string head = "capture '" + capture.name + "' (" + capture.where.str() + "): step " +
                           std::to_string(step_number);
  if (result.is_null()) throw StepError(head + " gave no result to capture (its step type sets none)");
  const Value* at = &result;
  std::string walked;
  std::size_t begin = 0;
  while (begin < capture.path.size()) {
    std::size_t end = capture.path.find('.', begin);
    if (end == std::string::npos) end = capture.path.size();
    const std::string part = capture.path.substr(begin, end - begin);
    const Value* next = nullptr;
    if (at->is_object()) {
      if (auto it = at->find(part); it != at->end()) next = &*it;
    } else if (at->is_array()) {
      std::size_t index = 0;
      auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), index);
      if (ec == std::errc() && p == part.data() + part.size() && index < at->size()) next = &(*at)[index];
    }
    if (!next)
      throw StepError(head + "'s result has no '" + capture.path + "': " + (walked.empty() ? "it" : "'" + walked + "'") +
                      " has " + keys_of(*at));
    walked += (walked.empty() ? "" : ".") + part;
    at = next;
    begin = end + 1;
  }
  return *at;
}

void CaptureTable::set(const std::string& name, std::string value) {
  std::lock_guard lock(mutex_);
  values_[name] = std::move(value);
}

VarTable CaptureTable::snapshot() const {
  std::lock_guard lock(mutex_);
  return values_;
}

}  // namespace roachrun
