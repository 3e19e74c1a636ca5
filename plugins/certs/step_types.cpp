#include "step_types.hpp"

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/logger.h>

#include <roachrun/error.hpp>
#include <roachrun/params.hpp>
#include <roachrun/step.hpp>

#include "ca_provider.hpp"
#include "cert_names.hpp"
#include "cert_ops.hpp"

namespace roachrun_certs {
namespace {

using roachrun::ParamError;
using roachrun::Params;
using roachrun::ParamSpec;
using roachrun::ParamType;
using roachrun::StepType;

// --- Parameters shared by the three step types --------------------------------------------

ParamSpec certs_dir_param(std::string doc) { return roachrun::required_param("certs_dir", ParamType::string, std::move(doc)); }

ParamSpec ca_key_param(std::string doc) { return roachrun::required_param("ca_key", ParamType::string, std::move(doc)); }

ParamSpec overwrite_param() {
  return roachrun::optional_param("overwrite", ParamType::boolean,
                        "replace files that already exist (default false: an existing file is an error)", false);
}

ParamSpec key_size_param() {
  ParamSpec p = roachrun::optional_param("key_size", ParamType::integer,
                               "RSA key size in bits (default 2048, as cockroach cert; 2048 to 8192)", roachrun::kDefaultCertKeyBits);
  p.min = kMinKeyBits;
  p.max = kMaxKeyBits;
  return p;
}

// The lifetime defaults, as written in the ParamSpecs and as values.
constexpr const char* kCaLifetimeText = "87600h";
constexpr const char* kCertLifetimeText = "43800h";

ParamSpec lifetime_param(const char* default_text, std::string doc) {
  return roachrun::optional_param("lifetime", ParamType::duration, std::move(doc), default_text);
}

// The lifetime in milliseconds. A value from the scenario arrives converted; the default may
// arrive as the ParamSpec's own text ("87600h") when the core passes default_value through
// unconverted, so exactly that text maps to the constant it stands for. Anything else goes
// through Params::duration, which fails loudly on a value that is not milliseconds.
std::chrono::milliseconds lifetime_of(const Params& p, const char* default_text, std::chrono::milliseconds value) {
  const roachrun::Value& v = p.raw("lifetime");
  if (v.is_string() && v.get<std::string>() == default_text) return value;
  return p.duration("lifetime");
}

// --- Checks (validation time, before any step runs) -----------------------------------------

void check_paths(const Params& p) {
  for (const char* name : {"certs_dir", "ca_key"}) {
    if (p.has(name) && p.string(name).empty()) throw ParamError(name, std::string(name) + " is empty");
  }
}

void check_lifetime(const Params& p, const char* default_text, std::chrono::milliseconds value) {
  if (p.has("lifetime") && lifetime_of(p, default_text, value) < std::chrono::seconds(1)) {
    throw ParamError("lifetime", "lifetime must be at least 1s");
  }
}

void check_ca(const Params& p) {
  check_paths(p);
  check_lifetime(p, kCaLifetimeText, roachrun::kDefaultCaLifetime);
}

void check_node(const Params& p) {
  check_paths(p);
  check_lifetime(p, kCertLifetimeText, roachrun::kDefaultCertLifetime);
  if (!p.has("hosts")) return;
  const auto hosts = p.strings("hosts");
  if (hosts.empty()) throw ParamError("hosts", "hosts is empty; list at least one host name or IP address");
  for (const auto& host : hosts) {
    if (auto problem = host_problem(host)) throw ParamError("hosts", *problem);
  }
}

void check_client(const Params& p) {
  check_paths(p);
  check_lifetime(p, kCertLifetimeText, roachrun::kDefaultCertLifetime);
  if (!p.has("user")) return;
  if (auto problem = user_name_problem(p.string("user"))) throw ParamError("user", *problem);
}

// --- Running ------------------------------------------------------------------------------------

void log_created(roachrun::StepContext& ctx, const std::vector<std::filesystem::path>& files) {
  std::string list;
  for (const auto& f : files) list += (list.empty() ? "" : ", ") + f.string();
  ctx.log().info("created {}", list);
}

void run_create_ca(roachrun::StepContext& ctx, const Params& p) {
  CaRequest request{.certs_dir = p.string("certs_dir"),
                    .ca_key = p.string("ca_key"),
                    .key_bits = static_cast<int>(p.integer("key_size")),
                    .lifetime = lifetime_of(p, kCaLifetimeText, roachrun::kDefaultCaLifetime),
                    .overwrite = p.boolean("overwrite")};
  log_created(ctx, certificate_authority().create_ca(request));
}

void run_create_node(roachrun::StepContext& ctx, const Params& p) {
  NodeCertRequest request{.certs_dir = p.string("certs_dir"),
                          .ca_key = p.string("ca_key"),
                          .hosts = p.strings("hosts"),
                          .key_bits = static_cast<int>(p.integer("key_size")),
                          .lifetime = lifetime_of(p, kCertLifetimeText, roachrun::kDefaultCertLifetime),
                          .overwrite = p.boolean("overwrite")};
  log_created(ctx, certificate_authority().create_node(request));
}

void run_create_client(roachrun::StepContext& ctx, const Params& p) {
  ClientCertRequest request{.certs_dir = p.string("certs_dir"),
                            .ca_key = p.string("ca_key"),
                            .user = p.string("user"),
                            .key_bits = static_cast<int>(p.integer("key_size")),
                            .lifetime = lifetime_of(p, kCertLifetimeText, roachrun::kDefaultCertLifetime),
                            .overwrite = p.boolean("overwrite")};
  log_created(ctx, certificate_authority().create_client(request));
}

const char* const kSignedCaKeyDoc = "path of the CA key that signed <certs_dir>/ca.crt (must be mode 0600)";

StepType create_ca_type() {
  return {.name = "create_ca",
          .doc = "Creates a self-signed CA: <certs_dir>/ca.crt and its key at ca_key (cockroach cert create-ca)",
          .params = {certs_dir_param("directory that gets ca.crt; created with mode 0700 if missing"),
                     ca_key_param("path of the new CA key, mode 0600; keep it outside certs_dir"), overwrite_param(),
                     key_size_param(),
                     lifetime_param(kCaLifetimeText, "how long the CA certificate is valid (default 87600h = 10 years, "
                                              "as cockroach cert create-ca)")},
          .run = run_create_ca,
          .check = check_ca};
}

StepType create_node_type() {
  return {.name = "create_node",
          .doc = "Creates node.crt/node.key in certs_dir, signed by the CA, for the given hosts "
                 "(cockroach cert create-node)",
          .params = {certs_dir_param("directory that holds ca.crt and gets node.crt and node.key"),
                     ca_key_param(kSignedCaKeyDoc),
                     roachrun::optional_param("hosts", ParamType::string_list,
                                    "host names and IP addresses (v4 or v6) clients use to reach the node; each "
                                    "becomes a subjectAltName (default [localhost, 127.0.0.1])",
                                    roachrun::Value::array({"localhost", "127.0.0.1"})),
                     overwrite_param(), key_size_param(),
                     lifetime_param(kCertLifetimeText, "how long the certificate is valid (default 43800h = 5 years, as "
                                              "cockroach cert create-node); must end before the CA's")},
          .run = run_create_node,
          .check = check_node};
}

StepType create_client_type() {
  return {.name = "create_client",
          .doc = "Creates client.<user>.crt/.key in certs_dir, signed by the CA, for a SQL user "
                 "(cockroach cert create-client)",
          .params = {certs_dir_param("directory that holds ca.crt and gets client.<user>.crt and .key"),
                     ca_key_param(kSignedCaKeyDoc),
                     roachrun::required_param("user", ParamType::string,
                                    "SQL user the certificate authenticates (its CN); no '/', no whitespace"),
                     overwrite_param(), key_size_param(),
                     lifetime_param(kCertLifetimeText, "how long the certificate is valid (default 43800h = 5 years, as "
                                              "cockroach cert create-client); must end before the CA's")},
          .run = run_create_client,
          .check = check_client};
}

}  // namespace

roachrun::PluginInfo describe() {
  return {.name = "certs",
          .doc = "CockroachDB-style TLS certificates (CA, node, client), as cockroach cert makes them",
          .step_types = {create_ca_type(), create_node_type(), create_client_type()},
          .certificate_authority = certificate_authority()};
}

}  // namespace roachrun_certs
