// engine/scenario_limits.hpp as the loader enforces it: hostile text (alias bombs, cycles,
// nesting, NUL, invalid UTF-8, byte order marks) and hostile paths (FIFO, directory, device,
// symlink loop, too big), each an error at its place, at once.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <initializer_list>
#include <string>

#include "engine/scenario_limits.hpp"
#include "engine/scenario_loader.hpp"
#include "engine/scenario_text.hpp"
#include "support/hostile_yaml.hpp"
#include "support/temp_dir.hpp"
#include "support/time_bound.hpp"

namespace roachrun {
namespace {

namespace fs = std::filesystem;
using test::alias_bomb;
using test::repeat;

const EnvLookup kNoEnv = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };

// The ValidationError loading `text` throws, checked to be at `where` with every one of
// `words`, within 2 seconds (the bound; most take milliseconds).
void expect_error(const std::string& text, const std::string& where, std::initializer_list<std::string> words) {
  const auto start = std::chrono::steady_clock::now();
  try {
    load_scenario_text(text, "h.yaml", {}, kNoEnv);
    ADD_FAILURE() << "loaded; expected an error at " << where;
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.where().str(), where) << e.what();
    for (const auto& w : words) EXPECT_NE(e.message().find(w), std::string::npos) << "no '" << w << "' in " << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, test::time_bound(std::chrono::seconds(2)));
}

void expect_file_error(const std::string& path, std::initializer_list<std::string> words) {
  const auto start = std::chrono::steady_clock::now();
  try {
    load_scenario_file(path, {}, kNoEnv);
    ADD_FAILURE() << "loaded " << path;
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.where().file, path) << e.what();
    for (const auto& w : words) EXPECT_NE(e.message().find(w), std::string::npos) << "no '" << w << "' in " << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, test::time_bound(std::chrono::seconds(2)));
}

const std::string kHead = "scenario: x\nsteps:\n";

// --- expansion, cycles, depth -----------------------------------------------------------------

TEST(ScenarioLimits, AliasBombInVarsStopsAtTheAnchorThatExceedsTheLimit) {
  // g expands to 5.4 million nodes, the first over 4 million; it is on line 8 of vars:.
  expect_error("scenario: x\nvars:\n" + alias_bomb("  ") + "steps:\n  - fixture.nothing:\n", "h.yaml:9:6",
               {"aliases expand to more than 4000000 nodes", "limits::kMaxNodes", "fewer aliases"});
}

TEST(ScenarioLimits, AliasBombInStepParametersStopsToo) {
  expect_error(kHead + "  - fixture.echo:\n" + alias_bomb("      ") + "      text: *i\n", "h.yaml:10:10",
               {"aliases expand to more than 4000000 nodes"});
}

TEST(ScenarioLimits, ManyUsesOfAModestAliasCountInFull) {
  // 1000 uses of a 10,000-node list: 10 million nodes, though no anchor alone is too big.
  std::string text = kHead + "  - fixture.echo: {text: x, big: &big [" + repeat("x, ", 9999) + "x]}\n";
  for (int i = 0; i < 1000; ++i) text += "  - fixture.echo: {text: x, big: *big}\n";
  expect_error(text, "h.yaml:3:3", {"aliases expand to more than 4000000 nodes"});
}

TEST(ScenarioLimits, AliasesWithinTheLimitLoad) {
  Scenario s = load_scenario_text(kHead + "  - fixture.echo: &e {text: x}\n  - fixture.echo: *e\n", "h.yaml", {}, kNoEnv);
  EXPECT_EQ(s.steps.size(), 2u);
  EXPECT_EQ(s.steps[1].params["text"].Scalar(), "x");
}

TEST(ScenarioLimits, AnAliasInsideItsOwnAnchorIsNamedWithItsPlace) {
  expect_error("scenario: x\nvars:\n  x: &a [*a]\nsteps:\n  - fixture.nothing:\n", "h.yaml:3:6",
               {"alias *a at 3:10 refers to the value that contains it"});
  expect_error(kHead + "  - fixture.echo: &self {text: x, again: {deeper: *self}}\n", "h.yaml:3:19",
               {"alias *self at 3:51 refers to the value that contains it"});
}

TEST(ScenarioLimits, FlowNestingTenThousandDeepIsRefusedAtTheFirstLevelTooDeep) {
  // The document, steps, the step and its value are levels 1 to 4; the value's first '[' is at
  // column 19, so level 65 is the 62nd.
  expect_error(kHead + "  - fixture.echo: " + std::string(10000, '[') + std::string(10000, ']') + "\n",
               "h.yaml:3:80", {"nesting deeper than 64 levels", "limits::kMaxDepth"});
}

TEST(ScenarioLimits, BlockNestingTenThousandDeepIsRefusedToo) {
  // "- - - x": each "- " starts a list inside the one before; steps is level 2 at column 3.
  expect_error(kHead + "  " + repeat("- ", 10000) + "x\n", "h.yaml:3:129", {"nesting deeper than 64 levels"});
}

TEST(ScenarioLimits, NestingJustUnderTheLimitLoadsAndJustOverIsRefused) {
  const auto nested = [](int n) { return kHead + "  - fixture.echo: " + std::string(n, '[') + std::string(n, ']') + "\n"; };
  EXPECT_NO_THROW(load_scenario_text(nested(61), "h.yaml", {}, kNoEnv));  // levels 4..64
  expect_error(nested(62), "h.yaml:3:80", {"nesting deeper than 64 levels"});
}

TEST(ScenarioLimits, NestingThroughAnAliasCountsTheLevelsItAdds) {
  // A 40-level anchor, used again 40 levels down: 80 levels written out.
  const std::string deep40 = std::string(40, '[') + std::string(40, ']');
  expect_error("scenario: x\nvars: {}\nanchors: &deep " + deep40 + "\nsteps:\n  - fixture.echo: " +
                   std::string(37, '[') + "*deep" + std::string(37, ']') + "\n",
               "h.yaml:3:10", {"nesting deeper than 64 levels", "through an alias"});
}

// --- steps --------------------------------------------------------------------------------------

TEST(ScenarioLimits, MoreStepsThanTheLimitAreRefusedAtSteps) {
  std::string text = kHead;
  for (std::size_t i = 0; i <= limits::kMaxSteps; ++i) text += "  - a.b:\n";
  expect_error(text, "h.yaml:3:3", {"more than 100000 steps (100001", "limits::kMaxSteps"});
}

// --- text ---------------------------------------------------------------------------------------

TEST(ScenarioLimits, ARawNulIsRefusedAtItsByte) {
  expect_error(std::string("scenario: a\0b\nsteps:\n  - fixture.nothing:\n", 38), "h.yaml:1:12",
               {"NUL byte (byte offset 11)"});
}

TEST(ScenarioLimits, AnEscapedNulIsRefusedAtItsValue) {
  expect_error(kHead + "  - name: \"drop\\0table\"\n    fixture.nothing:\n", "h.yaml:3:11",
               {"NUL character", "offset 4 in the value"});
}

TEST(ScenarioLimits, InvalidUtf8InAStepNameIsRefusedAtItsByte) {
  expect_error(kHead + "  - name: caf\xE9 au lait\n    fixture.nothing:\n", "h.yaml:3:14",
               {"invalid UTF-8: byte 0xE9 (byte offset 32)", "save the file as UTF-8"});
}

TEST(ScenarioLimits, OverlongFormsAndSurrogatesAreNotUtf8) {
  EXPECT_EQ(first_bad_text_byte("ok \xC0\xAF"), 3u);          // overlong '/'
  EXPECT_EQ(first_bad_text_byte("ok \xED\xA0\x80"), 3u);      // U+D800
  EXPECT_EQ(first_bad_text_byte("ok \xF4\x90\x80\x80"), 3u);  // past U+10FFFF
  EXPECT_EQ(first_bad_text_byte("ok \xE2\x82"), 3u);          // cut short
  EXPECT_EQ(first_bad_text_byte("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x90\x9B"), std::string_view::npos);
}

TEST(ScenarioLimits, Utf16AndUtf32AreRefusedWithWhatToDo) {
  const std::string le16("\xFF\xFEs\0c\0", 6), be16("\xFE\xFF\0s\0c", 6), le32("\xFF\xFE\0\0s\0\0\0", 8);
  for (const auto& text : {le16, be16}) expect_error(text, "h.yaml:1:1", {"UTF-16", "save it as UTF-8"});
  expect_error(le32, "h.yaml:1:1", {"UTF-32", "save it as UTF-8"});
  // Without a mark: the NUL says what it probably is.
  expect_error(std::string("s\0c\0e\0n\0", 8), "h.yaml:1:2", {"NUL byte", "looks like UTF-16"});
}

TEST(ScenarioLimits, AUtf8ByteOrderMarkIsAccepted) {
  Scenario s = load_scenario_text("\xEF\xBB\xBF" + kHead + "  - fixture.nothing:\n", "h.yaml", {}, kNoEnv);
  EXPECT_EQ(s.name, "x");
  // ...and columns on the first line are counted after it, byte offsets in the file with it.
  expect_error("\xEF\xBB\xBFscenario: \xFF\n", "h.yaml:1:11", {"byte offset 13"});
}

// --- the file -----------------------------------------------------------------------------------

TEST(ScenarioLimits, AFifoIsRefusedWithoutWaitingForAWriter) {
  test::TempDir dir;
  const std::string path = (dir.path() / "fifo.yaml").string();
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  expect_file_error(path, {"not a regular file (a FIFO)"});
}

TEST(ScenarioLimits, ADirectoryAndADeviceAreRefused) {
  test::TempDir dir;
  expect_file_error(dir.path().string(), {"not a regular file (a directory)"});
  expect_file_error("/dev/null", {"not a regular file (a character device)"});
}

TEST(ScenarioLimits, ASymlinkLoopSaysSo) {
  test::TempDir dir;
  const fs::path a = dir.path() / "a.yaml", b = dir.path() / "b.yaml";
  fs::create_symlink(b, a);
  fs::create_symlink(a, b);
  expect_file_error(a.string(), {"symbolic link loop", a.string()});
}

TEST(ScenarioLimits, AFileOverTheSizeLimitIsRefusedBeforeItIsRead) {
  test::TempDir dir;
  const std::string path = dir.write("big.yaml", kHead);
  fs::resize_file(path, limits::kMaxFileBytes + 1);  // sparse: costs no disk and no time
  expect_file_error(path, {"33554433 bytes, more than the 32 MiB", "limits::kMaxFileBytes"});
}

TEST(ScenarioLimits, AFileThroughASymlinkIsRead) {
  test::TempDir dir;
  const std::string real = dir.write("real.yaml", kHead + "  - fixture.nothing:\n");
  fs::create_symlink(real, dir.path() / "link.yaml");
  EXPECT_EQ(load_scenario_file((dir.path() / "link.yaml").string(), {}, kNoEnv).steps.size(), 1u);
}

}  // namespace
}  // namespace roachrun
