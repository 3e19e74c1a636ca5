// Runs one command to its end: its output read as it comes, bounded in time, stopped on Ctrl-C.
//
// Stopping (the timeout, or `interrupted` set) sends SIGTERM to the command's process group and,
// 2 s later, SIGKILL to whatever of it is left. Every wait is a poll of at most 50 ms, so a stop
// starts within 50 ms of its cause and run_command returns within about 2.3 s of it.
//
// Once the command itself has ended, its output pipes are read until they close, or for 200 ms
// when something it started in the background keeps them open (such a process is left running:
// a command may start a server on purpose; it should redirect its output).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string_view>

#include "child.hpp"
#include "output.hpp"

namespace roachrun_exec {

struct OutputSinks {
  std::function<void(std::string_view)> stdout_bytes;  // each chunk as read
  std::function<void(std::string_view)> stderr_bytes;
};

struct CommandOutcome {
  enum class Stop { none, timeout, interrupt };
  Stop stopped = Stop::none;        // why roachrun stopped it, if it did
  bool killed = false;              // SIGKILL was needed (it outlived SIGTERM by 2 s)
  std::optional<int> exit_status;   // when it exited
  std::optional<int> signal;        // when a signal ended it
  BoundedCapture out, err;
  std::chrono::milliseconds duration{0};
};

inline constexpr std::chrono::milliseconds kTermGrace{2000};  // SIGTERM .. SIGKILL
inline constexpr std::chrono::milliseconds kPipeGrace{200};   // after the command ended
inline constexpr std::chrono::milliseconds kPollStep{50};

// Throws roachrun::StepError when the command cannot be started.
CommandOutcome run_command(const SpawnSpec& spec, std::chrono::milliseconds timeout,
                           const std::atomic<bool>& interrupted, const OutputSinks& sinks);

}  // namespace roachrun_exec
