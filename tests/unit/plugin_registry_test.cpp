// engine/plugin_registry.hpp: finding, refusing and keeping plugin libraries, with the fixture
// plugins of tests/fixtures/plugins/.
#include <dlfcn.h>
#include <stdlib.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/dll/shared_library.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "engine/plugin_registry.hpp"
#include "fixture_plugins.hpp"
#include "roachrun/error.hpp"
#include "roachrun/testing.hpp"
#include "roachrun/version.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"

namespace roachrun {
namespace {

namespace fs = std::filesystem;

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// Sets an environment variable for the scope of one test and restores it after.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::optional<std::string>& value) : name_(std::move(name)) {
    if (const char* old = getenv(name_.c_str())) old_ = old;
    if (value) setenv(name_.c_str(), value->c_str(), 1);
    else unsetenv(name_.c_str());
  }
  ~ScopedEnv() {
    if (old_) setenv(name_.c_str(), old_->c_str(), 1);
    else unsetenv(name_.c_str());
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

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
