// engine/plugin_cache.hpp: where the cache lives, what it keeps, and several writers at once.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "engine/plugin_cache.hpp"
#include "roachrun/sdk_version.hpp"  // ROACHRUN_VERSION
#include "support/scoped_env.hpp"
#include "support/temp_dir.hpp"

namespace roachrun {
namespace {

namespace fs = std::filesystem;
using test::ScopedEnv;

Examination ok_plugin(const std::string& name) {
  Examination e;
  e.name = name;
  e.doc = "a plugin called " + name;
  e.step_types = {"one", "two"};
  return e;
}

TEST(PluginCache, LivesUnderXdgCacheHomeElseHomeElseNowhere) {
  const std::string prefix = std::string("plugins-") + ROACHRUN_VERSION + "-";
  {
    ScopedEnv xdg("XDG_CACHE_HOME", std::string("/xdg/cache"));
    ScopedEnv home("HOME", std::string("/home/someone"));
    auto file = PluginCache::default_file();
    ASSERT_TRUE(file);
    EXPECT_EQ(file->parent_path(), fs::path("/xdg/cache/roachrun"));
    EXPECT_EQ(file->filename().string().rfind(prefix, 0), 0u) << *file;
    EXPECT_EQ(file->extension(), ".json");
  }
  for (const std::optional<std::string>& xdg : {std::optional<std::string>(), std::optional<std::string>(""),
                                                std::optional<std::string>("relative/cache")}) {
    ScopedEnv xdg_env("XDG_CACHE_HOME", xdg);  // unset, empty or relative: ignored, as the XDG spec says
    ScopedEnv home("HOME", std::string("/home/someone"));
    auto file = PluginCache::default_file();
    ASSERT_TRUE(file);
    EXPECT_EQ(file->parent_path(), fs::path("/home/someone/.cache/roachrun")) << xdg.value_or("(unset)");
  }
  ScopedEnv xdg("XDG_CACHE_HOME", std::nullopt);
  ScopedEnv home("HOME", std::nullopt);
  EXPECT_FALSE(PluginCache::default_file());
}

TEST(PluginCache, KnowsALibraryByPathSizeAndMtime) {
  test::TempDir tmp;
  const fs::path lib = tmp.write("libx.so", "twelve bytes");
  const auto key = library_key(lib);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->path, fs::canonical(lib).string());
  EXPECT_EQ(key->size, 12u);
  // Through a symlink it is the same library.
  fs::create_symlink(lib, tmp.path() / "link.so");
  EXPECT_EQ(library_key(tmp.path() / "link.so"), key);
  EXPECT_FALSE(library_key(tmp.path() / "missing.so"));

  PluginCache cache(tmp.path() / "cache.json");
  cache.remember(*key, ok_plugin("x"));
  EXPECT_EQ(cache.find(*key)->name, "x");
  LibraryKey touched = *key;
  touched.mtime_ns += 1;
  EXPECT_FALSE(cache.find(touched));
  LibraryKey grown = *key;
  grown.size += 1;
  EXPECT_FALSE(cache.find(grown));
}

TEST(PluginCache, KeepsOnlyDefinitiveExaminationsAcrossSaves) {
  test::TempDir tmp;
  const fs::path file = tmp.path() / "roachrun" / "cache.json";
  const auto good = library_key(tmp.write("libgood.so", "good"));
  const auto bad = library_key(tmp.write("libbad.so", "bad"));
  const auto slow = library_key(tmp.write("libslow.so", "slow"));
  {
    PluginCache cache(file);
    cache.remember(*good, ok_plugin("good"));
    cache.remember(*bad, Examination::refused("its initializer called exit(7) while being examined"));
    cache.remember(*slow, Examination::refused("did not finish loading within 1.0 s", false));
    EXPECT_FALSE(cache.find(*slow));
    cache.save();
  }
  PluginCache again(file);
  ASSERT_TRUE(again.find(*good));
  EXPECT_TRUE(again.find(*good)->ok());
  EXPECT_EQ(again.find(*good)->step_types, (std::vector<std::string>{"one", "two"}));
  ASSERT_TRUE(again.find(*bad));
  EXPECT_EQ(again.find(*bad)->problem, "its initializer called exit(7) while being examined");
  EXPECT_FALSE(again.find(*slow));
}

TEST(PluginCache, ALibraryGoneOrChangedIsDroppedAtTheNextSave) {
  test::TempDir tmp;
  const fs::path file = tmp.path() / "cache.json";
  const fs::path gone = tmp.write("libgone.so", "gone");
  const fs::path changed = tmp.write("libchanged.so", "changed");
  const auto gone_key = library_key(gone), changed_key = library_key(changed);
  {
    PluginCache cache(file);
    cache.remember(*gone_key, ok_plugin("gone"));
    cache.remember(*changed_key, ok_plugin("changed"));
    cache.save();
  }
  fs::remove(gone);
  tmp.write("libchanged.so", "changed, and longer");
  const auto other = library_key(tmp.write("libother.so", "other"));
  {
    PluginCache cache(file);
    cache.remember(*other, ok_plugin("other"));
    cache.save();
  }
  const std::string text = test::read_file(file);
  EXPECT_EQ(text.find("libgone.so"), std::string::npos) << text;
  EXPECT_EQ(text.find("libchanged.so"), std::string::npos) << text;
  EXPECT_NE(text.find("libother.so"), std::string::npos) << text;
}

// roachruns started at the same time each read the cache before any of them wrote it: each one's
// save merges with what the others saved, so no entry is lost, and no temporary file is left.
TEST(PluginCache, WritersAtTheSameTimeLoseNoEntry) {
  test::TempDir tmp;
  const fs::path file = tmp.path() / "roachrun" / "cache.json";
  constexpr int kWriters = 8;
  std::vector<LibraryKey> keys;
  for (int i = 0; i < kWriters; ++i) keys.push_back(*library_key(tmp.write("lib" + std::to_string(i) + ".so", "x")));
  std::vector<std::unique_ptr<PluginCache>> caches;
  for (int i = 0; i < kWriters; ++i) caches.push_back(std::make_unique<PluginCache>(file));
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i)
    writers.emplace_back([&, i] {
      caches[i]->remember(keys[i], ok_plugin("p" + std::to_string(i)));
      caches[i]->save();
    });
  for (auto& w : writers) w.join();

  PluginCache merged(file);
  for (int i = 0; i < kWriters; ++i) {
    ASSERT_TRUE(merged.find(keys[i])) << "lost the entry of writer " << i << "\n" << test::read_file(file);
    EXPECT_EQ(merged.find(keys[i])->name, "p" + std::to_string(i));
  }
  for (const auto& e : fs::directory_iterator(file.parent_path()))
    EXPECT_TRUE(e.path() == file || e.path().extension() == ".lock") << "left behind: " << e.path();
}

TEST(PluginCache, WithoutAFileItFindsAndKeepsNothing) {
  test::TempDir tmp;
  const auto key = library_key(tmp.write("libx.so", "x"));
  PluginCache none(std::nullopt);
  none.remember(*key, ok_plugin("x"));
  EXPECT_FALSE(none.find(*key));
  none.save();
  EXPECT_FALSE(none.file());
}

TEST(Examination, RoundTripsThroughJsonAndTheScannerLines) {
  Examination ok = ok_plugin("x");
  ok.certificate_authority = true;
  auto back = examination_from_json(to_json(ok));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->name, "x");
  EXPECT_EQ(back->doc, "a plugin called x");
  EXPECT_EQ(back->step_types, ok.step_types);
  EXPECT_TRUE(back->certificate_authority);
  EXPECT_TRUE(back->ok());

  const Examination bad = Examination::refused("failed to load: libfoo.so.1: cannot open shared object file", false);
  back = examination_from_json(to_json(bad));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->problem, bad.problem);
  EXPECT_FALSE(back->definitive);

  for (const char* wrong : {R"([])", R"({})", R"({"problem": ""})", R"({"problem": "x"})", R"({"name": "x"})",
                            R"({"name": "x", "doc": "", "step_types": [1], "certificate_authority": false})"})
    EXPECT_FALSE(examination_from_json(nlohmann::json::parse(wrong))) << wrong;
}

TEST(Examination, ScannerOutputSaysTheLastPhaseAndTheReport) {
  EXPECT_FALSE(parse_scanner_output("").phase);
  auto loading = parse_scanner_output(phase_line(OpenPhase::loading));
  EXPECT_EQ(loading.phase, OpenPhase::loading);
  EXPECT_FALSE(loading.report);

  // A library writing to the report's descriptor does not confuse it; a line cut short is no line.
  const std::string text = phase_line(OpenPhase::loading) + "garbage from a plugin\n{\"phase\": 3}\n" +
                           phase_line(OpenPhase::describing) + report_line(ok_plugin("x"));
  auto done = parse_scanner_output(text);
  EXPECT_EQ(done.phase, OpenPhase::describing);
  ASSERT_TRUE(done.report);
  EXPECT_EQ(done.report->name, "x");
  auto cut = parse_scanner_output(text.substr(0, text.size() - 5));
  EXPECT_EQ(cut.phase, OpenPhase::describing);
  EXPECT_FALSE(cut.report);
}

}  // namespace
}  // namespace roachrun
