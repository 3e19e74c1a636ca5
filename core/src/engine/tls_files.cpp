#include "engine/tls_files.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>

#include "roachrun/error.hpp"

namespace roachrun {

namespace fs = std::filesystem;

namespace {

std::string get(const LibpqOptions& options, const std::string& key) {
  for (const auto& [k, v] : options)
    if (k == key) return v;
  return {};
}

void set_if_absent(LibpqOptions& options, const std::string& key, const std::string& value) {
  if (get(options, key).empty()) {
    std::erase_if(options, [&](const auto& kv) { return kv.first == key; });
    options.emplace_back(key, value);
  }
}

std::string endpoint(const LibpqOptions& options) {
  std::string host = get(options, "host"), port = get(options, "port");
  return (host.empty() ? "localhost" : host) + ":" + (port.empty() ? "5432" : port);
}

}  // namespace

void apply_certs_dir(LibpqOptions& options, const std::string& certs_dir, const std::string& user) {
  const fs::path dir = certs_dir.empty() ? fs::path("certs") : fs::path(certs_dir);
  set_if_absent(options, "sslmode", "verify-full");
  set_if_absent(options, "sslrootcert", (dir / "ca.crt").string());
  set_if_absent(options, "sslcert", (dir / ("client." + user + ".crt")).string());
  set_if_absent(options, "sslkey", (dir / ("client." + user + ".key")).string());
}

void check_tls_files(const LibpqOptions& options, const std::string& connection_name) {
  const std::string sslmode = get(options, "sslmode");
  if (sslmode == "disable") return;
  const std::string user = get(options, "user");
  const std::string where = "connection '" + connection_name + "' (user '" + user + "') to " + endpoint(options);
  auto require_file = [&](const std::string& key, const std::string& what, const std::string& fix) {
    const std::string path = get(options, key);
    if (path.empty()) return;
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      const fs::path dir = fs::path(path).parent_path();
      std::string problem = dir.empty() || fs::is_directory(dir, ec)
                                ? what + " " + path + " does not exist"
                                : "certificate directory " + dir.string() + " does not exist (looking for " + path + ")";
      throw ConnectError(endpoint(options), "cannot open " + where + ": " + problem + "\n  hint: " + fix);
    }
  };
  require_file("sslrootcert", "CA certificate", "put the cluster's ca.crt there (cockroach cert create-ca, or "
                                                "certs.create_ca), or point target.certs_dir at the directory holding it");
  require_file("sslcert", "client certificate",
               "create it: certs.create_client {user: " + user + "} in the scenario, or cockroach cert create-client " +
                   user + " --certs-dir=<certs_dir> --ca-key=<ca.key>");
  require_file("sslkey", "client key",
               "it is written next to the client certificate by certs.create_client / cockroach cert create-client");
  const std::string key = get(options, "sslkey");
  struct stat st{};
  if (!key.empty() && stat(key.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw ConnectError(endpoint(options), "refusing to use the private key " + key + " for " + where +
                                              ": it is readable by group or others (mode " + mode +
                                              ")\n  hint: run chmod 600 " + key);
  }
}

}  // namespace roachrun
