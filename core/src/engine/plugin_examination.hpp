// What examining a plugin library found, in the form the scanner reports it, the examiner
// returns it and the cache keeps it.
//
// roachrun-plugin-scanner speaks JSON lines on its stdout: a phase line as the library's own code
// is about to run ({"phase":"loading"}, then {"phase":"describing"}, then {"phase":"detailing"}
// for a library that exports a details function), then the report
// ({"phase":"done", ...}). A scanner that dies without a report died in the last phase it named,
// which says whether the library's initializers or its factory took it down.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/plugin_loader.hpp"

namespace roachrun {

struct Examination {
  std::string problem;  // why it is not a usable plugin; "" if it is
  // Whether the same file will always be judged so, and may be remembered: false for a timeout
  // (a loaded machine is no verdict) and for what lies outside the file (a missing dependency,
  // a missing scanner).
  bool definitive = true;
  // What a usable plugin says about itself.
  std::string name;
  std::string doc;
  std::vector<std::string> step_types;
  bool certificate_authority = false;

  bool ok() const { return problem.empty(); }
  static Examination refused(std::string problem, bool definitive = true);
};

// The examination of a library `open_plugin` opened.
Examination examination_of(const OpenedPlugin& opened);

nlohmann::json to_json(const Examination& e);
// nullopt if `j` is not an examination as to_json writes it.
std::optional<Examination> examination_from_json(const nlohmann::json& j);

// The scanner's lines.
std::string phase_line(OpenPhase phase);
std::string report_line(const Examination& e);

// What a scanner's stdout said: the last phase it entered and its report, if it got that far.
struct ScannerOutput {
  std::optional<OpenPhase> phase;
  std::optional<Examination> report;
};
// Lines that are not the scanner's (a library writing to the report's descriptor) are ignored.
ScannerOutput parse_scanner_output(std::string_view text);

}  // namespace roachrun
