// An exec.run step's parameters made into the command to run: the words, the environment, the
// working directory, and how messages name it. Pure: the environment it starts from is passed in,
// so tests need not change the process's.
#pragma once

#include <string>
#include <vector>

#include <roachrun/params.hpp>

namespace roachrun_exec {

struct Command {
  std::vector<std::string> argv;  // as run; for `shell:` {"/bin/sh", "-c", LINE}
  std::string text;               // argv shell-quoted: what errors name
  std::string name;               // argv[0]'s file name ("sh" for `shell:`): the prefix of its stderr lines
  std::vector<std::string> env;   // the whole environment, "NAME=value"
  std::string path_list;          // the PATH in `env`, where the program is looked for
  std::string cwd;                // "" = roachrun's working directory
};

// `base_env` (NULL-terminated "NAME=value" strings, e.g. environ) with the step's `env:` applied: a
// value replaces or adds the variable, null removes it.
Command command_of(const roachrun::Params& p, const char* const* base_env);

// The checks of validation time (StepType::check): exactly one of argv and shell, sane env names,
// a positive timeout, and -- for argv -- a program that is there (on the command's PATH, or at
// its path). Throws roachrun::ParamError.
void check_command(const roachrun::Params& p, const char* const* base_env);

}  // namespace roachrun_exec
