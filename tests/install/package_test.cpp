// The Debian package, short of installing it into /usr (scripts/package.sh --install does that):
// CPack builds it, its control data names the runtime dependencies, and its contents, unpacked
// into a temporary directory (a relocated /usr), run: the packaged plugins, stripped as
// distributions strip, load.
#include <gtest/gtest.h>

#include <filesystem>

#include "roachrun/sdk_version.hpp"  // ROACHRUN_VERSION
#include "roachrun/version.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"

namespace roachrun::test {
namespace {

namespace fs = std::filesystem;

TEST(Package, DebHasItsDependenciesAndWorkingPlugins) {
  TempDir tmp;
  auto cpack = run_program(ROACHRUN_CPACK_COMMAND, {"-G", "DEB", "--config", std::string(ROACHRUN_BINARY_DIR) +
                                                                                 "/CPackConfig.cmake",
                                                    "-B", tmp.path().string()});
  ASSERT_EQ(cpack.exit_code, 0) << cpack.out << cpack.err;
  fs::path deb;
  for (const auto& e : fs::directory_iterator(tmp.path()))
    if (e.path().extension() == ".deb") deb = e.path();
  ASSERT_FALSE(deb.empty()) << cpack.out;
  EXPECT_EQ(deb.filename().string().rfind("roachrun_", 0), 0u) << deb;

  auto depends = run_program("/usr/bin/dpkg-deb", {"--field", deb.string(), "Depends", "Recommends"});
  ASSERT_EQ(depends.exit_code, 0) << depends.err;
  for (const char* dep : {"libpq5", "libyaml-cpp0.7", "libspdlog1.10", "libfmt9", "libssl3", "Recommends: postgresql-15",
                          "postgresql-15-auto-failover", "pg-auto-failover-cli"})
    EXPECT_NE(depends.out.find(dep), std::string::npos) << dep << "\n" << depends.out;

  const fs::path root = tmp.path() / "root";
  auto extract = run_program("/usr/bin/dpkg-deb", {"-x", deb.string(), root.string()});
  ASSERT_EQ(extract.exit_code, 0) << extract.err;
  const std::string sdk_library = "usr/lib/libroachrun_sdk.so." + std::to_string(kSdkVersionMajor);
  for (const std::string& file : {std::string("usr/bin/roachrun"), std::string("usr/libexec/roachrun/roachrun-plugin-scanner"),
                                  sdk_library,
                                  std::string("usr/lib/roachrun/plugins/libroachrun_bank.so"),
                                  std::string("usr/include/roachrun/roachrun.hpp"),
                                  std::string("usr/lib/cmake/roachrun/roachrun-config.cmake"),
                                  std::string("usr/share/roachrun/scenarios/bank-insecure.yaml")})
    EXPECT_TRUE(fs::exists(root / file)) << file;
  EXPECT_EQ(deb.filename().string().rfind("roachrun_" ROACHRUN_VERSION "_", 0), 0u) << deb;
  EXPECT_EQ(read_file(root / "usr/lib/roachrun/plugins/libroachrun_bank.so").find(std::string("\0.symtab\0", 9)), std::string::npos)
      << "the packaged plugins keep their full symbol table: the run below would not show stripped ones load";
  auto plugins = run_program((root / "usr/bin/roachrun").string(), {"plugins"}, {{"ROACHRUN_PLUGIN_PATH", ""}}, "/");
  EXPECT_EQ(plugins.exit_code, 0) << plugins.out << plugins.err;
  for (const char* step : {"sql.exec", "admin.grant", "bank.transfer", "certs.create_client", "nodes.show", "exec.run",
                          "time.sleep"})
    EXPECT_NE(plugins.out.find(step), std::string::npos) << step << "\n" << plugins.out;
}

}  // namespace
}  // namespace roachrun::test
