// engine/local_target.cpp: where the secure local target gets its certificates from. The
// certificates themselves and the TLS server are tested in plugins/certs/tests and
// tests/integration/secure_test.cpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "engine/plugin_registry.hpp"
#include "engine/target.hpp"
#include "fixture_plugins.hpp"
#include "roachrun/error.hpp"
#include "support/temp_dir.hpp"

namespace roachrun {
namespace {

namespace fs = std::filesystem;

spdlog::logger& quiet_log() {
  static spdlog::logger log("local-target-test", std::make_shared<spdlog::sinks::null_sink_mt>());
  return log;
}

TargetDef secure_local(const fs::path& root) {
  TargetDef def;
  def.url = "local";
  def.secure = true;
  def.certs_dir = (root / "certs").string();
  def.ca_key = (root / "safe" / "ca.key").string();
  return def;
}

// What the first connection to the target says, "" if it succeeded.
std::string first_connect_error(const Target& target) {
  ConnectionDef root;
  root.name = "root";
  root.user = "root";
  root.database = "defaultdb";
  try {
    target.options_for(root);
  } catch (const ConnectError& e) {
    return e.what();
  }
  return "";
}

TEST(LocalTarget, SecureWithoutACertificateAuthorityNamesThePluginAndWhereItWasSearched) {
  test::TempDir tmp;
  const fs::path plugin_dir = tmp.path() / "plugins";
  fs::create_directories(plugin_dir);
  PluginRegistry registry;
  registry.load_directory(plugin_dir);  // searched, and empty
  ASSERT_EQ(registry.certificate_authority(), nullptr);

  const TargetDef def = secure_local(tmp.path());
  auto target = open_target(def, quiet_log(), &registry);
  const std::string err = first_connect_error(*target);
  EXPECT_NE(err.find("the secure local target creates its certificates in " + def.certs_dir), std::string::npos)
      << err;
  EXPECT_NE(err.find("install the certs plugin (libroachrun_certs.so)"), std::string::npos) << err;
  EXPECT_NE(err.find("(searched: " + plugin_dir.string() + "; see `roachrun plugins`)"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(def.certs_dir)) << "nothing is created without a certificate authority";
  EXPECT_EQ(target->describe(), "local secure PostgreSQL (TLS, client certificates)") << "no server was started";
}

TEST(LocalTarget, SecureWithoutARegistrySaysNothingWasSearched) {
  test::TempDir tmp;
  auto target = open_target(secure_local(tmp.path()), quiet_log(), nullptr);
  const std::string err = first_connect_error(*target);
  EXPECT_NE(err.find("install the certs plugin"), std::string::npos) << err;
  EXPECT_NE(err.find("(searched: none;"), std::string::npos) << err;
}

TEST(LocalTarget, ABrokenAuthorityIsReportedAsTargetSetupFailure) {
  // A CA key that is a directory: the real certs plugin refuses to write there, and the target
  // passes its message on instead of starting a server without certificates.
  test::TempDir tmp;
  PluginRegistry registry;
  registry.load_directory(ROACHRUN_PLUGIN_DIR);
  ASSERT_NE(registry.certificate_authority(), nullptr);
  TargetDef def = secure_local(tmp.path());
  fs::create_directories(def.ca_key);
  auto target = open_target(def, quiet_log(), &registry);
  const std::string err = first_connect_error(*target);
  EXPECT_EQ(err.rfind("cannot prepare the secure local target: ", 0), 0u) << err;
  EXPECT_NE(err.find(def.ca_key), std::string::npos) << err;
}

TEST(PluginRegistry, TheBundledCertsPluginProvidesTheCertificateAuthority) {
  PluginRegistry registry;
  registry.load_directory(ROACHRUN_PLUGIN_DIR);
  auto ca = registry.certificate_authority();
  ASSERT_NE(ca, nullptr);
  EXPECT_EQ(ca->plugin, "certs");
  EXPECT_TRUE(ca->authority.create_ca && ca->authority.create_node && ca->authority.create_client);
}

TEST(PluginRegistry, APluginWithoutOneProvidesNoCertificateAuthority) {
  PluginRegistry registry;
  ASSERT_TRUE(registry.load_library(test::fixture_plugin("fixture_steps")));
  EXPECT_EQ(registry.certificate_authority(), nullptr);
}

}  // namespace
}  // namespace roachrun
