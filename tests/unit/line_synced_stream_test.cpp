// engine/line_synced_stream.hpp: branches printing at once, each line passed on whole.
#include <gtest/gtest.h>

#include <sstream>
#include <thread>
#include <vector>

#include "engine/line_synced_stream.hpp"

namespace roachrun {
namespace {

TEST(LineSyncedStream, OnlyWholeLinesPassUntilTheStepEnds) {
  std::ostringstream target;
  std::mutex mutex;
  LineSyncedStream out(target, mutex);
  out << "half";
  out.flush();
  EXPECT_EQ(target.str(), "");
  out << " a line\nand more";
  EXPECT_EQ(target.str(), "half a line\n");
  out.flush_all();
  EXPECT_EQ(target.str(), "half a line\nand more");
}

TEST(LineSyncedStream, LinesOfThreadsWritingAtOnceNeverMix) {
  std::ostringstream target;
  std::mutex mutex;
  std::vector<std::thread> threads;
  for (char c : {'a', 'b', 'c', 'd'})
    threads.emplace_back([&, c] {
      LineSyncedStream out(target, mutex);
      for (int i = 0; i < 2000; ++i) out << std::string(5, c) << ' ' << std::string(50, c) << '\n';
    });
  for (auto& t : threads) t.join();
  std::istringstream lines(target.str());
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    ASSERT_EQ(line.size(), 56u) << line;
    ASSERT_EQ(line, std::string(5, line[0]) + ' ' + std::string(50, line[0]));
    ++count;
  }
  EXPECT_EQ(count, 8000);
}

}  // namespace
}  // namespace roachrun
