// Where exec.run finds a program: as execvp would, but before anything runs (validation refuses a
// program that is not there) and with the PATH the command will get (its `env:` may set one).
#pragma once

#include <optional>
#include <string>

namespace roachrun_exec {

// The PATH used when the environment has none (glibc's default for execvp).
inline constexpr const char* kDefaultPath = "/bin:/usr/bin";

struct ProgramLookup {
  std::optional<std::string> path;  // the file to run, when found
  std::string problem;              // else: why not, a sentence naming the program and PATH
};

// `program` with a '/' is a path, relative to `cwd` (or this process's working directory when
// `cwd` is empty); else it is looked for in each directory of `path_list` (an empty entry is
// `cwd`). Only regular files this process may execute count.
ProgramLookup find_program(const std::string& program, const std::string& path_list, const std::string& cwd);

}  // namespace roachrun_exec
