// `capture:` of a step: what of its result a later step reads as ${name}.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "engine/scenario.hpp"
#include "roachrun/params.hpp"

namespace roachrun {

// The text ${name} stands for: a string as it is, null as "", anything else as compact JSON
// (42, true, ["1","1000"]).
std::string capture_text(const Value& value);

// The part of `result` that `path` names: keys and indexes separated by '.' ("rows.0.1"); the
// whole result for "". Throws StepError naming the capture, the path and what the result has.
const Value& captured_part(const Value& result, const CaptureDef& capture, int step_number);

// The captures made so far in a run. Branches of a parallel block add to it at the same time.
class CaptureTable {
 public:
  void set(const std::string& name, std::string value);
  VarTable snapshot() const;

 private:
  mutable std::mutex mutex_;
  VarTable values_;
};

}  // namespace roachrun
