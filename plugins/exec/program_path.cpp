#include "program_path.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string_view>

namespace roachrun_exec {

namespace {

namespace fs = std::filesystem;

enum class FileState { missing, not_runnable, runnable };

FileState state_of(const fs::path& file) {
  struct stat st{};
  if (::stat(file.c_str(), &st) != 0) return FileState::missing;
  if (!S_ISREG(st.st_mode) || ::access(file.c_str(), X_OK) != 0) return FileState::not_runnable;
  return FileState::runnable;
}

fs::path in_cwd(const fs::path& p, const std::string& cwd) {
  if (p.is_absolute() || cwd.empty()) return p;
  return fs::path(cwd) / p;
}

}  // namespace

ProgramLookup find_program(const std::string& program, const std::string& path_list, const std::string& cwd) {
  ProgramLookup out;
  if (program.empty()) {
    out.problem = "the program name (the first item of argv) is empty";
    return out;
  }
  if (program.find('/') != std::string::npos) {
    const fs::path file = in_cwd(program, cwd);
    switch (state_of(file)) {
      case FileState::runnable: out.path = file.string(); return out;
      case FileState::not_runnable:
        out.problem = "program '" + program + "' is not an executable file (" + file.string() + ")";
        return out;
      case FileState::missing: break;
    }
    out.problem = "program '" + program + "' not found (no file " + file.string() +
                  (file.is_absolute() ? "" : ", relative to " + (cwd.empty() ? std::string("roachrun's working directory") : "cwd '" + cwd + "'")) + ")";
    return out;
  }
  std::string not_runnable;
  std::string_view rest = path_list;
  for (;;) {
    const std::size_t colon = rest.find(':');
    const std::string_view dir = rest.substr(0, colon);
    const fs::path file = in_cwd(fs::path(dir.empty() ? "." : std::string(dir)) / program, cwd);
    const FileState state = state_of(file);
    if (state == FileState::runnable) {
      out.path = file.string();
      return out;
    }
    if (state == FileState::not_runnable && not_runnable.empty()) not_runnable = file.string();
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  out.problem = "program '" + program + "' not found on PATH (" + path_list + ")";
  if (!not_runnable.empty()) out.problem += "; " + not_runnable + " exists but is not an executable file";
  return out;
}

}  // namespace roachrun_exec
