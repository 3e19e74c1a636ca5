#include "run_command.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include <roachrun/error.hpp>

namespace roachrun_exec {

namespace {

using Clock = std::chrono::steady_clock;

// Reads what `fd` has now into `sink` (and `keep`); resets it at EOF or on an error.
void drain(UniqueFd& fd, BoundedCapture& keep, const std::function<void(std::string_view)>& sink) {
  std::array<char, 65536> buf;
  // A bounded number of reads per round, so a command that writes without pause cannot keep the
  // loop from looking at the clock and the interrupt.
  for (int round = 0; round < 16 && fd.valid(); ++round) {
    const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n > 0) {
      const std::string_view chunk(buf.data(), static_cast<std::size_t>(n));
      keep.append(chunk);
      if (sink) sink(chunk);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    fd.reset();  // EOF, or a read error: nothing more will come
  }
}

}  // namespace

CommandOutcome run_command(const SpawnSpec& spec, std::chrono::milliseconds timeout,
                           const std::atomic<bool>& interrupted, const OutputSinks& sinks) {
  CommandOutcome outcome;
  const auto start = Clock::now();
  const auto deadline = start + timeout;
  Child child(spec);

  Clock::time_point ended_at{}, term_at{}, kill_at{};
  bool ended = false;
  for (;;) {
    const auto now = Clock::now();
    if (!ended && child.ended()) {
      ended = true;
      ended_at = now;
    }
    const bool pipes_open = child.stdout_pipe().valid() || child.stderr_pipe().valid();
    if (ended) {
      if (outcome.stopped == CommandOutcome::Stop::none) {
        if (!pipes_open || now - ended_at >= kPipeGrace) break;
      } else if (!pipes_open || (outcome.killed && now - kill_at >= kPipeGrace)) {
        // Whatever of the group still held the pipes is gone (or was killed). Members are not
        // looked for one by one: an orphan whose parent never collects it stays a member.
        break;
      }
    }
    if (!ended && outcome.stopped == CommandOutcome::Stop::none) {
      if (interrupted.load())
        outcome.stopped = CommandOutcome::Stop::interrupt;
      else if (now >= deadline)
        outcome.stopped = CommandOutcome::Stop::timeout;
      if (outcome.stopped != CommandOutcome::Stop::none) {
        child.signal_group(SIGTERM);
        term_at = now;
      }
    }
    if (outcome.stopped != CommandOutcome::Stop::none && !outcome.killed && now - term_at >= kTermGrace) {
      child.signal_group(SIGKILL);
      outcome.killed = true;
      kill_at = now;
    }

    // Sleep until output comes, or at most one poll step (less when the deadline is nearer).
    auto wait = kPollStep;
    if (!ended && outcome.stopped == CommandOutcome::Stop::none)
      wait = std::min(wait, std::chrono::ceil<std::chrono::milliseconds>(std::max(deadline - now, Clock::duration::zero())));
    std::array<pollfd, 2> fds{};
    nfds_t count = 0;
    for (UniqueFd* fd : {&child.stdout_pipe(), &child.stderr_pipe()})
      if (fd->valid()) fds[count++] = pollfd{fd->get(), POLLIN, 0};
    if (count == 0) {
      ::poll(nullptr, 0, static_cast<int>(std::max<long long>(wait.count(), 1)));
    } else if (::poll(fds.data(), count, static_cast<int>(std::max<long long>(wait.count(), 1))) > 0) {
      drain(child.stdout_pipe(), outcome.out, sinks.stdout_bytes);
      drain(child.stderr_pipe(), outcome.err, sinks.stderr_bytes);
    }
  }
  // What is still in the pipes now (a command that wrote and exited at once).
  drain(child.stdout_pipe(), outcome.out, sinks.stdout_bytes);
  drain(child.stderr_pipe(), outcome.err, sinks.stderr_bytes);
  // Stopped: nothing of the command outlives the step (a member that closed its output and
  // ignores SIGTERM gets SIGKILL now).
  if (outcome.stopped != CommandOutcome::Stop::none && !child.group_empty()) child.signal_group(SIGKILL);

  outcome.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  if (!child.status_known())
    throw roachrun::StepError("the exit status of '" + spec.program +
                              "' was collected by something else in roachrun (a bug: please report it)");
  const int st = child.status();
  if (WIFEXITED(st)) outcome.exit_status = WEXITSTATUS(st);
  if (WIFSIGNALED(st)) outcome.signal = WTERMSIG(st);
  return outcome;
}

}  // namespace roachrun_exec
