// roachrun-plugin-scanner LIBRARY: examines one plugin library in a process of its own, so that a
// library whose initializers or factory exit, abort, crash or hang takes down only this process.
// roachrun runs it (engine/plugin_examiner.hpp) for every library it has not seen before and
// reads the verdict from its exit status and its stdout (engine/plugin_examination.hpp).
//
// The checks are the registry's own (engine/plugin_loader.hpp). Whatever the library prints goes
// to stderr: stdout carries only the scanner's lines. Exit status 0: a report was written; 2:
// bad usage; anything else is the library's doing (exit(N) in its code, a signal).
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <exception>
#include <string>

#include "engine/plugin_examination.hpp"
#include "engine/plugin_loader.hpp"

namespace {

// Unbuffered: a phase line must be out before the library's code runs, which may never return.
bool write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: roachrun-plugin-scanner LIBRARY\n"
                         "examines one roachrun plugin library; roachrun runs this, not you\n");
    return 2;
  }
  const int report = dup(STDOUT_FILENO);
  if (report < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    std::perror("roachrun-plugin-scanner: dup");
    return 2;
  }
  try {
    // The library is released at the end of this scope, as roachrun releases it after a run: a
    // library that crashes in its destructors does it here too, after its report.
    roachrun::OpenedPlugin opened =
        roachrun::open_plugin(argv[1], [&](roachrun::OpenPhase phase) { write_all(report, roachrun::phase_line(phase)); });
    if (!write_all(report, roachrun::report_line(roachrun::examination_of(opened)))) return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "roachrun-plugin-scanner: %s\n", e.what());
    return 2;
  }
  // The library is unloaded and the report out: nothing of the plugin is left to judge. _exit
  // skips the process's own exit handlers (a sanitizer's leak check among them), which could
  // otherwise turn a good plugin's report into a failed exit.
  _exit(0);
}
