// The run as a JUnit XML report, the shape CI systems read (Jenkins, GitLab, GitHub actions):
//
//   <testsuites name="roachrun" tests= failures= errors= skipped= time= timestamp=>
//     <testsuite name=SCENARIO file= tests= failures= errors= skipped= time= timestamp=>
//       <testcase classname=SCENARIO name="N. step name" file= time=>
//         <failure message= type=SQLSTATE-or-error-type>full message</failure>   a step failed
//         <error message= type=>...</error>            could not connect, or interrupted
//         <skipped message=reason/>                     not run
//         <properties> step type, attempts, retries, backoff_ms </properties>
//
// One testsuite per scenario, one testcase per step, times in seconds; every count on a
// testsuite is the number of its testcases of that kind and testsuites sums them. A file that
// failed validation is a testsuite of one failing testcase named "validation".
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>

#include "engine/report.hpp"

namespace roachrun {

void write_junit_report(std::ostream& out, const RunRecord& record);

// Text made safe for XML content and attribute values: markup characters as entities, line
// breaks and tabs as character references, other control characters and invalid UTF-8 as U+FFFD.
std::string xml_escape(std::string_view text);

}  // namespace roachrun
