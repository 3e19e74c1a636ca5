// The run as JSON, for tools: the schema is documented in docs/report-schema.md. Messages have
// known secrets redacted; the document is valid UTF-8 (invalid bytes become U+FFFD).
#pragma once

#include <iosfwd>

#include <nlohmann/json.hpp>

#include "engine/report.hpp"

namespace roachrun {

nlohmann::ordered_json json_report(const RunRecord& record);
void write_json_report(std::ostream& out, const RunRecord& record);

}  // namespace roachrun
