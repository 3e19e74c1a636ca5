// run_command and Child against real processes: what the child inherits (no blocked signals, no
// ignored ones, no descriptors, a process group of its own), how it is stopped (SIGTERM, then
// SIGKILL), and that nothing of it is left behind.
#include <gtest/gtest.h>

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <roachrun/error.hpp>

#include "run_command.hpp"

extern char** environ;

namespace roachrun_exec {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

SpawnSpec spec_of(std::vector<std::string> argv) {
  SpawnSpec s;
  s.program = argv.front();
  s.argv = std::move(argv);
  for (char** e = environ; *e; ++e) s.env.emplace_back(*e);
  return s;
}

SpawnSpec shell(const std::string& line) { return spec_of({"/bin/sh", "-c", line}); }

CommandOutcome run(const SpawnSpec& s, std::chrono::milliseconds timeout = 10s) {
  std::atomic<bool> never{false};
  return run_command(s, timeout, never, {});
}

// Processes whose parent is this one (zombies included): what a step must not leave.
std::vector<int> children_of_this_process() {
  std::vector<int> out;
  DIR* d = opendir("/proc");
  for (dirent* e; d && (e = readdir(d));) {
    const int pid = atoi(e->d_name);
    if (pid <= 0) continue;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    const std::size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state = 0;
    int ppid = 0;
    rest >> state >> ppid;
    if (ppid == getpid()) out.push_back(pid);
  }
  if (d) closedir(d);
  return out;
}

bool gone(int pid) {
  for (int i = 0; i < 100; ++i) {  // init may take a moment to collect an orphan
    if (kill(pid, 0) != 0 && errno == ESRCH) return true;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    if (line.find(") Z ") != std::string::npos) return true;  // dead, waiting for its parent (not us)
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

// roachrun's own state while a step runs: SIGINT/SIGTERM/SIGHUP blocked, SIGPIPE ignored.
class HostSignalState : public ::testing::Test {
 protected:
  void SetUp() override {
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set, s);
    pthread_sigmask(SIG_BLOCK, &set, &old_mask_);
    old_pipe_ = signal(SIGPIPE, SIG_IGN);
  }
  void TearDown() override {
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
    signal(SIGPIPE, old_pipe_);
    EXPECT_EQ(children_of_this_process(), std::vector<int>{}) << "a child (or a zombie) was left behind";
  }
  sigset_t old_mask_;
  sighandler_t old_pipe_;
};

TEST_F(HostSignalState, ChildHasNoBlockedNorIgnoredSignals) {
  const CommandOutcome o = run(spec_of({"/bin/grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"}));
  EXPECT_EQ(o.exit_status, 0);
  EXPECT_EQ(o.out.text(), "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}

TEST_F(HostSignalState, ChildHasAProcessGroupOfItsOwnAndOnlyThreeDescriptors) {
  // A descriptor without close-on-exec, as a library might open one: it must not leak either.
  const int leaky = dup(STDERR_FILENO);
  const CommandOutcome o = run(shell("echo $$ $(cut -d' ' -f5 /proc/$$/stat); ls /proc/$$/fd"));
  close(leaky);
  std::istringstream out(o.out.text());
  std::string pid, pgrp;
  out >> pid >> pgrp;
  EXPECT_EQ(pid, pgrp) << o.out.text();
  EXPECT_NE(pgrp, std::to_string(getpgrp()));
  std::string fds((std::istreambuf_iterator<char>(out)), std::istreambuf_iterator<char>());
  EXPECT_EQ(fds, "\n0\n1\n2\n") << "stdin, stdout, stderr and nothing else";
}

TEST_F(HostSignalState, StdinIsEmpty) {
  const CommandOutcome o = run(spec_of({"/bin/cat"}));
  EXPECT_EQ(o.exit_status, 0);
  EXPECT_EQ(o.out.text(), "");
}

TEST_F(HostSignalState, TimeoutSendsSigtermToTheGroup) {
  const auto start = Clock::now();
  const CommandOutcome o = run(shell("sleep 30 & echo $!; wait"), 300ms);
  const auto took = Clock::now() - start;
  EXPECT_EQ(o.stopped, CommandOutcome::Stop::timeout);
  EXPECT_FALSE(o.killed);
  EXPECT_EQ(o.signal, SIGTERM);
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 1500ms);
  EXPECT_TRUE(gone(std::stoi(o.out.text()))) << "the background sleep of the command is stopped too";
}

TEST_F(HostSignalState, SigkillTwoSecondsAfterAnIgnoredSigterm) {
  const auto start = Clock::now();
  const CommandOutcome o = run(shell("trap '' TERM; sleep 30 & echo $!; wait; wait"), 200ms);
  const auto took = Clock::now() - start;
  EXPECT_EQ(o.stopped, CommandOutcome::Stop::timeout);
  EXPECT_TRUE(o.killed);
  EXPECT_EQ(o.signal, SIGKILL);
  EXPECT_GE(took, 2200ms);
  EXPECT_LT(took, 3500ms);
  EXPECT_TRUE(gone(std::stoi(o.out.text())));
}

TEST_F(HostSignalState, InterruptStopsItWithinAPollStep) {
  std::atomic<bool> interrupted{false};
  std::thread ctrl_c([&] {
    std::this_thread::sleep_for(300ms);
    interrupted = true;
  });
  const auto start = Clock::now();
  const CommandOutcome o = run_command(spec_of({"/bin/sleep", "30"}), 60s, interrupted, {});
  const auto took = Clock::now() - start;
  ctrl_c.join();
  EXPECT_EQ(o.stopped, CommandOutcome::Stop::interrupt);
  EXPECT_EQ(o.signal, SIGTERM);
  EXPECT_LT(took, 1s);
}

TEST_F(HostSignalState, BackgroundProcessHoldingThePipesDoesNotHoldTheStep) {
  const auto start = Clock::now();
  const CommandOutcome o = run(shell("sleep 30 & echo $!"));
  EXPECT_LT(Clock::now() - start, 1s);
  EXPECT_EQ(o.exit_status, 0);
  EXPECT_EQ(o.stopped, CommandOutcome::Stop::none);
  const int background = std::stoi(o.out.text());
  EXPECT_EQ(kill(background, 0), 0) << "left running: a command may start a server on purpose";
  kill(background, SIGKILL);
  EXPECT_TRUE(gone(background));
}

TEST_F(HostSignalState, OutputBeyondOneMebibyteIsCountedNotKept) {
  std::size_t streamed = 0;
  OutputSinks sinks;
  sinks.stdout_bytes = [&](std::string_view chunk) { streamed += chunk.size(); };
  std::atomic<bool> never{false};
  const CommandOutcome o = run_command(spec_of({"/usr/bin/head", "-c", "3000000", "/dev/zero"}), 10s, never, sinks);
  EXPECT_EQ(o.exit_status, 0);
  EXPECT_EQ(streamed, 3000000u) << "all of it goes to the sink (printed)";
  EXPECT_EQ(o.out.text().size(), kKeptBytes);
  EXPECT_TRUE(o.out.truncated());
  EXPECT_FALSE(o.err.truncated());
}

TEST_F(HostSignalState, BothStreamsAtOnceDoNotDeadlock) {
  // More than a pipe holds on each, interleaved: a reader of one stream only would hang.
  const CommandOutcome o = run(shell("i=0; while [ $i -lt 2000 ]; do echo out$i; echo err$i >&2; i=$((i+1)); done"));
  EXPECT_EQ(o.exit_status, 0);
  EXPECT_NE(o.out.text().find("out1999\n"), std::string::npos);
  EXPECT_NE(o.err.text().find("err1999\n"), std::string::npos);
}

TEST_F(HostSignalState, AProgramThatCannotStartIsAStepError) {
  try {
    run(spec_of({"/no/such/program"}));
    FAIL() << "no error";
  } catch (const roachrun::StepError& e) {
    EXPECT_STREQ(e.what(), "cannot start '/no/such/program': No such file or directory");
  }
  SpawnSpec in_missing_dir = spec_of({"/bin/true"});
  in_missing_dir.cwd = "/no/such/dir";
  EXPECT_THROW(run(in_missing_dir), roachrun::StepError);
}

}  // namespace
}  // namespace roachrun_exec
