// What the local target promises however a run ends: its server stopped and its directory removed.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>

namespace roachrun::test {

// `err` is the run's stderr, where the local target logged "ready on 127.0.0.1:PORT (data in DIR)"
// (at info level, the default). Checks that DIR is gone, that nothing answers on PORT, and that
// no process is left whose command line names DIR (the postmaster runs as `postgres -D DIR`).
inline void expect_local_server_gone(const std::string& err) {
  std::smatch m;
  ASSERT_TRUE(std::regex_search(err, m, std::regex(R"(ready on 127\.0\.0\.1:(\d+) \(data in ([^)]+)\))"))) << err;
  const std::string port = m[1].str(), dir = m[2].str();
  EXPECT_FALSE(std::filesystem::exists(dir)) << "the server's directory must be removed: " << dir;
  const std::string ping = "host=127.0.0.1 port=" + port + " dbname=postgres user=root connect_timeout=2";
  EXPECT_EQ(PQping(ping.c_str()), PQPING_NO_RESPONSE) << "the server must be stopped";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    std::ifstream in(entry.path() / "cmdline");
    const std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(cmdline.find(dir), std::string::npos)
        << "process " << entry.path().filename().string() << " is left behind: " << cmdline;
  }
}

}  // namespace roachrun::test
