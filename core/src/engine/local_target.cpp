// The `local` target: a throwaway PostgreSQL started on the first connection, or with `nodes:`
// of 2 or more a throwaway pg_auto_failover formation, its nodes the target's host list. Node
// control (the nodes plugin) stops and starts either: the server on the same port, so the
// connection options below stay true. Secure,
// it is the tutorial's secure cluster: TLS with the node certificate, and every TCP connection
// authenticated by a client certificate signed by the CA (pg_hba `hostssl ... cert`); no
// password and no plaintext connection is accepted.
#include <exception>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "engine/caught_error.hpp"
#include "engine/local_formation.hpp"
#include "engine/local_target.hpp"
#include "engine/plugin_registry.hpp"
#include "engine/signals.hpp"
#include "engine/target.hpp"
#include "roachrun/certificate_authority.hpp"
#include "roachrun/error.hpp"

namespace roachrun {

namespace fs = std::filesystem;

namespace {

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
    LibpqOptions base;
    if (def_.nodes > 1) {
      const LocalFormation& f = started_formation();
      // libpq tries the nodes in order and keeps the one that takes writes, so every session
      // finds the primary, also after a failover (a connection may ask for another role).
      base = {{"host", host_list(f)}, {"port", port_list(f)}, {"target_session_attrs", "read-write"}};
    } else {
      const LocalServer& s = server();
      base = {{"host", s.host()}, {"port", std::to_string(s.port())}};
    }
    if (!def_.secure) base.emplace_back("sslmode", "disable");
    return apply_connection(std::move(base), c, def_);
  }

  std::string describe() const override {
    std::lock_guard lock(mutex_);
    if (def_.nodes > 1) {
      std::string what = std::string(def_.secure ? "local secure pg_auto_failover formation (TLS, client certificates)"
                                                 : "local pg_auto_failover formation") +
                         ", " + std::to_string(def_.nodes) + " nodes";
      return formation_ ? what + " on " + formation_->host() + ":" + port_list(*formation_) : what;
    }
    std::string what = def_.secure ? "local secure PostgreSQL (TLS, client certificates)" : "local PostgreSQL";
    return server_ ? what + " on " + server_->host() + ":" + std::to_string(server_->port()) : what;
  }

  LocalFormation* formation() const override { return def_.nodes > 1 ? &started_formation() : nullptr; }
  LocalServer* local_server() const override { return def_.nodes > 1 ? nullptr : &server(); }

 private:
  LocalServer& server() const {
    std::lock_guard lock(mutex_);
    if (!server_) {
      LocalServerOptions options = def_.secure ? secure_options() : LocalServerOptions{};
      options.interrupted = &Interrupts::instance().flag();
      server_ = LocalServer::start(options, log_);
    }
    return *server_;
  }

  LocalFormation& started_formation() const {
    std::lock_guard lock(mutex_);
    if (!formation_) {
      // LocalFormation::start says what to install when pg_auto_failover is missing.
      LocalFormationOptions options;
      options.nodes = def_.nodes;
      options.superuser = "root";
      options.databases = {"defaultdb"};
      if (def_.secure) {
        create_missing_certificates();
        options.certs_dir = def_.certs_dir;
      }
      options.interrupted = &Interrupts::instance().flag();
      formation_ = LocalFormation::start(options, log_);
    }
    return *formation_;
  }

  static std::string host_list(const LocalFormation& f) {
    std::string hosts;
    for (std::size_t i = 0; i < f.ports().size(); ++i) hosts += (i ? "," : "") + f.host();
    return hosts;
  }

  static std::string port_list(const LocalFormation& f) {
    std::string ports;
    for (const int port : f.ports()) ports += (ports.empty() ? "" : ",") + std::to_string(port);
    return ports;
  }

  // The certificate authority a plugin provides (the bundled certs plugin does), looked up only
  // when a certificate is missing: a secure target whose files all exist needs no plugin.
  const CertificateAuthority& authority() const {
    if (auto found = registry_ ? registry_->certificate_authority() : nullptr) return found->authority;
    std::string searched;
    if (registry_)
      for (const auto& dir : registry_->searched()) searched += (searched.empty() ? "" : ", ") + dir.string();
    throw ConnectError("local", "the secure local target creates its certificates in " + def_.certs_dir +
                                    " with a plugin that provides a certificate authority, and none is loaded: "
                                    "install the certs plugin (libroachrun_certs.so) in a plugin directory "
                                    "(searched: " + (searched.empty() ? "none" : searched) +
                                    "; see `roachrun plugins`), or create the certificates beforehand");
  }

  // Runs one operation of the authority, as the tutorial's "Before you begin" runs `cockroach cert`.
  template <typename Request>
  void create(const std::function<std::vector<fs::path>(const Request&)>& op, const Request& request) const {
    try {
      op(request);
    } catch (...) {
      // Plugin code: whatever it throws (a StepError, or `throw 42;`) is named, never fatal.
      const CaughtError caught = describe_current_exception();
      throw ConnectError("local", "cannot prepare the secure local target: " +
                                      (caught.message.empty() ? "the certificate authority threw " + caught.type
                                                              : caught.message));
    }
  }

  LocalServerOptions secure_options() const {
    create_missing_certificates();
    return secure_local_server_options(def_.certs_dir);
  }

  // What the tutorial's "Before you begin" creates with `cockroach cert`, where it is missing.
  void create_missing_certificates() const {
    const fs::path certs = def_.certs_dir;
    if (!fs::exists(certs / "ca.crt")) {
      log_.info("creating the CA: {} and {} (as cockroach cert create-ca)", (certs / "ca.crt").string(), def_.ca_key);
      create(authority().create_ca, CaRequest{.certs_dir = certs, .ca_key = def_.ca_key});
    }
    if (!fs::exists(certs / "node.crt") || !fs::exists(certs / "node.key")) {
      log_.info("creating the node certificate {} (as cockroach cert create-node localhost 127.0.0.1)",
                (certs / "node.crt").string());
      create(authority().create_node,
             NodeCertRequest{.certs_dir = certs, .ca_key = def_.ca_key, .hosts = {"localhost", "127.0.0.1"}});
    }
    if (!fs::exists(certs / "client.root.crt") || !fs::exists(certs / "client.root.key")) {
      log_.info("creating the root client certificate {} (as cockroach cert create-client root)",
                (certs / "client.root.crt").string());
      create(authority().create_client, ClientCertRequest{.certs_dir = certs, .ca_key = def_.ca_key, .user = "root"});
    }
  }

  TargetDef def_;
  spdlog::logger& log_;
  const PluginRegistry* registry_;
  mutable std::mutex mutex_;
  mutable std::unique_ptr<LocalServer> server_;
  mutable std::unique_ptr<LocalFormation> formation_;
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
