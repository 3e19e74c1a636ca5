#include "command.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string_view>

#include <roachrun/error.hpp>

#include "command_text.hpp"
#include "program_path.hpp"

namespace roachrun_exec {

namespace {

constexpr const char* kShell = "/bin/sh";

using Overrides = std::map<std::string, std::optional<std::string>>;

Overrides overrides_of(const roachrun::Params& p) {
  Overrides out;
  if (!p.has("env")) return out;
  for (const auto& [name, value] : p.raw("env").items())
    out[name] = value.is_null() ? std::nullopt : std::optional<std::string>(roachrun::scalar_text(value));
  return out;
}

std::string path_of(const std::vector<std::string>& env) {
  for (const auto& entry : env)
    if (entry.rfind("PATH=", 0) == 0) return entry.substr(5);
  return kDefaultPath;
}

std::string file_name(const std::string& program) {
  const std::size_t slash = program.rfind('/');
  return slash == std::string::npos ? program : program.substr(slash + 1);
}

}  // namespace

Command command_of(const roachrun::Params& p, const char* const* base_env) {
  Command c;
  if (p.has("shell")) {
    c.argv = {kShell, "-c", p.string("shell")};
    c.name = "sh";
  } else {
    c.argv = p.strings("argv");
    c.name = c.argv.empty() ? "" : file_name(c.argv.front());
  }
  c.text = command_text(c.argv);
  const Overrides overrides = overrides_of(p);
  for (const char* const* e = base_env; e && *e; ++e) {
    const std::string_view entry(*e);
    const std::string name(entry.substr(0, entry.find('=')));
    if (!overrides.count(name)) c.env.emplace_back(entry);
  }
  for (const auto& [name, value] : overrides)
    if (value) c.env.push_back(name + "=" + *value);
  c.path_list = path_of(c.env);
  if (p.has("cwd")) c.cwd = p.string("cwd");
  return c;
}

void check_command(const roachrun::Params& p, const char* const* base_env) {
  const bool has_argv = p.has("argv"), has_shell = p.has("shell");
  if (has_argv == has_shell)
    throw roachrun::ParamError(has_argv ? "shell" : "argv",
                               "give exactly one of 'argv' (the program and its arguments, run without a shell: "
                               "[cockroach, node, drain, '1']) and 'shell' (a command line for /bin/sh -c)");
  if (has_shell && p.string("shell").find_first_not_of(" \t\r\n") == std::string::npos)
    throw roachrun::ParamError("shell", "'shell' is empty: give a command line");
  if (has_argv && p.strings("argv").empty())
    throw roachrun::ParamError("argv", "'argv' is an empty list: give the program and its arguments");
  if (p.has("env"))
    for (const auto& [name, value] : p.raw("env").items())
      if (name.empty() || name.find_first_of("=") != std::string::npos || name.find('\0') != std::string::npos)
        throw roachrun::ParamError("env", "environment variable name '" + name + "' is not valid (no '=' in a name)");
  if (p.has("cwd") && p.string("cwd").empty()) throw roachrun::ParamError("cwd", "'cwd' is empty: give a directory");
  if (p.duration("timeout").count() <= 0)
    throw roachrun::ParamError("timeout", "'timeout' must be longer than 0s");
  if (!has_argv) return;

  const Command c = command_of(p, base_env);
  const std::string& program = c.argv.front();
  // A value that is only known when the run gets there (a capture) is looked for then.
  if (program.find("${") != std::string::npos) return;
  // A relative path in a working directory an earlier step makes: also looked for then.
  if (program.find('/') != std::string::npos && program.front() != '/' && !c.cwd.empty() &&
      !std::filesystem::is_directory(c.cwd))
    return;
  const ProgramLookup found = find_program(program, c.path_list, c.cwd);
  if (found.path) return;
  std::string advice = program.find('/') == std::string::npos
                           ? "; give its full path, or add its directory to PATH (env: {PATH: ...})"
                           : "";
  if (c.argv.size() == 1 && program.find(' ') != std::string::npos)
    advice += "; argv is a list of words, [ls, -l], run without a shell (for a command line, use shell:)";
  throw roachrun::ParamError("argv", found.problem + advice);
}

}  // namespace roachrun_exec
