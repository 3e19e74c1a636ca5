#include "engine/plugin_examination.hpp"

namespace roachrun {

using nlohmann::json;

Examination Examination::refused(std::string problem, bool definitive) {
  Examination e;
  e.problem = std::move(problem);
  e.definitive = definitive;
  return e;
}

Examination examination_of(const OpenedPlugin& opened) {
  if (!opened.problem.empty()) return Examination::refused(opened.problem, opened.intrinsic);
  Examination e;
  e.name = opened.info.name;
  e.doc = opened.info.doc;
  for (const auto& t : opened.info.step_types) e.step_types.push_back(t.name);
  e.certificate_authority = opened.info.certificate_authority.has_value();
  return e;
}

json to_json(const Examination& e) {
  if (!e.ok()) return json{{"problem", e.problem}, {"definitive", e.definitive}};
  return json{{"name", e.name}, {"doc", e.doc}, {"step_types", e.step_types}, {"certificate_authority", e.certificate_authority}};
}

std::optional<Examination> examination_from_json(const json& j) {
  if (!j.is_object()) return std::nullopt;
  auto text = [&](const char* key) -> const std::string* {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
  };
  Examination e;
  if (const std::string* problem = text("problem")) {
    auto definitive = j.find("definitive");
    if (problem->empty() || definitive == j.end() || !definitive->is_boolean()) return std::nullopt;
    return Examination::refused(*problem, definitive->get<bool>());
  }
  const std::string* name = text("name");
  const std::string* doc = text("doc");
  auto steps = j.find("step_types");
  auto ca = j.find("certificate_authority");
  if (!name || !doc || steps == j.end() || !steps->is_array() || ca == j.end() || !ca->is_boolean()) return std::nullopt;
  e.name = *name;
  e.doc = *doc;
  for (const auto& s : *steps) {
    if (!s.is_string()) return std::nullopt;
    e.step_types.push_back(s.get<std::string>());
  }
  e.certificate_authority = ca->get<bool>();
  return e;
}

namespace {

const char* phase_name(OpenPhase phase) {
  switch (phase) {
    case OpenPhase::loading: return "loading";
    case OpenPhase::describing: return "describing";
    case OpenPhase::detailing: return "detailing";
  }
  return "describing";
}

}  // namespace

std::string phase_line(OpenPhase phase) { return json{{"phase", phase_name(phase)}}.dump() + "\n"; }

std::string report_line(const Examination& e) {
  json j = to_json(e);
  j["phase"] = "done";
  // Whatever bytes a plugin's name or doc holds, the line is valid JSON (and one line).
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

ScannerOutput parse_scanner_output(std::string_view text) {
  ScannerOutput out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) break;  // a line cut short: the scanner died writing it
    const json j = json::parse(text.substr(start, end - start), nullptr, false);
    start = end + 1;
    if (!j.is_object() || !j.contains("phase") || !j["phase"].is_string()) continue;
    const std::string phase = j["phase"].get<std::string>();
    if (phase == "loading") out.phase = OpenPhase::loading;
    else if (phase == "describing") out.phase = OpenPhase::describing;
    else if (phase == "detailing") out.phase = OpenPhase::detailing;
    else if (phase == "done") out.report = examination_from_json(j);
  }
  return out;
}

}  // namespace roachrun
