// engine/plugin_registry.hpp: finding, examining, refusing and keeping plugin libraries, with
// the fixture plugins of tests/fixtures/plugins/ (also ones that exit, abort, crash, throw or
// hang while loaded), each caching test with a cache of its own.
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/dll/shared_library.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "engine/plugin_cache.hpp"
#include "engine/plugin_registry.hpp"
#include "fixture_plugins.hpp"
#include "roachrun/error.hpp"
#include "roachrun/testing.hpp"
#include "roachrun/version.hpp"
#include "support/command.hpp"
#include "support/scoped_env.hpp"
#include "support/temp_dir.hpp"

namespace roachrun {
namespace {

namespace fs = std::filesystem;

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

using test::ScopedEnv;

// Whether the library at `path` is loaded in this process (without loading it).
bool is_loaded(const fs::path& path) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (!handle) return false;
  dlclose(handle);  // RTLD_NOLOAD took a reference
  return true;
}

// A copy of fixture plugin `name` in `dir` (as `file_name`), so a test has a library no other
// test has loaded.
fs::path copy_fixture(const std::string& name, const fs::path& dir, const std::string& file_name = "") {
  fs::create_directories(dir);
  fs::path to = dir / (file_name.empty() ? "lib" + name + ".so" : file_name);
  fs::copy_file(test::fixture_plugin(name), to, fs::copy_options::overwrite_existing);
  return to;
}

// --- a good plugin ------------------------------------------------------------------------------

TEST(PluginRegistry, LoadsAGoodPlugin) {
  PluginRegistry registry;
  const fs::path path = test::fixture_plugin("fixture_steps");
  ASSERT_TRUE(registry.load_library(path));
  EXPECT_TRUE(registry.problems().empty());

  ASSERT_EQ(registry.plugins().size(), 1u);
  const PluginSummary& plugin = registry.plugins()[0];
  EXPECT_EQ(plugin.name, "fixture");
  EXPECT_EQ(plugin.doc, "Step types for the unit tests");
  EXPECT_EQ(plugin.path, path);
  std::vector<std::string> in_order;
  for (const auto& step : plugin.steps) in_order.push_back(step->full_name);
  EXPECT_EQ(in_order, (std::vector<std::string>{"fixture.echo", "fixture.types", "fixture.transfer", "fixture.nothing",
                                                "fixture.defaults", "fixture.bad_default"}));

  auto echo = registry.find("fixture.echo");
  ASSERT_NE(echo, nullptr);
  EXPECT_EQ(echo, plugin.steps[0]);
  EXPECT_EQ(echo->plugin, "fixture");
  EXPECT_EQ(echo->full_name, "fixture.echo");
  EXPECT_EQ(echo->type.name, "echo");
  EXPECT_EQ(echo->type.doc, "Prints text");
  ASSERT_EQ(echo->type.params.size(), 2u);
  EXPECT_EQ(echo->type.params[0].name, "text");
  EXPECT_TRUE(echo->type.params[0].required);
  EXPECT_EQ(echo->type.params[1].name, "times");
  EXPECT_EQ(echo->type.params[1].min, std::optional<std::int64_t>(1));
  EXPECT_EQ(echo->type.params[1].max, std::optional<std::int64_t>(10));
  EXPECT_EQ(echo->type.params[1].default_value, Value(1));
  EXPECT_TRUE(static_cast<bool>(echo->type.run));
  EXPECT_FALSE(static_cast<bool>(echo->type.check));
  EXPECT_TRUE(static_cast<bool>(registry.find("fixture.transfer")->type.check));

  EXPECT_EQ(registry.find("fixture.nope"), nullptr);
  EXPECT_EQ(registry.find("echo"), nullptr);
  EXPECT_EQ(registry.find("fixture"), nullptr);
  EXPECT_EQ(registry.step_names(),
            (std::vector<std::string>{"fixture.bad_default", "fixture.defaults", "fixture.echo", "fixture.nothing",
                                      "fixture.transfer", "fixture.types"}));
}

TEST(PluginRegistry, AStepRunsThroughTheContext) {
  PluginRegistry registry;
  ASSERT_TRUE(registry.load_library(test::fixture_plugin("fixture_steps")));
  testing::FakeStepContext ctx;
  registry.find("fixture.transfer")->type.run(ctx, Params(Value{{"from", 1}, {"to", 2}, {"amount", 30}}));
  EXPECT_EQ(ctx.printed(), "1->2:30\n");
}

TEST(PluginRegistry, PluginCheckThrowsParamError) {
  PluginRegistry registry;
  ASSERT_TRUE(registry.load_library(test::fixture_plugin("fixture_steps")));
  const auto& check = registry.find("fixture.transfer")->type.check;
  EXPECT_NO_THROW(check(Params(Value{{"from", 1}, {"to", 2}, {"amount", 30}})));
  try {
    check(Params(Value{{"from", 4}, {"to", 4}, {"amount", 30}}));
    FAIL() << "check accepted from == to";
  } catch (const ParamError& e) {  // caught by type across the library boundary
    EXPECT_EQ(e.param(), "to");
    EXPECT_STREQ(e.what(), "'to' must differ from 'from' (both are 4)");
  }
}

TEST(PluginRegistry, EmptyRegistry) {
  PluginRegistry registry;
  EXPECT_TRUE(registry.plugins().empty());
  EXPECT_TRUE(registry.problems().empty());
  EXPECT_TRUE(registry.searched().empty());
  EXPECT_TRUE(registry.step_names().empty());
  EXPECT_EQ(registry.find("fixture.echo"), nullptr);
}

// --- libraries that are refused -----------------------------------------------------------------

TEST(PluginRegistry, WrongAbiIsRefusedBeforeItsFactoryRuns) {
  test::TempDir tmp;
  const fs::path marker = tmp.path() / "factory-called";
  ScopedEnv env("ROACHRUN_FIXTURE_MARKER", marker.string());
  const fs::path path = test::fixture_plugin("wrong_abi");

  PluginRegistry registry;
  EXPECT_FALSE(registry.load_library(path));
  EXPECT_TRUE(registry.plugins().empty());
  ASSERT_EQ(registry.problems().size(), 1u);
  EXPECT_EQ(registry.problems()[0].path, path);
  const std::string mine = std::to_string(kSdkVersionMajor) + "." + std::to_string(kSdkVersionMinor);
  const std::string theirs = std::to_string(kSdkVersionMajor + 1) + "." + std::to_string(kSdkVersionMinor);
  EXPECT_EQ(registry.problems()[0].reason, "built against roachrun SDK " + theirs + ", but this roachrun provides SDK " +
                                               mine + "; rebuild the plugin against this roachrun's headers");
  EXPECT_FALSE(fs::exists(marker)) << "the factory of a plugin with the wrong ABI was called";

  // Control: the marker does appear when the factory is called, so its absence above means
  // something.
  {
    boost::dll::shared_library lib(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    PluginInfo info = lib.get_alias<PluginFactory>("roachrun_plugin_factory")();
    EXPECT_EQ(info.name, "wrong_abi");
  }
  EXPECT_TRUE(fs::exists(marker));
}

TEST(PluginRegistry, NewerMinorVersionLoads) {
  const fs::path path = test::fixture_plugin("newer_minor");
  PluginRegistry registry;
  EXPECT_TRUE(registry.load_library(path));
  EXPECT_TRUE(registry.problems().empty()) << registry.problems()[0].reason;
  ASSERT_EQ(registry.plugins().size(), 1u);
  EXPECT_EQ(registry.plugins()[0].name, "newer_minor");
  EXPECT_EQ(registry.plugins()[0].path, path);
  EXPECT_NE(registry.find("newer_minor.noop"), nullptr);
}

TEST(PluginRegistry, LibraryWithoutRoachrunExportsIsRefusedWithoutLoadingIt) {
  test::TempDir tmp;
  const fs::path marker = tmp.path() / "constructor-ran";
  ScopedEnv env("ROACHRUN_FIXTURE_MARKER", marker.string());
  const fs::path path = test::fixture_plugin("not_a_plugin");

  PluginRegistry registry;
  EXPECT_FALSE(registry.load_library(path));
  ASSERT_EQ(registry.problems().size(), 1u);
  EXPECT_EQ(registry.problems()[0].path, path);
  EXPECT_EQ(registry.problems()[0].reason,
            "not a roachrun plugin: it exports no roachrun_plugin_abi/roachrun_plugin_factory "
            "(build it with ROACHRUN_PLUGIN(...) from <roachrun/plugin.hpp>)");
  EXPECT_FALSE(fs::exists(marker)) << "the library was loaded (its constructor ran)";
  EXPECT_FALSE(is_loaded(path));
}

// The reason a file the registry refuses before loading it is recorded with.
std::string refusal(const fs::path& path) {
  PluginRegistry registry;
  EXPECT_FALSE(registry.load_library(path));
  EXPECT_TRUE(registry.plugins().empty());
  if (registry.problems().size() != 1u) {
    ADD_FAILURE() << registry.problems().size() << " problems for " << path;
    return {};
  }
  EXPECT_EQ(registry.problems()[0].path, path);
  EXPECT_FALSE(is_loaded(path)) << "refused, but loaded";
  return registry.problems()[0].reason;
}

TEST(PluginRegistry, FileThatIsNotElfIsNotALoadableLibrary) {
  test::TempDir tmp;
  EXPECT_EQ(refusal(tmp.write("broken.so", "this is not an ELF file, just text\n")),
            "not a loadable shared library: not an ELF file");
}

TEST(PluginRegistry, EmptyFileIsNotALoadableLibrary) {
  test::TempDir tmp;
  EXPECT_EQ(refusal(tmp.write("empty.so", "")), "not a loadable shared library: not an ELF file (0 bytes)");
}

TEST(PluginRegistry, TruncatedElfIsNotALoadableLibrary) {
  // The first bytes of a real library: a valid ELF header whose sections are missing.
  test::TempDir tmp;
  const std::string head = test::read_file(test::fixture_plugin("fixture_steps")).substr(0, 256);
  ASSERT_EQ(head.substr(1, 3), "ELF");
  const std::string reason = refusal(tmp.write("truncated.so", head));
  EXPECT_TRUE(starts_with(reason, "not a loadable shared library: truncated: its section headers (")) << reason;
  EXPECT_NE(reason.find(") lie past the end of the file (256 bytes)"), std::string::npos) << reason;
}

TEST(PluginRegistry, ThrowingFactoryIsRecorded) {
  const fs::path path = test::fixture_plugin("throwing_factory");
  PluginRegistry registry;
  EXPECT_FALSE(registry.load_library(path));
  EXPECT_TRUE(registry.plugins().empty());
  ASSERT_EQ(registry.problems().size(), 1u);
  EXPECT_EQ(registry.problems()[0].path, path);
  EXPECT_EQ(registry.problems()[0].reason, "its factory threw: fixture factory failure");
}

TEST(PluginRegistry, InvalidPluginNameIsRecorded) {
  const fs::path path = test::fixture_plugin("invalid_name");
  PluginRegistry registry;
  EXPECT_FALSE(registry.load_library(path));
  EXPECT_TRUE(registry.plugins().empty());
  EXPECT_TRUE(registry.step_names().empty());
  ASSERT_EQ(registry.problems().size(), 1u);
  EXPECT_EQ(registry.problems()[0].path, path);
  EXPECT_EQ(registry.problems()[0].reason, "invalid plugin name 'Bad-Name': use lower-case letters, digits and _");
}

// The first name given twice is named: the parameter of the step type declared first.
TEST(PluginRegistry, ANameDeclaredTwiceIsRecorded) {
  const fs::path path = test::fixture_plugin("repeated_names");
  PluginRegistry registry;
  EXPECT_FALSE(registry.load_library(path));
  EXPECT_TRUE(registry.step_names().empty());
  ASSERT_EQ(registry.problems().size(), 1u);
  EXPECT_EQ(registry.problems()[0].reason, "step type 'repeated.step' declares parameter 'count' twice");
}

// --- the ABI stamp: the SDK and the libraries whose types cross the boundary ------------------

struct OtherLibraryMajor {
  const char* fixture;
  const char* library;
  int theirs;
  int mine;
};

class PluginOfAnotherLibraryMajor : public ::testing::TestWithParam<OtherLibraryMajor> {};

TEST_P(PluginOfAnotherLibraryMajor, IsRefusedNamingTheLibraryAndBothVersionsBeforeItsFactoryRuns) {
  const OtherLibraryMajor& c = GetParam();
  test::TempDir tmp;
  const fs::path marker = tmp.path() / "factory-called";
  ScopedEnv env("ROACHRUN_FIXTURE_MARKER", marker.string());
  const fs::path path = test::fixture_plugin(c.fixture);

  PluginRegistry registry;
  EXPECT_FALSE(registry.load_library(path));
  EXPECT_TRUE(registry.plugins().empty());
  ASSERT_EQ(registry.problems().size(), 1u);
  EXPECT_EQ(registry.problems()[0].path, path);
  const std::string lib = c.library;
  EXPECT_EQ(registry.problems()[0].reason, "built against " + lib + " " + std::to_string(c.theirs) +
                                               ", but this roachrun uses " + lib + " " + std::to_string(c.mine) +
                                               "; rebuild the plugin against " + lib + " " + std::to_string(c.mine) +
                                               ", the version roachrun was built with");
  EXPECT_FALSE(fs::exists(marker)) << "the factory of a refused plugin ran";
}

INSTANTIATE_TEST_SUITE_P(
    Stamp, PluginOfAnotherLibraryMajor,
    ::testing::Values(OtherLibraryMajor{"other_fmt_major", "fmt", FMT_VERSION / 10000 + 1, FMT_VERSION / 10000},
                      OtherLibraryMajor{"other_spdlog_major", "spdlog", SPDLOG_VER_MAJOR + 1, SPDLOG_VER_MAJOR},
                      OtherLibraryMajor{"other_json_major", "nlohmann-json", NLOHMANN_JSON_VERSION_MAJOR - 1,
                                        NLOHMANN_JSON_VERSION_MAJOR}),
    [](const auto& p) { return std::string(p.param.fixture); });

TEST(PluginRegistry, PluginsOfOtherLibraryMajorsAreRefusedAndTheOthersStillLoad) {
  test::TempDir tmp;
  const fs::path dir = tmp.path() / "plugins";
  const fs::path good = copy_fixture("fixture_steps", dir);
  const fs::path minor = copy_fixture("newer_minor", dir);
  for (const char* name : {"other_fmt_major", "other_json_major", "other_spdlog_major"}) copy_fixture(name, dir);

  PluginRegistry registry;
  registry.load_directory(dir);
  ASSERT_EQ(registry.plugins().size(), 2u);
  EXPECT_EQ(registry.plugins()[0].path, good);
  EXPECT_EQ(registry.plugins()[1].path, minor);
  EXPECT_NE(registry.find("fixture.echo"), nullptr);
  ASSERT_EQ(registry.problems().size(), 3u);
  for (const char* lib : {"fmt", "nlohmann-json", "spdlog"})
    EXPECT_TRUE(std::any_of(registry.problems().begin(), registry.problems().end(),
                            [&](const PluginProblem& p) { return starts_with(p.reason, std::string("built against ") + lib + " "); }))
        << lib;
}

TEST(PluginRegistry, StampOfTheSdk2LayoutIsRefusedByItsMajor) {
  const fs::path path = test::fixture_plugin("sdk2_layout");
  PluginRegistry registry;
  EXPECT_FALSE(registry.load_library(path));
  ASSERT_EQ(registry.problems().size(), 1u);
  EXPECT_EQ(registry.problems()[0].reason, "built against roachrun SDK 2.0, but this roachrun provides SDK " +
                                               std::to_string(kSdkVersionMajor) + "." +
                                               std::to_string(kSdkVersionMinor) +
                                               "; rebuild the plugin against this roachrun's headers");
}

// A plugin of another SDK major links another soname of the SDK, usually not installed at all: it
// is refused by that major before anything tries to load it.
TEST(PluginRegistry, PluginLinkingAnotherSdkSonameIsRefusedByItsMajorWithoutLoadingIt) {
  test::TempDir tmp;
  const std::string mine = "libroachrun_sdk.so." + std::to_string(kSdkVersionMajor);
  const std::string theirs = "libroachrun_sdk.so." + std::to_string(kSdkVersionMajor + 1);
  ASSERT_EQ(mine.size(), theirs.size()) << "the patch below keeps every offset";
  std::string bytes = test::read_file(test::fixture_plugin("fixture_steps"));
  size_t replaced = 0;
  for (size_t at = bytes.find(mine + '\0'); at != std::string::npos; at = bytes.find(mine + '\0', at + 1), ++replaced)
    bytes.replace(at, theirs.size(), theirs);
  ASSERT_GT(replaced, 0u) << "the fixture does not name " << mine;
  const fs::path path = tmp.write("libfixture_other_sdk.so", bytes);

  EXPECT_EQ(refusal(path), "built against roachrun SDK " + std::to_string(kSdkVersionMajor + 1) + " (it links " +
                               theirs + "), but this roachrun provides SDK " + std::to_string(kSdkVersionMajor) + "." +
                               std::to_string(kSdkVersionMinor) + "; rebuild the plugin against this roachrun's headers");
}

// --- stripped plugins -----------------------------------------------------------------------------

class StrippedPlugin : public ::testing::TestWithParam<const char*> {};

// Distributions strip shared libraries (dh_strip: --strip-unneeded); `strip` alone strips all. Both
// keep the dynamic symbol table, which is all the registry reads.
TEST_P(StrippedPlugin, LoadsAndRunsAStep) {
  test::TempDir tmp;
  const fs::path path = copy_fixture("fixture_steps", tmp.path(), std::string("libfixture_stripped") + GetParam() + ".so");
  auto strip = test::run_program(ROACHRUN_STRIP_COMMAND, {GetParam(), path.string()});
  ASSERT_EQ(strip.exit_code, 0) << strip.err;
  ASSERT_EQ(test::read_file(path).find(std::string("\0.symtab\0", 9)), std::string::npos)
      << "strip " << GetParam() << " left the full symbol table: this test would prove nothing";

  PluginRegistry registry;
  ASSERT_TRUE(registry.load_library(path)) << registry.problems()[0].reason;
  auto echo = registry.find("fixture.echo");
  ASSERT_NE(echo, nullptr);
  testing::FakeStepContext ctx;
  echo->type.run(ctx, Params(Value{{"text", "stripped"}, {"times", 1}}));
  EXPECT_EQ(ctx.printed(), "stripped\n");
}

INSTANTIATE_TEST_SUITE_P(Strip, StrippedPlugin, ::testing::Values("--strip-unneeded", "--strip-all"),
                         [](const auto& p) { return p.index == 0 ? "StripUnneeded" : "StripAll"; });

// --- directories --------------------------------------------------------------------------------

TEST(PluginRegistry, DirectoryLoadsTheGoodAndRecordsEachBadOne) {
  test::TempDir tmp;
  const fs::path dir = tmp.path() / "plugins";
  const fs::path good = copy_fixture("fixture_steps", dir);
  const fs::path wrong_abi = copy_fixture("wrong_abi", dir);
  const fs::path not_a_plugin = copy_fixture("not_a_plugin", dir);
  const fs::path throwing = copy_fixture("throwing_factory", dir);
  const fs::path invalid = copy_fixture("invalid_name", dir);
  const fs::path broken = tmp.write("plugins/broken.so", "not ELF at all");
  tmp.write("plugins/README.txt", "not a library: ignored");
  fs::create_directories(dir / "subdir.so");  // a directory, even named *.so, is ignored

  PluginRegistry registry;
  registry.load_directory(dir);
  EXPECT_EQ(registry.searched(), std::vector<fs::path>{dir});

  ASSERT_EQ(registry.plugins().size(), 1u);
  EXPECT_EQ(registry.plugins()[0].name, "fixture");
  EXPECT_EQ(registry.plugins()[0].path, good);
  EXPECT_NE(registry.find("fixture.echo"), nullptr);

  // In the order the files were tried: sorted by name.
  ASSERT_EQ(registry.problems().size(), 5u);
  EXPECT_EQ(registry.problems()[0].path, broken);
  EXPECT_TRUE(starts_with(registry.problems()[0].reason, "not a loadable shared library: "));
  EXPECT_EQ(registry.problems()[1].path, invalid);
  EXPECT_TRUE(starts_with(registry.problems()[1].reason, "invalid plugin name 'Bad-Name'"));
  EXPECT_EQ(registry.problems()[2].path, not_a_plugin);
  EXPECT_TRUE(starts_with(registry.problems()[2].reason, "not a roachrun plugin"));
  EXPECT_EQ(registry.problems()[3].path, throwing);
  EXPECT_EQ(registry.problems()[3].reason, "its factory threw: fixture factory failure");
  EXPECT_EQ(registry.problems()[4].path, wrong_abi);
  EXPECT_TRUE(starts_with(registry.problems()[4].reason, "built against roachrun SDK "));
}

TEST(PluginRegistry, MissingDirectoryIsSearchedButNotAProblem) {
  test::TempDir tmp;
  PluginRegistry registry;
  registry.load_directory(tmp.path() / "does-not-exist");
  EXPECT_EQ(registry.searched(), std::vector<fs::path>{tmp.path() / "does-not-exist"});
  EXPECT_TRUE(registry.problems().empty());
  EXPECT_TRUE(registry.plugins().empty());
}

// A directory's libraries are registered by their examination and loaded when a step of theirs
// is first asked for: a run maps only the plugins its scenario uses.
TEST(PluginRegistry, ADirectorysPluginIsLoadedOnFirstUseOfOneOfItsSteps) {
  test::TempDir tmp;
  const fs::path later = copy_fixture("details_steps", tmp.path() / "lazy", "libb.so");
  const fs::path first = copy_fixture("fixture_steps", tmp.path() / "lazy", "liba.so");

  PluginRegistry registry;
  registry.load_directory(tmp.path() / "lazy");
  EXPECT_FALSE(is_loaded(first));
  EXPECT_FALSE(is_loaded(later));
  const std::vector<std::string> names = registry.step_names();  // known from the examinations
  EXPECT_NE(std::find(names.begin(), names.end(), "fixture.echo"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "detailed.paint"), names.end());
  EXPECT_EQ(registry.find("fixture.nope"), nullptr);
  EXPECT_FALSE(is_loaded(first)) << "a step no plugin has loads nothing";

  // The later library first: the list stays in search order all the same.
  ASSERT_NE(registry.find("detailed.paint"), nullptr);
  EXPECT_TRUE(is_loaded(later));
  EXPECT_FALSE(is_loaded(first));
  const auto echo = registry.find("fixture.echo");
  ASSERT_NE(echo, nullptr);
  EXPECT_TRUE(is_loaded(first));
  EXPECT_EQ(registry.find("fixture.echo"), echo) << "loaded once";
  ASSERT_EQ(registry.plugins().size(), 2u);
  EXPECT_EQ(registry.plugins()[0].path, first);
  EXPECT_EQ(registry.plugins()[1].path, later);
  EXPECT_EQ(registry.step_names(), names);
  EXPECT_TRUE(registry.problems().empty());
  EXPECT_EQ(registry.certificate_authority(), nullptr);
}

TEST(PluginRegistry, SameNameInALaterDirectoryIsSkipped) {
  test::TempDir tmp;
  const fs::path first = copy_fixture("fixture_steps", tmp.path() / "first");
  const fs::path second = copy_fixture("fixture_steps", tmp.path() / "second");

  PluginRegistry registry;
  registry.load_directory(tmp.path() / "first");
  registry.load_directory(tmp.path() / "second");
  EXPECT_EQ(registry.searched(), (std::vector<fs::path>{tmp.path() / "first", tmp.path() / "second"}));

  ASSERT_EQ(registry.plugins().size(), 1u);
  EXPECT_EQ(registry.plugins()[0].path, first);
  EXPECT_EQ(registry.find("fixture.echo"), registry.plugins()[0].steps[0]);
  EXPECT_EQ(registry.step_names().size(), 6u);
  ASSERT_EQ(registry.problems().size(), 1u);
  EXPECT_EQ(registry.problems()[0].path, second);
  EXPECT_EQ(registry.problems()[0].reason, "skipped: plugin 'fixture' is already loaded from " + first.string());
  EXPECT_FALSE(is_loaded(second)) << "the skipped copy is still loaded";
}

// --- lifetime -----------------------------------------------------------------------------------

TEST(PluginRegistry, StepKeepsItsLibraryLoadedAfterTheRegistryIsGone) {
  test::TempDir tmp;
  const fs::path path = copy_fixture("fixture_steps", tmp.path(), "libfixture_lifetime.so");
  ASSERT_FALSE(is_loaded(path));

  auto registry = std::make_unique<PluginRegistry>();
  ASSERT_TRUE(registry->load_library(path));
  EXPECT_TRUE(is_loaded(path));
  std::shared_ptr<const RegisteredStep> echo = registry->find("fixture.echo");
  ASSERT_NE(echo, nullptr);
  registry.reset();

  EXPECT_TRUE(is_loaded(path)) << "the library went with the registry while one of its steps lives";
  testing::FakeStepContext ctx;
  echo->type.run(ctx, Params(Value{{"text", "still here"}, {"times", 2}}));
  EXPECT_EQ(ctx.printed(), "still here\nstill here\n");

  echo.reset();
  EXPECT_FALSE(is_loaded(path)) << "the library stayed loaded after the last step referring to it went";
}

TEST(PluginRegistry, RegistryReleasesItsLibrariesWhenDestroyed) {
  test::TempDir tmp;
  const fs::path path = copy_fixture("fixture_steps", tmp.path(), "libfixture_release.so");
  {
    PluginRegistry registry;
    ASSERT_TRUE(registry.load_library(path));
    EXPECT_TRUE(is_loaded(path));
  }
  EXPECT_FALSE(is_loaded(path));
}

// --- libraries whose own code takes down the process that loads them ----------------------------

// A cache of its own for one test (XDG_CACHE_HOME in a temporary directory), so what other runs
// cached neither helps nor hides anything.
class PrivateCache {
 public:
  fs::path file() const { return *PluginCache::default_file(); }
  nlohmann::json read() const { return nlohmann::json::parse(test::read_file(file()), nullptr, false); }
  const fs::path& dir() const { return tmp_.path(); }

 private:
  test::TempDir tmp_;
  ScopedEnv env_{"XDG_CACHE_HOME", tmp_.path().string()};
};

// Where the scanner is not: a run that needs it cannot examine anything.
const char* const kNoScanner = "/nonexistent/roachrun-plugin-scanner";
const std::string kNotExamined = std::string("not examined: the plugin scanner ") + kNoScanner +
                                 " cannot be run (No such file or directory); reinstall roachrun, or set "
                                 "ROACHRUN_PLUGIN_SCANNER to it";

class MisbehavingPlugin : public ::testing::TestWithParam<test::MisbehavingFixture> {};

TEST_P(MisbehavingPlugin, IsReportedWithWhatHappenedAndTheGoodOneBesideItStillLoadsAndRuns) {
  const test::MisbehavingFixture& c = GetParam();
#if defined(__SANITIZE_THREAD__)
  // gcc's ThreadSanitizer intercepts dlopen in a frame an exception cannot unwind through: a
  // static constructor's exception ends the scanner in std::terminate (reported as aborted). The
  // normal and ASan builds check the message roachrun gives.
  if (c.name == "init_throw") GTEST_SKIP() << "an exception cannot leave dlopen under ThreadSanitizer";
#endif
  PrivateCache cache;
  test::TempDir tmp;
  const fs::path marker = tmp.path() / "marker";
  ScopedEnv env("ROACHRUN_FIXTURE_MARKER", marker.string());
  const fs::path dir = tmp.path() / "plugins";
  const fs::path bad = copy_fixture(c.name, dir);
  const fs::path good = copy_fixture("fixture_steps", dir);

  const auto start = std::chrono::steady_clock::now();
  PluginRegistry registry;
  registry.load_directory(dir);
  const auto took = test::since(start);
  EXPECT_LT(took, plugin_scan_timeout() + std::chrono::seconds(1));

  ASSERT_EQ(registry.problems().size(), 1u);
  EXPECT_EQ(registry.problems()[0].path, bad);
  EXPECT_EQ(registry.problems()[0].reason, c.problem);
  ASSERT_EQ(registry.plugins().size(), 1u);
  EXPECT_EQ(registry.plugins()[0].path, good);
  testing::FakeStepContext ctx;
  registry.find("fixture.echo")->type.run(ctx, Params(Value{{"text", "still here"}, {"times", 1}}));
  EXPECT_EQ(ctx.printed(), "still here\n");

  EXPECT_FALSE(is_loaded(bad)) << "loaded in this process";
  const pid_t pid = test::marker_pid(marker);
  ASSERT_GT(pid, 0) << "its code never ran: this test would prove nothing";
  EXPECT_NE(pid, getpid());
  EXPECT_TRUE(test::process_gone(pid)) << "the process that examined it is still there";
}

INSTANTIATE_TEST_SUITE_P(Examination, MisbehavingPlugin, ::testing::ValuesIn(test::misbehaving_fixtures()),
                         [](const auto& p) { return p.param.name; });

TEST(PluginRegistry, EveryMisbehavingPluginOfADirectoryIsExaminedSideBySide) {
  PrivateCache cache;
  test::TempDir tmp;
  const fs::path dir = tmp.path() / "plugins";
  for (const auto& c : test::misbehaving_fixtures()) copy_fixture(c.name, dir);
  copy_fixture("fixture_steps", dir);

  const auto start = std::chrono::steady_clock::now();
  PluginRegistry registry;
  registry.load_directory(dir);
  // The hanging one sets the pace; the others finish meanwhile.
  EXPECT_LT(test::since(start), plugin_scan_timeout() + std::chrono::seconds(1));
  EXPECT_EQ(registry.problems().size(), test::misbehaving_fixtures().size());
  EXPECT_EQ(registry.step_names().size(), 6u);
}

TEST(PluginRegistry, ExaminationsAreCachedAndASecondRegistryRunsNoScanner) {
  PrivateCache cache;
  test::TempDir tmp;
  const fs::path dir = tmp.path() / "plugins";
  const fs::path good = copy_fixture("fixture_steps", dir);
  const fs::path bad = copy_fixture("init_exit", dir);
  const fs::path refused = copy_fixture("wrong_abi", dir);
  std::vector<PluginProblem> first;
  {
    PluginRegistry registry;
    registry.load_directory(dir);
    ASSERT_EQ(registry.plugins().size(), 1u);
    first = registry.problems();
    ASSERT_EQ(first.size(), 2u);
  }
  const nlohmann::json cached = cache.read();
  ASSERT_TRUE(cached.is_object()) << test::read_file(cache.file());
  for (const auto& lib : {good, bad, refused}) EXPECT_TRUE(cached["libraries"].contains(fs::canonical(lib).string())) << lib;

  ScopedEnv no_scanner("ROACHRUN_PLUGIN_SCANNER", kNoScanner);
  PluginRegistry again;
  again.load_directory(dir);
  ASSERT_EQ(again.plugins().size(), 1u);
  EXPECT_EQ(again.plugins()[0].path, good);
  EXPECT_NE(again.find("fixture.echo"), nullptr);
  ASSERT_EQ(again.problems().size(), 2u);
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(again.problems()[i].path, first[i].path);
    EXPECT_EQ(again.problems()[i].reason, first[i].reason);
  }

  // Control: a library the cache does not know needs the scanner, which is not there.
  const fs::path unknown = copy_fixture("newer_minor", dir);
  PluginRegistry third;
  third.load_directory(dir);
  ASSERT_EQ(third.problems().size(), 3u);
  EXPECT_EQ(third.problems()[1].path, unknown);
  EXPECT_EQ(third.problems()[1].reason, kNotExamined);
}

TEST(PluginRegistry, ALibraryTouchedOrReplacedIsExaminedAgain) {
  PrivateCache cache;
  test::TempDir tmp;
  const fs::path dir = tmp.path() / "plugins";
  const fs::path touched = copy_fixture("fixture_steps", dir);
  const fs::path replaced = copy_fixture("newer_minor", dir, "libreplaced.so");
  const fs::path kept = copy_fixture("idle_steps", dir);
  {
    PluginRegistry registry;
    registry.load_directory(dir);
    ASSERT_EQ(registry.plugins().size(), 3u);
  }
  fs::last_write_time(touched, fs::last_write_time(touched) + std::chrono::seconds(1));
  copy_fixture("throwing_factory", dir, "libreplaced.so");

  ScopedEnv no_scanner("ROACHRUN_PLUGIN_SCANNER", kNoScanner);
  PluginRegistry registry;
  registry.load_directory(dir);
  ASSERT_EQ(registry.plugins().size(), 1u);
  EXPECT_EQ(registry.plugins()[0].path, kept);
  ASSERT_EQ(registry.problems().size(), 2u);
  EXPECT_EQ(registry.problems()[0].path, touched);
  EXPECT_EQ(registry.problems()[0].reason, kNotExamined);
  EXPECT_EQ(registry.problems()[1].path, replaced);
  EXPECT_EQ(registry.problems()[1].reason, kNotExamined);
}

TEST(PluginRegistry, ATimeoutIsNotCached) {
  PrivateCache cache;
  test::TempDir tmp;
  const fs::path dir = tmp.path() / "plugins";
  const fs::path hang = copy_fixture("init_hang", dir);
  const fs::path good = copy_fixture("fixture_steps", dir);
  {
    PluginRegistry registry;
    registry.load_directory(dir);
    ASSERT_EQ(registry.problems().size(), 1u);
    EXPECT_EQ(registry.problems()[0].path, hang);
    EXPECT_EQ(registry.problems()[0].reason.rfind("did not finish loading within ", 0), 0u)
        << registry.problems()[0].reason;
  }
  const nlohmann::json cached = cache.read();
  EXPECT_TRUE(cached["libraries"].contains(fs::canonical(good).string()));
  EXPECT_FALSE(cached["libraries"].contains(fs::canonical(hang).string())) << cached.dump(1);

  ScopedEnv no_scanner("ROACHRUN_PLUGIN_SCANNER", kNoScanner);
  PluginRegistry again;
  again.load_directory(dir);
  ASSERT_EQ(again.problems().size(), 1u);
  EXPECT_EQ(again.problems()[0].path, hang);
  EXPECT_EQ(again.problems()[0].reason, kNotExamined) << "the timeout was remembered";
  EXPECT_EQ(again.plugins().size(), 1u);
}

// A cache file that is not what roachrun writes, or that another roachrun wrote, is not believed:
// every library is examined, and the file rewritten.
TEST(PluginRegistry, ACorruptOrForeignCacheIsIgnoredAndRewritten) {
  PrivateCache cache;
  test::TempDir tmp;
  const fs::path dir = tmp.path() / "plugins";
  const fs::path good = copy_fixture("fixture_steps", dir);
  const auto key = library_key(good);
  ASSERT_TRUE(key);
  nlohmann::json lie = {{"size", key->size}, {"mtime_ns", key->mtime_ns},
                        {"examination", {{"problem", "a lie in the cache"}, {"definitive", true}}}};
  nlohmann::json foreign = {{"format", 1}, {"host", {{"roachrun", "0.0.1"}, {"abi", {1, 2, 3}}}},
                            {"libraries", {{key->path, lie}}}};
  for (const std::string& content : {std::string("{\"format\": 1, \"libr"), std::string("[1, 2, 3]"),
                                     std::string("\x7f" "ELF garbage\n"), foreign.dump()}) {
    fs::create_directories(cache.file().parent_path());
    std::ofstream(cache.file(), std::ios::binary) << content;
    PluginRegistry registry;
    registry.load_directory(dir);
    EXPECT_TRUE(registry.problems().empty()) << content << ": " << registry.problems()[0].reason;
    ASSERT_EQ(registry.plugins().size(), 1u) << content;
    const nlohmann::json rewritten = cache.read();
    ASSERT_TRUE(rewritten.is_object()) << content;
    EXPECT_EQ(rewritten["libraries"][key->path]["examination"]["name"], "fixture") << content;
    EXPECT_NE(rewritten["host"]["roachrun"], "0.0.1");
  }
}

TEST(PluginRegistry, ACacheThatCannotBeWrittenOrNoCacheAtAllStillLoads) {
  test::TempDir tmp;
  const fs::path dir = tmp.path() / "plugins";
  copy_fixture("fixture_steps", dir);
  copy_fixture("init_exit", dir);
  const std::string not_a_directory = tmp.write("a-file", "XDG_CACHE_HOME points at a file\n");
  for (const auto& [xdg, home] : std::vector<std::pair<std::optional<std::string>, std::optional<std::string>>>{
           {not_a_directory, std::nullopt}, {std::nullopt, std::nullopt}, {std::string("relative/dir"), std::nullopt}}) {
    ScopedEnv xdg_env("XDG_CACHE_HOME", xdg);
    ScopedEnv home_env("HOME", home);
    PluginRegistry registry;
    registry.load_directory(dir);
    EXPECT_EQ(registry.plugins().size(), 1u) << xdg.value_or("(unset)");
    ASSERT_EQ(registry.problems().size(), 1u) << xdg.value_or("(unset)");
    EXPECT_EQ(registry.problems()[0].reason, "its initializer called exit(7) while being examined");
  }
}

// --- the search path ----------------------------------------------------------------------------

fs::path bundled_dir() {
  return fs::read_symlink("/proc/self/exe").parent_path().parent_path() / "lib" / "roachrun" / "plugins";
}

TEST(PluginSearchPath, PluginDirsThenEnvironmentThenBesideTheExecutable) {
  ScopedEnv env("ROACHRUN_PLUGIN_PATH", std::string("/env/one::/env/two:"));
  EXPECT_EQ(plugin_search_path({"/cli/a", "/cli/b"}),
            (std::vector<fs::path>{"/cli/a", "/cli/b", "/env/one", "/env/two", bundled_dir()}));
}

TEST(PluginSearchPath, LeadingColonAndSingleEntry) {
  ScopedEnv env("ROACHRUN_PLUGIN_PATH", std::string(":/only"));
  EXPECT_EQ(plugin_search_path({}), (std::vector<fs::path>{"/only", bundled_dir()}));
}

TEST(PluginSearchPath, WithoutEnvironment) {
  ScopedEnv env("ROACHRUN_PLUGIN_PATH", std::nullopt);
  EXPECT_EQ(plugin_search_path({"/cli/a"}), (std::vector<fs::path>{"/cli/a", bundled_dir()}));
  EXPECT_EQ(plugin_search_path({}), std::vector<fs::path>{bundled_dir()});
}

TEST(PluginSearchPath, EmptyEnvironment) {
  ScopedEnv env("ROACHRUN_PLUGIN_PATH", std::string(""));
  EXPECT_EQ(plugin_search_path({}), std::vector<fs::path>{bundled_dir()});
}

TEST(PluginSearchPath, BesideTheExecutableIsWhereTheBuildPutsTheBundledPlugins) {
  ScopedEnv env("ROACHRUN_PLUGIN_PATH", std::nullopt);
  auto dirs = plugin_search_path({});
  ASSERT_EQ(dirs.size(), 1u);
  EXPECT_EQ(fs::weakly_canonical(dirs[0]), fs::weakly_canonical(ROACHRUN_PLUGIN_DIR));
}

}  // namespace
}  // namespace roachrun
