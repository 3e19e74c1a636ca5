#include "engine/plugin_examiner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include <boost/dll/runtime_symbol_info.hpp>
#include <fmt/format.h>

#include "engine/child_process.hpp"
#include "engine/duration.hpp"
#include "engine/variables.hpp"
#include "roachrun/error.hpp"

namespace roachrun {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

fs::path plugin_scanner_path() {
  if (auto env = process_env("ROACHRUN_PLUGIN_SCANNER"); env && !env->empty()) return *env;
  std::error_code ec;
  const fs::path exe = boost::dll::program_location(ec);
  return exe.parent_path().parent_path() / "libexec" / "roachrun" / "roachrun-plugin-scanner";
}

std::chrono::milliseconds plugin_scan_timeout() {
  auto env = process_env("ROACHRUN_PLUGIN_SCAN_TIMEOUT");
  if (!env || env->empty()) return kDefaultPluginScanTimeout;
  auto limit = parse_duration(*env);
  if (!limit || limit->count() <= 0)
    throw UsageError("ROACHRUN_PLUGIN_SCAN_TIMEOUT: '" + *env + "' is not a positive duration (e.g. 5s, 1500ms)");
  return *limit;
}

namespace {

// How many scanners run at once: enough to overlap their start-up, few enough that each gets a
// core for its time limit.
size_t parallel_scanners() { return std::max(4u, 2 * std::thread::hardware_concurrency()); }

constexpr size_t kKeptOutput = 4096;  // of a scanner's stderr: the library's last words

struct Pipe {
  int read = -1, write = -1;
};

Pipe make_pipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return {};
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  return {fds[0], fds[1]};
}

void close_fd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

// One library's scanner.
struct Scan {
  fs::path library;
  pid_t pid = -1;
  int out = -1, err = -1;  // read ends
  std::string out_text, err_text;
  Clock::time_point deadline;
  int status = 0;
  bool timed_out = false;
  bool finished = false;
  std::optional<Examination> result;  // set without running a scanner (it could not start)
};

// Reads what is there; closes `fd` at end of file.
void drain(int& fd, std::string& into, size_t keep) {
  char buf[4096];
  while (fd >= 0) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      into.append(buf, static_cast<size_t>(n));
      if (keep && into.size() > keep) into.erase(0, into.size() - keep);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      if (n == 0 || errno != EAGAIN) close_fd(fd);
      return;
    }
  }
}

// Kills a scanner (and whatever its library started in its process group) and collects it.
void kill_scan(Scan& s) {
  if (s.pid <= 0) return;
  kill(-s.pid, SIGKILL);
  kill(s.pid, SIGKILL);
  int status = 0;
  while (waitpid(s.pid, &status, 0) < 0 && errno == EINTR) {
  }
  s.status = status;
  s.pid = -1;
}

// The scanners still running when examine_out_of_process leaves early (Ctrl-C) are killed.
struct Scans {
  std::vector<Scan> all;
  ~Scans() {
    for (auto& s : all) {
      kill_scan(s);
      close_fd(s.out);
      close_fd(s.err);
    }
  }
};

void start(Scan& s, const ExaminerOptions& options) {
  Pipe out = make_pipe(), err = make_pipe();
  if (out.read < 0 || err.read < 0) {
    const std::string why = strerror(errno);
    for (int fd : {out.read, out.write, err.read, err.write})
      if (fd >= 0) close(fd);
    s.result = Examination::refused("not examined: cannot make a pipe to its scanner: " + why, false);
    s.finished = true;
    return;
  }
  try {
    auto lock = lock_to_create();
    s.pid = spawn({options.scanner.string(), s.library.string()}, "/dev/null", RunAs{}, SIGKILL, {}, -1, out.write,
                  err.write);
  } catch (const Error& e) {
    for (int fd : {out.read, out.write, err.read, err.write}) close(fd);
    if (e.kind() == ErrorKind::interrupted) throw;
    s.result = Examination::refused(std::string("not examined: cannot start its scanner: ") + e.what(), false);
    s.finished = true;
    return;
  }
  close(out.write);
  close(err.write);
  s.out = out.read;
  s.err = err.read;
  s.deadline = Clock::now() + options.timeout;
}

std::string seconds_text(std::chrono::milliseconds d) { return fmt::format("{:.1f} s", d.count() / 1000.0); }

// "called exit(7)", "aborted (SIGABRT)", "crashed (SIGSEGV)", ...
std::string ending(int status) {
  if (WIFEXITED(status)) return fmt::format("called exit({})", WEXITSTATUS(status));
  if (!WIFSIGNALED(status)) return fmt::format("ended with wait status {}", status);
  const int sig = WTERMSIG(status);
  const char* abbrev = sigabbrev_np(sig);
  const std::string name = abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
  switch (sig) {
    case SIGABRT: return "aborted (" + name + ")";
    case SIGSEGV:
    case SIGBUS:
    case SIGILL:
    case SIGFPE: return "crashed (" + name + ")";
    default: return "was killed by " + name;
  }
}

// The last few lines the scanner's stderr got (the library's own messages: an assertion, an
// uncaught exception), as one line, or "".
std::string last_words(const std::string& err) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < err.size()) {
    size_t end = err.find('\n', start);
    if (end == std::string::npos) end = err.size();
    std::string line = err.substr(start, end - start);
    start = end + 1;
    for (char& c : line)
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    line.erase(0, line.find_first_not_of(' '));
    line.erase(line.find_last_not_of(' ') + 1);
    if (!line.empty()) lines.push_back(line.substr(0, 200));
  }
  std::string words;
  for (size_t i = lines.size() > 3 ? lines.size() - 3 : 0; i < lines.size(); ++i)
    words += (words.empty() ? "" : " | ") + lines[i];
  return words.empty() ? "" : "; it printed: \"" + words + "\"";
}

Examination verdict(const Scan& s, const ExaminerOptions& options) {
  if (s.result) return *s.result;
  const ScannerOutput out = parse_scanner_output(s.out_text);
  const std::string words = last_words(s.err_text);
  const std::string limit = seconds_text(options.timeout);
  const std::string knob = " (ROACHRUN_PLUGIN_SCAN_TIMEOUT sets the limit)";
  if (out.report) {
    if (s.timed_out)
      return Examination::refused("its static destructors did not finish within " + limit + " while being examined" + knob +
                                      words,
                                  false);
    if (WIFEXITED(s.status) && WEXITSTATUS(s.status) == 0) return *out.report;
    return Examination::refused("it " + ending(s.status) + " while being unloaded (in its static destructors)" + words);
  }
  if (!out.phase) {
    if (s.timed_out)
      return Examination::refused("not examined: its scanner did not get to load it within " + limit + knob, false);
    if (WIFEXITED(s.status) && WEXITSTATUS(s.status) == 127)
      return Examination::refused("not examined: the plugin scanner " + options.scanner.string() + " could not be run" + words,
                                  false);
    return Examination::refused("not examined: the plugin scanner " + options.scanner.string() + " " + ending(s.status) +
                                    " before loading it" + words,
                                false);
  }
  const bool loading = *out.phase == OpenPhase::loading;
  const std::string culprit = *out.phase == OpenPhase::detailing ? "its details function " : "its factory ";
  if (s.timed_out)
    return Examination::refused((loading ? "did not finish loading within " : culprit + "did not return within ") + limit +
                                    " while being examined" + knob + words,
                                false);
  return Examination::refused((loading ? "its initializer " : culprit) + ending(s.status) + " while being examined" +
                              words);
}

// Why `scanner` cannot be run, or "".
std::string unusable(const fs::path& scanner) {
  if (access(scanner.c_str(), X_OK) == 0) return {};
  return "not examined: the plugin scanner " + scanner.string() + " cannot be run (" + strerror(errno) +
         "); reinstall roachrun, or set ROACHRUN_PLUGIN_SCANNER to it";
}

}  // namespace

std::vector<Examination> examine_out_of_process(const std::vector<fs::path>& libraries, const ExaminerOptions& options) {
  std::vector<Examination> results;
  if (const std::string why = unusable(options.scanner); !why.empty()) {
    results.assign(libraries.size(), Examination::refused(why, false));
    return results;
  }
  Scans scans;
  for (const auto& lib : libraries) {
    scans.all.emplace_back();
    scans.all.back().library = lib;
  }
  const size_t parallel = parallel_scanners();
  size_t next = 0, running = 0;
  for (;;) {
    while (running < parallel && next < scans.all.size()) {
      start(scans.all[next], options);
      if (!scans.all[next].finished) ++running;
      ++next;
    }
    if (running == 0) break;

    std::vector<pollfd> fds;
    bool waiting_for_exit = false;  // a scanner closed its pipes but is not collected yet
    Clock::time_point soonest = Clock::time_point::max();
    for (const auto& s : scans.all) {
      if (s.pid <= 0) continue;
      for (int fd : {s.out, s.err})
        if (fd >= 0) fds.push_back({fd, POLLIN, 0});
      if (s.out < 0 && s.err < 0) waiting_for_exit = true;
      soonest = std::min(soonest, s.deadline);
    }
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(soonest - Clock::now()).count() + 1;
    wait = std::clamp<long>(wait, 0, waiting_for_exit ? 1 : 10);
    poll(fds.data(), fds.size(), static_cast<int>(wait));
    if (options.interrupted && *options.interrupted) throw Interrupted();  // ~Scans kills them

    for (auto& s : scans.all) {
      if (s.pid <= 0) continue;
      drain(s.out, s.out_text, 0);
      drain(s.err, s.err_text, kKeptOutput);
      bool done;
      {
        std::lock_guard lock(children_mutex());
        done = collected(s.pid, &s.status);
      }
      if (!done && Clock::now() >= s.deadline) {
        kill_scan(s);
        s.timed_out = true;
        done = true;
      }
      if (!done) continue;
      // What it wrote before it ended; a descendant holding the pipes open is not waited for.
      drain(s.out, s.out_text, 0);
      drain(s.err, s.err_text, kKeptOutput);
      close_fd(s.out);
      close_fd(s.err);
      s.finished = true;
      --running;
    }
  }
  for (const auto& s : scans.all) results.push_back(verdict(s, options));
  return results;
}

}  // namespace roachrun
