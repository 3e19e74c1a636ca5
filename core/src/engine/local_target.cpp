// The `local` target: a throwaway PostgreSQL started on the first connection. Secure, it is the
// tutorial's secure cluster: TLS with the node certificate, and every TCP connection
// authenticated by a client certificate signed by the CA (pg_hba `hostssl ... cert`); no
// password and no plaintext connection is accepted.
#include <filesystem>
#include <mutex>
#include <ostream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "engine/local_target.hpp"
#include "engine/plugin_registry.hpp"
#include "engine/scenario_validator.hpp"
#include "engine/target.hpp"
#include "roachrun/error.hpp"

namespace roachrun {

namespace fs = std::filesystem;

namespace {

// A StepContext for the steps the target runs itself (creating certificates): no connections,
// nothing printed.
class SetupContext final : public StepContext {
 public:
  explicit SetupContext(spdlog::logger& log) : log_(log) {}
  Connection& connection() override { throw StepError("target setup steps have no connection"); }
  Connection& connection(std::string_view) override { return connection(); }
  std::vector<std::pair<std::string, std::string>> connection_options(std::string_view) const override { return {}; }
  const std::map<std::string, std::string, std::less<>>& vars() const override { return vars_; }
  std::ostream& out() override { return sink_; }
  spdlog::logger& log() override { return log_; }
  const std::atomic<bool>& interrupted() const override { return interrupted_; }
  RetryPolicy retry_policy() const override { return {}; }
  std::string_view step_name() const override { return "local target setup"; }
  std::string_view scenario_file() const override { return ""; }

 protected:
  void add_transaction_stats(const TransactionStats&) override {}

 private:
  spdlog::logger& log_;
  std::map<std::string, std::string, std::less<>> vars_;
  std::ostringstream sink_;
  std::atomic<bool> interrupted_{false};
};

class LocalTarget final : public Target {
 public:
  LocalTarget(TargetDef def, spdlog::logger& log, const PluginRegistry* registry)
      : def_(std::move(def)), log_(log), registry_(registry) {
    if (def_.secure) {
      // The tutorial's layout, relative to the working directory as `cockroach cert` uses it.
      if (def_.certs_dir.empty()) def_.certs_dir = "certs";
      if (def_.ca_key.empty()) def_.ca_key = "my-safe-directory/ca.key";
    }
  }

  LibpqOptions options_for(const ConnectionDef& c) const override {
    const LocalServer& s = server();
    LibpqOptions base = {{"host", s.host()}, {"port", std::to_string(s.port())}};
    if (!def_.secure) base.emplace_back("sslmode", "disable");
    return apply_connection(std::move(base), c, def_);
  }

  std::string describe() const override {
    std::string what = def_.secure ? "local secure PostgreSQL (TLS, client certificates)" : "local PostgreSQL";
    std::lock_guard lock(mutex_);
    return server_ ? what + " on " + server_->host() + ":" + std::to_string(server_->port()) : what;
  }

 private:
  const LocalServer& server() const {
    std::lock_guard lock(mutex_);
    if (!server_) server_ = LocalServer::start(def_.secure ? secure_options() : LocalServerOptions{}, log_);
    return *server_;
  }

  // Runs a certs plugin step as the tutorial's "Before you begin" would run `cockroach cert`.
  void run_certs_step(const std::string& type, Value params) const {
    auto step = registry_ ? registry_->find(type) : nullptr;
    if (!step)
      throw ConnectError("local", "the secure local target creates its certificates with the certs plugin, and " +
                                      type + " is not loaded (see `roachrun plugins`)");
    SetupContext context(log_);
    try {
      step->type.run(context, params_with_defaults(step->type, std::move(params)));
    } catch (const Error& e) {
      throw ConnectError("local", "cannot prepare the secure local target: " + std::string(e.what()));
    }
  }

  LocalServerOptions secure_options() const {
    const fs::path certs = def_.certs_dir;
    const Value common = {{"certs_dir", def_.certs_dir}, {"ca_key", def_.ca_key}};
    if (!fs::exists(certs / "ca.crt")) {
      log_.info("creating the CA: {} and {} (as cockroach cert create-ca)", (certs / "ca.crt").string(), def_.ca_key);
      run_certs_step("certs.create_ca", common);
    }
    if (!fs::exists(certs / "node.crt") || !fs::exists(certs / "node.key")) {
      log_.info("creating the node certificate {} (as cockroach cert create-node localhost 127.0.0.1)",
                (certs / "node.crt").string());
      Value p = common;
      p["hosts"] = Value::array({"localhost", "127.0.0.1"});
      run_certs_step("certs.create_node", p);
    }
    if (!fs::exists(certs / "client.root.crt") || !fs::exists(certs / "client.root.key")) {
      log_.info("creating the root client certificate {} (as cockroach cert create-client root)",
                (certs / "client.root.crt").string());
      Value p = common;
      p["user"] = "root";
      run_certs_step("certs.create_client", p);
    }
    return secure_local_server_options(def_.certs_dir);
  }

  TargetDef def_;
  spdlog::logger& log_;
  const PluginRegistry* registry_;
  mutable std::mutex mutex_;
  mutable std::unique_ptr<LocalServer> server_;
};

}  // namespace

LocalServerOptions secure_local_server_options(const std::string& certs_dir) {
  const fs::path certs = certs_dir;
  LocalServerOptions options;
  // Copied into the data directory: the server runs as another user and must own its key.
  options.files = {{certs / "node.crt", "server.crt"}, {certs / "node.key", "server.key"}, {certs / "ca.crt", "root.crt"}};
  options.settings = {{"ssl", "on"}, {"ssl_cert_file", "server.crt"}, {"ssl_key_file", "server.key"},
                      {"ssl_ca_file", "root.crt"}};
  // Only TLS with a client certificate whose CN is the user: like a secure CockroachDB node.
  options.hba = {"hostssl all all 127.0.0.1/32 cert"};
  return options;
}

std::unique_ptr<Target> make_local_target(const TargetDef& def, spdlog::logger& log, const PluginRegistry* registry) {
  return std::make_unique<LocalTarget>(def, log, registry);
}

}  // namespace roachrun
