#include "engine/target.hpp"

#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <regex>

#include "engine/tls_files.hpp"
#include "roachrun/connection.hpp"
#include "roachrun/error.hpp"

namespace roachrun {

Target::~Target() = default;

namespace {

void set_option(LibpqOptions& options, const std::string& key, const std::string& value) {
  for (auto& [k, v] : options)
    if (k == key) {
      v = value;
      return;
    }
  options.emplace_back(key, value);
}

std::string get_option(const LibpqOptions& options, const std::string& key) {
  for (const auto& [k, v] : options)
    if (k == key) return v;
  return {};
}

}  // namespace

LibpqOptions apply_connection(LibpqOptions options, const ConnectionDef& c, const TargetDef& target) {
  // The implicit connection is the URL's own user and database, where it names them.
  const std::string url_user = get_option(options, "user");
  // Lower-cased as CockroachDB does (roachrun/connection.hpp, normalize_user_name), so the user
  // matches the admin steps' and its client certificate's name on either engine.
  const std::string user = normalize_user_name(c.implicit && !url_user.empty() ? url_user : c.user);
  const std::string database =
      c.implicit && !get_option(options, "dbname").empty() ? get_option(options, "dbname") : c.database;
  // A password in the target URL belongs to the URL's user only.
  if (!url_user.empty() && normalize_user_name(url_user) != user) set_option(options, "password", "");
  set_option(options, "user", user);
  set_option(options, "dbname", database);
  if (!c.password.empty()) set_option(options, "password", c.password);
  for (const auto& [k, v] : c.libpq) set_option(options, k, v);
  if (target.secure) {
    if (get_option(options, "sslmode") == "disable")
      throw ConnectError(get_option(options, "host") + ":" + get_option(options, "port"),
                         "connection '" + c.name + "' asks for sslmode=disable but the target is secure: remove "
                         "sslmode=disable (from the connection or the target URL) or set target.secure: false");
    apply_certs_dir(options, target.certs_dir, user);
  }
  if (get_option(options, "connect_timeout").empty()) set_option(options, "connect_timeout", "10");
  if (get_option(options, "application_name").empty()) set_option(options, "application_name", "roachrun");
  std::erase_if(options, [](const auto& kv) { return kv.second.empty(); });
  if (target.secure) check_tls_files(options, c.name);
  return options;
}

namespace {

class UrlTarget final : public Target {
 public:
  UrlTarget(TargetDef def, LibpqOptions options) : def_(std::move(def)), options_(std::move(options)) {}
  LibpqOptions options_for(const ConnectionDef& c) const override { return apply_connection(options_, c, def_); }
  std::string describe() const override { return redact_url(def_.url) + (def_.secure ? " (secure)" : ""); }

 private:
  TargetDef def_;
  LibpqOptions options_;
};

}  // namespace

LibpqOptions parse_conninfo(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &err);
  if (!parsed) {
    std::string message = err ? err : "out of memory";
    PQfreemem(err);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    throw UsageError("invalid target '" + redact_url(conninfo) + "': " + message +
                     "; expected 'local' or a URL like postgresql://root@localhost:26257/defaultdb?sslmode=disable");
  }
  LibpqOptions options;
  for (PQconninfoOption* o = parsed; o->keyword; ++o)
    if (o->val && *o->val) options.emplace_back(o->keyword, o->val);
  PQconninfoFree(parsed);
  return options;
}

std::string redact_url(const std::string& url) {
  static const std::regex userinfo(R"(^([a-z]+://[^:/@]*):[^@/]*@)");
  static const std::regex keyword(R"((password\s*=\s*)('[^']*'|\S+))");
  static const std::regex query(R"(([?&]password=)[^&]*)");
  std::string out = std::regex_replace(url, userinfo, "$1:***@");
  out = std::regex_replace(out, keyword, "$1***");
  return std::regex_replace(out, query, "$1***");
}

std::unique_ptr<Target> open_target(const TargetDef& def, spdlog::logger& log, const PluginRegistry* registry) {
  if (def.url == "local") return make_local_target(def, log, registry);
  return std::make_unique<UrlTarget>(def, parse_conninfo(def.url));
}

}  // namespace roachrun
