// What the local target promises however a run ends: its server (or formation) stopped and its directory removed.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sys/types.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"  // read_file

namespace roachrun::test {

struct LeftProcess {
  pid_t pid;
  std::string description;  // "process PID (command line, in working directory)"
};

// The processes (other than this one) that belong under `path`: whose command line names a file
// in it (initdb -D, postgres -D), whose working directory is in it (the server and every child
// of it: the data directory), or whose TMPDIR is `path` (what a roachrun run with that TMPDIR
// started inherits it). A killed process not yet collected has none of these: it is not listed.
inline std::vector<LeftProcess> processes_under(const std::string& path) {
  std::vector<LeftProcess> found;
  const std::string inside = path + "/";  // run-1 is a prefix of run-10
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos || std::stol(pid) == getpid()) continue;
    std::string cmdline = read_file(entry.path() / "cmdline");
    const std::string env = read_file(entry.path() / "environ");
    const std::string cwd = std::filesystem::read_symlink(entry.path() / "cwd", ec).string();
    for (char& c : cmdline)
      if (c == '\0') c = ' ';
    if (cmdline.find(inside) != std::string::npos || cwd.rfind(inside, 0) == 0 ||
        env.find("TMPDIR=" + path + '\0') != std::string::npos)
      found.push_back({static_cast<pid_t>(std::stol(pid)), "process " + pid + " (" + cmdline + ", in " + cwd + ")"});
  }
  return found;
}

// What a local server or formation leaves when it is gone: `dir` removed, nothing answering on
// any of `ports` (127.0.0.1), and no process left under `dir` (processes_under()).
inline void expect_servers_gone(const std::string& dir, const std::vector<int>& ports) {
  EXPECT_FALSE(std::filesystem::exists(dir)) << "the server's directory must be removed: " << dir;
  for (int port : ports) {
    const std::string ping =
        "host=127.0.0.1 port=" + std::to_string(port) + " dbname=postgres user=root connect_timeout=2";
    EXPECT_EQ(PQping(ping.c_str()), PQPING_NO_RESPONSE) << "the server on port " << port << " must be stopped";
  }
  for (const auto& process : processes_under(dir)) ADD_FAILURE() << process.description << " is left behind";
}

// `err` is the run's stderr, where the local target logged "ready on 127.0.0.1:PORT (data in DIR)"
// (at info level, the default): that server is gone (expect_servers_gone).
inline void expect_local_server_gone(const std::string& err) {
  std::smatch m;
  ASSERT_TRUE(std::regex_search(err, m, std::regex(R"(ready on 127\.0\.0\.1:(\d+) \(data in ([^)]+)\))"))) << err;
  expect_servers_gone(m[2].str(), {std::stoi(m[1].str())});
}

// What is left of a run whose TMPDIR was `tmpdir`: its roachrun-* directories and the processes
// under it.
struct Leftovers {
  std::vector<std::string> found;
  std::vector<pid_t> pids;
};

inline Leftovers leftovers(const std::filesystem::path& tmpdir) {
  Leftovers left;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(tmpdir, ec))
    if (entry.path().filename().string().rfind("roachrun-", 0) == 0)
      left.found.push_back("directory " + entry.path().string());
  for (const auto& process : processes_under(tmpdir.string())) {
    left.found.push_back(process.description);
    left.pids.push_back(process.pid);
  }
  return left;
}

}  // namespace roachrun::test
