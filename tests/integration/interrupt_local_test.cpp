// Ctrl-C at any moment of a run on the local target (issue 12): roachrun ends within a bound,
// exit 130 (0 if it had finished first), and leaves no roachrun-* directory and no initdb or
// postgres process behind -- after one Ctrl-C, and after a second one that exits at once.
//
// Each run gets its own TMPDIR, so whatever the run made is found by that path: a directory in
// it, or a process under it (processes_under(): by command line, working directory -- the
// server's is its data directory -- or TMPDIR, which initdb and its children inherit).
//
// The moments are seeded (ROACHRUN_INTERRUPT_SEED, else random; logged) and aimed in turn at each
// phase of an uninterrupted run, timed from its log first: start-up, initdb, server start, steps,
// shutdown. ROACHRUN_INTERRUPT_RUNS sets how many (ctest: 12; the full check: 50).
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "support/command.hpp"
#include "support/local_server_gone.hpp"
#include "support/temp_dir.hpp"

namespace roachrun::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

// One Ctrl-C: the server's fast shutdown is bounded at 15 s, the rest takes milliseconds.
constexpr auto kAfterFirst = 20s;
// A second Ctrl-C: an immediate shutdown, bounded at about 3 s.
constexpr auto kAfterSecond = 5s;

int env_int(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::atoi(value) : fallback;
}

// The phases of a run, each from the log line that begins it (start-up: from the start).
struct Phase {
  const char* name;
  const char* begins;  // null: when the process starts
};
constexpr Phase kPhases[] = {{"start-up", nullptr},
                             {"initdb", "initdb into"},
                             {"server start", "starting PostgreSQL on"},
                             {"steps", "server ready on"},
                             {"shutdown", "steps passed in"}};

// Where the run was when Ctrl-C came, from its debug log up to roachrun's "interrupted" line.
std::string phase_hit(const std::string& err, int exit_code) {
  const std::size_t interrupted = err.find("roachrun: interrupted");
  if (interrupted == std::string::npos)
    return exit_code == 0 ? "finished first" : "start-up, before roachrun handles signals";
  const std::string before = err.substr(0, interrupted);
  std::string name = kPhases[0].name;
  for (const Phase& p : kPhases)
    if (p.begins && before.find(p.begins) != std::string::npos) name = p.name;
  return name;
}

// Milliseconds from the first line of a debug log to the first line with `marker` (-1: none),
// from the lines' [HH:MM:SS.mmm] stamps.
long log_offset(const std::string& err, const std::string& marker) {
  const auto stamp = [&](std::size_t line) -> long {
    if (err.compare(line, 1, "[") != 0 || err.size() < line + 13) return -1;
    const auto field = [&](std::size_t at, std::size_t len) { return std::stol(err.substr(line + at, len)); };
    return ((field(1, 2) * 60 + field(4, 2)) * 60 + field(7, 2)) * 1000 + field(10, 3);
  };
  const std::size_t at = err.find(marker);
  if (at == std::string::npos) return -1;
  const std::size_t line = err.rfind('\n', at);
  const long end = stamp(line == std::string::npos ? 0 : line + 1), begin = stamp(0);
  return begin < 0 || end < 0 ? -1 : end - begin;
}

struct Outcome {
  int exit_code = -1;
  bool killed = false;
  bool reached = true;            // the log line the first SIGINT waited for came
  milliseconds first_line{0};     // when the log's first line came
  milliseconds ended{0};          // when the process ended
  milliseconds after_last_signal{0};
  std::string err;
};

// One interruption: SIGINT `delay` after the log line `after` (null: after the start; no SIGINT
// if delay < 0), and a second one `second` later (none if negative).
struct Plan {
  const char* after = nullptr;
  milliseconds delay{-1};
  milliseconds second{-1};
};

// Runs the tutorial on the local target with TMPDIR `tmpdir`, interrupted as `plan` says.
Outcome run_interrupted(const fs::path& tmpdir, const Plan& plan) {
  const std::string scenario = std::string(ROACHRUN_SOURCE_DIR) + "/scenarios/bank-insecure.yaml";
  const auto started = Clock::now();
  RunningCommand cmd({"run", scenario, "--target", "local", "--log-level", "debug"}, {{"TMPDIR", tmpdir.string()}});
  Outcome o;
  const auto since_start = [&] { return duration_cast<milliseconds>(Clock::now() - started); };
  // Polled every 2 ms: the line comes at most that much earlier than seen.
  const auto wait_for_line = [&](const char* line) {
    while (cmd.running() && cmd.err_so_far().find(line) == std::string::npos) std::this_thread::sleep_for(2ms);
    return cmd.err_so_far().find(line) != std::string::npos;
  };
  auto last = Clock::now();
  milliseconds limit = duration_cast<milliseconds>(kAfterFirst) + 60s;  // uninterrupted: the whole run
  if (plan.delay.count() < 0) {
    while (cmd.running() && cmd.err_so_far().empty()) std::this_thread::sleep_for(2ms);
    o.first_line = since_start();
  } else {
    o.reached = !plan.after || wait_for_line(plan.after);
    std::this_thread::sleep_for(plan.delay);
    cmd.signal(SIGINT);
    last = Clock::now();
    limit = kAfterFirst;
    if (plan.second.count() >= 0) {
      // Watched meanwhile, so a run that ends before is timed from the first SIGINT.
      const auto at = Clock::now() + plan.second;
      while (cmd.running() && Clock::now() < at) std::this_thread::sleep_for(2ms);
      if (cmd.running()) {
        cmd.signal(SIGINT);
        last = Clock::now();
        limit = kAfterSecond;
      }
    }
  }
  const CommandResult r = cmd.wait_for(limit, &o.killed);
  o.ended = since_start();
  o.after_last_signal = duration_cast<milliseconds>(Clock::now() - last);
  o.exit_code = r.exit_code;
  o.err = r.err;
  return o;
}

// A TMPDIR of its own for one run, which the server's user can enter (PostgreSQL runs as
// `postgres` when the tests run as root).
fs::path run_tmpdir(const TempDir& parent, int run) {
  const fs::path dir = parent.path() / ("run-" + std::to_string(run));
  fs::create_directory(dir);
  fs::permissions(parent.path(), fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  return dir;
}

TEST(LocalInterrupt, CtrlCAtAnyMomentLeavesNoDirectoryAndNoServer) {
  const int runs = env_int("ROACHRUN_INTERRUPT_RUNS", 12);
  const unsigned seed = static_cast<unsigned>(env_int("ROACHRUN_INTERRUPT_SEED", static_cast<int>(std::random_device{}() & 0x7fffffff)));
  std::cout << "interrupt test: " << runs << " runs, ROACHRUN_INTERRUPT_SEED=" << seed << "\n";
  std::mt19937 random(seed);
  TempDir parent;
  // A shell starts a background job with SIGINT ignored, and the runs would inherit that: a
  // SIGINT before roachrun's signal thread is up would be dropped, not end the run.
  std::signal(SIGINT, SIG_DFL);

  // How long each phase lasts here, from an uninterrupted run.
  const fs::path calibration = run_tmpdir(parent, 0);
  const Outcome whole = run_interrupted(calibration, Plan{});
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  ASSERT_EQ(leftovers(calibration).found, std::vector<std::string>{}) << whole.err;
  std::vector<long> begins;  // ms from the process's start
  for (const Phase& p : kPhases) {
    const long offset = p.begins ? log_offset(whole.err, p.begins) : 0;
    ASSERT_GE(offset, 0) << "no line '" << p.begins << "' in\n" << whole.err;
    begins.push_back(p.begins ? whole.first_line.count() + offset : 0);
  }
  begins.push_back(whole.ended.count());
  std::string timeline;
  for (std::size_t k = 0; k < std::size(kPhases); ++k)
    timeline += std::string(k ? ", " : "") + kPhases[k].name + " " + std::to_string(begins[k]) + "-" +
                std::to_string(begins[k + 1]) + " ms";
  std::cout << "an uninterrupted run: " << timeline << "\n";

  std::map<std::string, int> phases;
  int failed = 0;
  milliseconds slowest_first{0}, slowest_second{0};
  for (int i = 1; i <= runs; ++i) {
    // Each phase in turn, at a random moment within it: from the line that begins it, as long as
    // it lasted in the uninterrupted run (this run's own timing varies: its log says where the
    // SIGINT really came).
    const std::size_t aim = static_cast<std::size_t>(i - 1) % std::size(kPhases);
    Plan plan;
    plan.after = kPhases[aim].begins;
    plan.delay = milliseconds(std::uniform_int_distribution<long>(0, std::max(0L, begins[aim + 1] - begins[aim]))(random));
    // Every third run, a second Ctrl-C while the first is being handled.
    if (i % 3 == 0) plan.second = milliseconds(std::uniform_int_distribution<int>(0, 400)(random));
    const fs::path tmpdir = run_tmpdir(parent, i);
    const Outcome o = run_interrupted(tmpdir, plan);
    const std::string where = phase_hit(o.err, o.exit_code);
    ++phases[where];
    const bool twice = plan.second.count() >= 0 && o.err.find("interrupted again") != std::string::npos;
    (twice ? slowest_second : slowest_first) = std::max(twice ? slowest_second : slowest_first, o.after_last_signal);
    const std::string when = std::to_string(plan.delay.count()) + " ms after " +
                             (plan.after ? "'" + std::string(plan.after) + "'" : std::string("the start"));
    std::cout << "run " << i << "/" << runs << ": SIGINT " << when << (o.reached ? "" : " (never came)") << " (" << where << ")"
              << (plan.second.count() >= 0 ? ", again " + std::to_string(plan.second.count()) + " ms later" : std::string())
              << ": exit " << o.exit_code << " " << o.after_last_signal.count() << " ms after the last\n";

    // The run has ended: every process it started must be gone already (roachrun waits for them;
    // a killed one that is not yet collected has no command line, directory or environment).
    const Leftovers left = leftovers(tmpdir);
    std::string problems;
    if (o.killed) problems += " did not end within the bound after Ctrl-C;";
    if (o.exit_code != 130 && o.exit_code != 0) problems += " exit " + std::to_string(o.exit_code) + ";";
    for (const std::string& what : left.found) problems += " left " + what + ";";
    if (problems.empty()) continue;
    // Every run is tried (the figure is how many fail), the first failure's log is shown whole.
    std::cout << "  FAILED:" << problems << "\n";
    if (++failed == 1)
      ADD_FAILURE() << "run " << i << " (seed " << seed << ", SIGINT " << when << ", " << where << "):" << problems
                    << "\n" << o.err;
    for (pid_t pid : left.pids) kill(pid, SIGKILL);  // the run's own children: not left to the next runs
  }
  std::string seen;
  for (const auto& [name, count] : phases) seen += (seen.empty() ? "" : ", ") + name + " " + std::to_string(count);
  std::cout << "phases hit: " << seen << "; slowest exit after one Ctrl-C " << slowest_first.count()
            << " ms, after a second one " << slowest_second.count() << " ms; " << failed << " of " << runs
            << " runs failed\n";
  EXPECT_EQ(failed, 0) << "of " << runs << " runs (ROACHRUN_INTERRUPT_SEED=" << seed << ")";
}

}  // namespace
}  // namespace roachrun::test
