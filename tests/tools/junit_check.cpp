// roachrun_junit_check FILE...: parses each JUnit report with a real XML parser, checks its
// structure and counts (support/junit.hpp) and prints one summary line per file. Exit 0 when all
// are well-formed and consistent, 1 otherwise. scripts/test.sh runs it on the tutorial's report.
#include <exception>
#include <iostream>

#include "support/junit.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: roachrun_junit_check FILE...\n";
    return 2;
  }
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    try {
      const auto r = roachrun::test::read_junit(argv[i]);
      std::cout << argv[i] << ": " << r.suites.size() << " testsuite(s), " << r.tests << " tests, " << r.failures
                << " failures, " << r.errors << " errors, " << r.skipped << " skipped\n";
    } catch (const std::exception& e) {
      std::cerr << argv[i] << ": " << e.what() << "\n";
      status = 1;
    }
  }
  return status;
}
