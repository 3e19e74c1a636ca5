#include "engine/variables.hpp"

#include <cstdlib>
#include <unordered_map>

#include "engine/scenario_limits.hpp"
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

std::string defined_list(const std::vector<std::string>& names) {
  if (names.empty()) return "no variables are defined";
  std::string s = "defined: ";
  for (size_t i = 0; i < names.size(); ++i) s += (i ? ", " : "") + names[i];
  return s;
}

[[noreturn]] void undefined_variable(const std::string& ref, const std::vector<std::string>& names,
                                     const SourceLocation& at) {
  throw ValidationError(at, "undefined variable '" + ref + "'" + yaml::suggestion_suffix(ref, names) + "; " +
                                defined_list(names) + ". Define it under vars: or pass --set " + ref + "=VALUE");
}

// Where offset `i` of `text` is: offsets map to columns only within one line; a multi-line
// scalar keeps its own position.
SourceLocation at_offset(const SourceLocation& where, std::string_view text, size_t i) {
  SourceLocation at = where;
  if (at.column > 0 && text.find('\n') == std::string_view::npos) at.column += static_cast<int>(i);
  return at;
}

// The ${name} references of `text` (not ${env:...}), with their offsets, as substitute() reads
// them; it reports what is malformed.
std::vector<std::pair<std::string, size_t>> variable_references(std::string_view text) {
  std::vector<std::pair<std::string, size_t>> refs;
  for (size_t i = text.find('$'); i != std::string_view::npos && i + 1 < text.size(); i = text.find('$', i + 1)) {
    if (text[i + 1] == '$') {
      ++i;
      continue;
    }
    if (text[i + 1] != '{') continue;
    const size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) break;
    std::string ref(text.substr(i + 2, close - i - 2));
    if (!ref.empty() && ref.rfind("env:", 0) != 0) refs.emplace_back(std::move(ref), i);
    i = close;
  }
  return refs;
}

}  // namespace

std::vector<std::string> referenced_variables(std::string_view text) {
  std::vector<std::string> names;
  for (auto& [name, offset] : variable_references(text)) names.push_back(std::move(name));
  return names;
}

std::string substitute(std::string_view text, const VarTable& vars, const SourceLocation& where, const EnvLookup& env) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '$') {
      out += c;
      continue;
    }
    const SourceLocation at = at_offset(where, text, i);
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
      if (it == vars.end()) undefined_variable(ref, names_of(vars), at);
      out += it->second;
    }
    if (out.size() > text.size() + limits::kMaxValueBytes)
      throw ValidationError(where, "variables make this value more than " + std::to_string(limits::kMaxValueBytes) +
                                       " bytes longer than it is written (limits::kMaxValueBytes): a variable "
                                       "built from others that repeat each other? Shorten them");
    i = close;
  }
  return out;
}

VarTable resolve_variables(const std::vector<VarDefinition>& definitions, const EnvLookup& env) {
  std::unordered_map<std::string_view, size_t> index;
  std::vector<std::string> names;
  for (size_t i = 0; i < definitions.size(); ++i) {
    index.emplace(definitions[i].name, i);
    names.push_back(definitions[i].name);
  }
  enum class State { unseen, resolving, resolved };
  std::vector<State> state(definitions.size(), State::unseen);
  VarTable vars;
  // Depth first, with a stack of its own: a chain of thousands of variables must not overflow
  // the call stack. Each entry: a definition and how many of its references are resolved.
  struct Frame {
    size_t def;
    std::vector<std::pair<std::string, size_t>> refs;
    size_t next = 0;
  };
  for (size_t start = 0; start < definitions.size(); ++start) {
    if (state[start] != State::unseen) continue;
    std::vector<Frame> stack;
    const auto push = [&](size_t d) {
      state[d] = State::resolving;
      stack.push_back({d, definitions[d].literal ? decltype(Frame::refs){} : variable_references(definitions[d].text)});
    };
    push(start);
    while (!stack.empty()) {
      Frame& top = stack.back();
      const VarDefinition& def = definitions[top.def];
      if (top.next == top.refs.size()) {
        vars[def.name] = def.literal ? def.text : substitute(def.text, vars, def.where, env);
        state[top.def] = State::resolved;
        stack.pop_back();
        continue;
      }
      const auto& [ref, offset] = top.refs[top.next++];
      auto it = index.find(ref);
      if (it == index.end()) undefined_variable(ref, names, at_offset(def.where, def.text, offset));
      if (state[it->second] == State::resolving) {
        size_t from = 0;
        while (stack[from].def != it->second) ++from;
        std::string cycle;
        for (size_t i = from; i < stack.size(); ++i) cycle += definitions[stack[i].def].name + " -> ";
        const VarDefinition& first = definitions[it->second];
        throw ValidationError(first.where, "variables refer to each other in a cycle: " + cycle + first.name +
                                               "; give one of them a value of its own");
      }
      if (state[it->second] == State::unseen) push(it->second);
    }
  }
  return vars;
}

}  // namespace roachrun
