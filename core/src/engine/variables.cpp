#include "engine/variables.hpp"

#include <cstdlib>

#include "engine/yaml_util.hpp"

namespace roachrun {

std::optional<std::string> process_env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

bool has_reference(std::string_view text) { return text.find('$') != std::string_view::npos; }

namespace {

std::vector<std::string> names_of(const VarTable& vars) {
  std::vector<std::string> names;
  for (const auto& [k, v] : vars) names.push_back(k);
  return names;
}

std::string defined_list(const VarTable& vars) {
  if (vars.empty()) return "no variables are defined";
  std::string s = "defined: ";
  bool first = true;
  for (const auto& [k, v] : vars) {
    s += (first ? "" : ", ") + k;
    first = false;
  }
  return s;
}

}  // namespace

std::string substitute(std::string_view text, const VarTable& vars, const SourceLocation& where, const EnvLookup& env) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '$') {
      out += c;
      continue;
    }
    SourceLocation at = where;
    // Offsets map to columns only within one line; a multi-line scalar keeps its own position.
    if (at.column > 0 && text.find('\n') == std::string_view::npos) at.column += static_cast<int>(i);
    if (i + 1 < text.size() && text[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (i + 1 >= text.size() || text[i + 1] != '{') {
      out += c;  // a lone $ is just a character
      continue;
    }
    size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos)
      throw ValidationError(at, "unterminated variable reference '" + std::string(text.substr(i)) +
                                    "': close it with '}' (write $$ for a literal $)");
    std::string ref(text.substr(i + 2, close - i - 2));
    if (ref.rfind("env:", 0) == 0) {
      std::string name = ref.substr(4);
      std::optional<std::string> fallback;
      if (auto dash = name.find(":-"); dash != std::string::npos) {
        fallback = name.substr(dash + 2);
        name = name.substr(0, dash);
      }
      if (name.empty()) throw ValidationError(at, "empty environment variable name in '${" + ref + "}'");
      auto value = env(name);
      if (value && !(fallback && value->empty())) out += *value;
      else if (fallback) out += *fallback;
      else
        throw ValidationError(at, "environment variable '" + name + "' is not set (referenced as '${" + ref +
                                      "}'); set it, or give a default: ${env:" + name + ":-value}");
    } else {
      if (ref.empty()) throw ValidationError(at, "empty variable reference '${}'");
      auto it = vars.find(ref);
      if (it == vars.end())
        throw ValidationError(at, "undefined variable '" + ref + "'" + yaml::suggestion_suffix(ref, names_of(vars)) +
                                      "; " + defined_list(vars) + ". Define it under vars: or pass --set " + ref +
                                      "=VALUE");
      out += it->second;
    }
    i = close;
  }
  return out;
}

}  // namespace roachrun
