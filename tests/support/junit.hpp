// Reads a JUnit XML report with a real XML parser (libxml2) and checks the shape CI readers
// expect: testsuites > testsuite > testcase with at most one failure/error/skipped each, and
// counts on every testsuite and on testsuites that match the testcases. Throws
// std::runtime_error saying what is wrong.
#pragma once

#include <string>
#include <vector>

namespace roachrun::test {

struct JUnitCase {
  std::string classname;
  std::string name;
  double time = 0;
  std::string status;   // "passed", "failure", "error" or "skipped"
  std::string type;     // of the failure/error
  std::string message;  // the failure/error/skipped message attribute
  std::string text;     // the failure/error element's text
};

struct JUnitSuite {
  std::string name;
  int tests = 0, failures = 0, errors = 0, skipped = 0;
  std::vector<JUnitCase> cases;
};

struct JUnitReport {
  int tests = 0, failures = 0, errors = 0, skipped = 0;
  std::vector<JUnitSuite> suites;
};

JUnitReport read_junit(const std::string& path);

}  // namespace roachrun::test
