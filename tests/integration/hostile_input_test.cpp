// Hostile scenario input through the roachrun binary (issue 13): every case exits 2 at once
// with the place and the culprit, and `run` against the real server changes no role, database
// or table. The same limits at the loader's level: tests/unit/scenario_limits_test.cpp.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "support/command.hpp"
#include "support/hostile_yaml.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"
#include "support/time_bound.hpp"

namespace roachrun::test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Steps that would leave a table, a role and a database behind if they ran.
const std::string kHarmful =
    "scenario: hostile\n"
    "steps:\n"
    "  - sql.exec: CREATE TABLE hostile_ran (i int)\n"
    "  - sql.exec: CREATE ROLE hostile_user\n"
    "  - sql.exec: CREATE DATABASE hostile_db\n";
const std::string kHarmfulSteps = kHarmful.substr(kHarmful.find("  - "));

// Roles, databases and the tables of defaultdb, as one string to compare.
std::string catalog() {
  Connection c = TestServer::get().connect();
  std::string s;
  for (const char* sql : {"SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_roles",
                          "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database",
                          "SELECT coalesce(string_agg(schemaname || '.' || tablename, ',' ORDER BY 1), '') FROM pg_tables"})
    s += std::string(c.query(sql).text(0, 0)) + "\n";
  return s;
}

struct Hostile {
  std::string name;
  std::function<std::string(const TempDir&)> path;  // makes the input, returns the path to give roachrun
  std::string where;                                // ":L:C" after the path, or "" for the file itself
  std::vector<std::string> words;
  std::vector<std::string> extra_args = {};
};

std::function<std::string(const TempDir&)> file_with(std::string text) {
  return [text](const TempDir& dir) { return dir.write("hostile.yaml", text); };
}

std::string utf16le(const std::string& ascii) {
  std::string s = "\xFF\xFE";
  for (char c : ascii) s += c, s += '\0';
  return s;
}

std::vector<Hostile> hostile_inputs() {
  std::string too_many_steps = kHarmful;
  for (int i = 3; i < 100001; ++i) too_many_steps += "  - sql.exec: SELECT 1\n";
  return {
      {"alias bomb in vars", file_with("scenario: hostile\nvars:\n" + alias_bomb("  ") + kHarmful.substr(18)), ":9:6",
       {"aliases expand to more than 4000000 nodes"}},
      {"alias bomb in step parameters", file_with(kHarmful + "  - sql.query:\n" + alias_bomb("      ") + "      sql: SELECT 1\n"),
       ":13:10", {"aliases expand to more than 4000000 nodes"}},
      {"alias inside its own anchor", file_with(kHarmful + "  - sql.query: &a {sql: SELECT 1, params: [*a]}\n"), ":6:16",
       {"alias *a at 6:44 refers to the value that contains it"}},
      {"flow nesting 10,000 deep",
       file_with(kHarmful + "  - sql.query: " + std::string(10000, '[') + std::string(10000, ']') + "\n"), ":6:77",
       {"nesting deeper than 64 levels"}},
      {"block nesting 10,000 deep", file_with(kHarmful + "  " + repeat("- ", 10000) + "x\n"), ":6:129",
       {"nesting deeper than 64 levels"}},
      {"a file over 32 MiB",
       [](const TempDir& dir) {
         const std::string path = dir.write("hostile.yaml", kHarmful);
         fs::resize_file(path, (std::uintmax_t{32} << 20) + 1);
         return path;
       },
       "", {"33554433 bytes, more than the 32 MiB"}},
      {"100,001 steps", file_with(too_many_steps), ":3:3", {"more than 100000 steps (100001"}},
      {"a FIFO",
       [](const TempDir& dir) {
         const std::string path = (dir.path() / "fifo.yaml").string();
         if (::mkfifo(path.c_str(), 0600) != 0) ADD_FAILURE() << "mkfifo " << path;
         return path;
       },
       "", {"not a regular file (a FIFO)"}},
      {"a directory", [](const TempDir& dir) { return dir.path().string(); }, "", {"not a regular file (a directory)"}},
      {"a character device", [](const TempDir&) { return std::string("/dev/null"); }, "",
       {"not a regular file (a character device)"}},
      {"a symlink loop",
       [](const TempDir& dir) {
         fs::create_symlink(dir.path() / "b.yaml", dir.path() / "a.yaml");
         fs::create_symlink(dir.path() / "a.yaml", dir.path() / "b.yaml");
         return (dir.path() / "a.yaml").string();
       },
       "", {"symbolic link loop"}},
      {"a raw NUL", file_with(kHarmful + std::string("  - name: ok\0no\n    sql.exec: SELECT 1\n", 37)), ":6:13",
       {"NUL byte (byte offset 164)"}},
      {"an escaped NUL", file_with(kHarmful + "  - name: \"ok\\0no\"\n    sql.exec: SELECT 1\n"), ":6:11",
       {"NUL character"}},
      {"invalid UTF-8 in a step name", file_with(kHarmful + "  - name: caf\xE9\n    sql.exec: SELECT 1\n"), ":6:14",
       {"invalid UTF-8: byte 0xE9"}},
      {"UTF-16 with its byte order mark", file_with(utf16le(kHarmful)), ":1:1", {"UTF-16", "save it as UTF-8"}},
      {"--set of an undeclared variable", file_with("scenario: hostile\nvars: {amount: 100}\n" + kHarmful.substr(18)),
       ":2:7", {"--set amout=250", "declares no variable 'amout' (did you mean 'amount'?)"}, {"--set", "amout=250"}},
      {"variables in a cycle",
       file_with("scenario: hostile\nvars:\n  a: ${b}\n  b: ${a}\n" + kHarmful.substr(18)), ":3:6",
       {"variables refer to each other in a cycle: a -> b -> a"}},
  };
}

// CPU seconds of the children collected so far: what roachrun itself costs (wall time on a
// shared 2-core machine says as much about the neighbours).
double children_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_CHILDREN, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

void PrintTo(const Hostile& h, std::ostream* os) { *os << h.name; }

class HostileInput : public ::testing::TestWithParam<Hostile> {};

TEST_P(HostileInput, ExitsTwoAtOnceNamingThePlaceAndChangesNothing) {
  const Hostile& h = GetParam();
  TempDir dir;
  const std::string path = h.path(dir);
  const std::string before = catalog();
  for (const std::string command : {"validate", "run"}) {
    SCOPED_TRACE(command);
    std::vector<std::string> args{command, path};
    if (command == "run") args.insert(args.end(), {"--target", TestServer::get().url()});
    args.insert(args.end(), h.extra_args.begin(), h.extra_args.end());
    const double cpu_before = children_cpu_seconds();
    const auto start = Clock::now();
    const CommandResult r = roachrun(args);
    const auto elapsed = Clock::now() - start;
    const double cpu = children_cpu_seconds() - cpu_before;
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(path + h.where + ": "), std::string::npos) << r.err;
    for (const auto& w : h.words) EXPECT_NE(r.err.find(w), std::string::npos) << "no '" << w << "' in:\n" << r.err;
    EXPECT_EQ(r.out, "");
    // Most take 20 ms; 100,001 steps about 1 s, nearly all of it yaml-cpp's parse, which on this
    // shared 2-core machine can take twice as long in wall time while other builds run.
    EXPECT_LT(cpu, time_bound(2.0));
    EXPECT_LT(elapsed, time_bound(std::chrono::seconds(5)));
    std::cout << h.name << ", " << command << ": "
              << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms, " << cpu
              << " s CPU\n";
  }
  EXPECT_EQ(catalog(), before) << "a step ran";
}

INSTANTIATE_TEST_SUITE_P(Cases, HostileInput, ::testing::ValuesIn(hostile_inputs()),
                         [](const ::testing::TestParamInfo<Hostile>& info) {
                           std::string name;
                           for (char c : info.param.name) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

TEST(HostileInputAccepted, AUtf8ByteOrderMarkRuns) {
  TempDir dir;
  const std::string path = dir.write("bom.yaml", "\xEF\xBB\xBFscenario: bom\nsteps:\n  - sql.query: SELECT 'bom'\n");
  const CommandResult r = roachrun({"-q", "run", path, "--target", TestServer::get().url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "['bom']\n");
}


// What the limits must leave alone: the largest scenarios the issue names still validate, and in
// time linear in their size. A fixed CPU bound flaked: 100,000 steps take 2.0-2.9 s of CPU on an
// idle 2-core VM and 3.5 s while the other ctest entries run. So each is measured against a tenth
// of itself in the same run: linear work is about 10x (less, as start-up is in both), a quadratic
// walk 100x. The absolute bound only catches a hang. The figures are printed.
TEST(HostileInputAccepted, AHundredThousandStepsAndTwentyMegabytesValidateInLinearTime) {
  TempDir dir;
  const auto many_steps = [](int n) {
    std::string steps = "scenario: many\nsteps:\n";
    for (int i = 0; i < n; ++i) steps += "  - sql.exec: {sql: \"SELECT " + std::to_string(i) + "\"}\n";
    return steps;
  };
  const auto big_file = [](std::size_t bytes) {
    std::string big = "scenario: big\nsteps:\n  - sql.exec: {sql: \"SELECT 1\"}\n";
    while (big.size() < bytes) big += "# " + std::string(98, 'x') + "\n";
    return big;
  };
  const auto validate = [&](const std::string& name, const std::string& text) {
    const std::string path = dir.write(name, text);
    const double cpu = children_cpu_seconds();
    const auto start = Clock::now();
    const CommandResult r = roachrun({"validate", path});
    const double wall = std::chrono::duration<double>(Clock::now() - start).count();
    const double used = children_cpu_seconds() - cpu;
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.err;
    EXPECT_LT(used, time_bound(15.0)) << name;
    std::cout << name << " (" << text.size() << " bytes): validated in " << used << " s CPU, " << wall << " s wall\n";
    return used;
  };
  const double steps_10k = validate("10000-steps.yaml", many_steps(10000));
  const double steps_100k = validate("100000-steps.yaml", many_steps(100000));
  EXPECT_LT(steps_100k, 25 * steps_10k) << "validating 100,000 steps grew faster than linearly";
  const double mb_2 = validate("2mb.yaml", big_file(2'000'000));
  const double mb_20 = validate("20mb.yaml", big_file(20'000'000));
  EXPECT_LT(mb_20, 25 * mb_2) << "validating 20 MB grew faster than linearly";
}

}  // namespace
}  // namespace roachrun::test
