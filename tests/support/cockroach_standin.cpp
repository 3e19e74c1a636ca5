#include "support/cockroach_standin.hpp"

#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "roachrun/connection.hpp"
#include "support/test_server.hpp"

namespace roachrun::test {

namespace {

constexpr auto kIcase = std::regex::ECMAScript | std::regex::icase;
// An SQL identifier as roachrun writes one (escape_identifier quotes it) or a bare one.
const std::string kIdent = R"(("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*))";

// The name an identifier stands for: a quoted one unquoted, a bare one lower-cased (as both
// PostgreSQL and CockroachDB fold it).
std::string identifier_name(const std::string& ident) {
  if (ident.size() >= 2 && ident.front() == '"') {
    std::string name;
    for (std::size_t i = 1; i + 1 < ident.size(); ++i) {
      name += ident[i];
      if (ident[i] == '"') ++i;  // "" stands for "
    }
    return name;
  }
  std::string name = ident;
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::string read_shim() {
  const std::string path = std::string(ROACHRUN_SOURCE_DIR) + "/tests/support/cockroach_standin.sql";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("CockroachDB stand-in: cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// cockroach_standin.sql in template1 and every database there is now, once per process
// (databases created later are copies of template1).
void install_shim() {
  static std::once_flag once;
  std::call_once(once, [] {
    const std::string shim = read_shim();
    std::vector<std::string> databases;
    {
      Connection root = TestServer::get().connect("root", "postgres");
      const Result r = root.query("SELECT datname FROM pg_catalog.pg_database WHERE datallowconn ORDER BY datname");
      for (int i = 0; i < r.rows(); ++i) databases.emplace_back(r.text(i, 0));
    }
    for (const auto& database : databases) TestServer::get().connect("root", database).exec_script(shim);
  });
}

bool has_parameters(const std::string& text) {
  static const std::regex parameter(R"(\$[0-9])");
  return std::regex_search(text, parameter);
}

}  // namespace

CockroachStandIn::CockroachStandIn(std::string release)
    : release_(std::move(release)), dialect_(dialect_of(release_)) {
  install_shim();
  proxy_ = std::make_unique<TcpProxy>(TestServer::get().port());
  proxy_->set_rewriter([this](const RecordedStatement& s) { return rewrite(s); });
}

CockroachStandIn::~CockroachStandIn() = default;

Dialect CockroachStandIn::dialect_of(const std::string& release) {
  Dialect d = Dialect::from_version_string(version_of(release));
  if (!d.cockroach_release())
    throw std::invalid_argument("CockroachDB release '" + release + "': expected <major>.<minor>[.<patch>]");
  return d;
}

std::string CockroachStandIn::version_string() const { return version_of(release_); }

std::string CockroachStandIn::version_of(const std::string& release) {
  // The shape of CockroachDB's version() (e.g. "CockroachDB CCL v23.1.11 (x86_64-pc-linux-gnu,
  // built 2023/10/02 ..., go1.19.13)"): Dialect reads the product name and " v<major>.<minor>".
  return "CockroachDB CCL v" + (release.rfind('v', 0) == 0 ? release.substr(1) : release) +
         " (x86_64-pc-linux-gnu, built by the roachrun stand-in, go1.xx) (roachrun stand-in on PostgreSQL)";
}

int CockroachStandIn::port() const { return proxy_->port(); }

std::string CockroachStandIn::url(const std::string& user, const std::string& database) const {
  return "postgresql://" + user + "@127.0.0.1:" + std::to_string(port()) + "/" + database + "?sslmode=disable";
}

LibpqOptions CockroachStandIn::options(const std::string& user, const std::string& database) const {
  return {{"host", "127.0.0.1"}, {"port", std::to_string(port())}, {"user", user}, {"dbname", database},
          {"sslmode", "disable"}};
}

std::vector<RecordedStatement> CockroachStandIn::statements() const { return proxy_->statements(); }

TcpProxy& CockroachStandIn::proxy() { return *proxy_; }

std::optional<std::string> CockroachStandIn::rewrite(const RecordedStatement& statement) const {
  const std::string& text = statement.text;

  // What roachrun's Connection::dialect() sends, exactly; it tells the engine by this answer.
  static const std::regex version(R"(^\s*SELECT\s+version\(\)\s*;?\s*$)", kIcase);
  if (std::regex_match(text, version)) return "SELECT '" + version_string() + "' AS version";

  // CREATE USER / CREATE ROLE IF NOT EXISTS (CockroachDB v2.0+,
  // https://www.cockroachlabs.com/docs/stable/create-user): PostgreSQL has no IF NOT EXISTS here,
  // so a DO block that runs the CREATE and ignores duplicate_object (42710), which is what the
  // IF NOT EXISTS form does. Only without parameters ($1): a DO block takes none.
  static const std::regex create_user(R"(^\s*CREATE\s+(USER|ROLE)\s+IF\s+NOT\s+EXISTS\s+)" + kIdent + R"(([^;]*?)\s*;?\s*$)",
                                      kIcase);
  std::smatch m;
  if (!has_parameters(text) && std::regex_match(text, m, create_user)) {
    return "DO $standin$ BEGIN CREATE " + m[1].str() + " " + m[2].str() + m[3].str() +
           "; EXCEPTION WHEN duplicate_object THEN NULL; END $standin$";
  }

  // CREATE DATABASE IF NOT EXISTS (https://www.cockroachlabs.com/docs/stable/create-database):
  // PostgreSQL has no such form, and CREATE DATABASE cannot run in a DO block or a function. The
  // stand-in looks the database up on a connection of its own and sends either the plain CREATE
  // or a DO block raising the notice PostgreSQL's own IF NOT EXISTS forms give. Not atomic (a
  // database created between the look-up and the CREATE fails with 42P04), which one test's
  // clients creating their own databases never race into.
  static const std::regex create_database(
      R"(^\s*CREATE\s+DATABASE\s+IF\s+NOT\s+EXISTS\s+)" + kIdent + R"(([^;]*?)\s*;?\s*$)", kIcase);
  if (!has_parameters(text) && std::regex_match(text, m, create_database)) {
    const std::string name = identifier_name(m[1].str());
    Connection lookup = TestServer::get().connect("root", "postgres");
    if (lookup.query("SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1", name).rows() == 0)
      return "CREATE DATABASE " + m[1].str() + m[2].str();
    std::string literal;
    for (char c : name) literal += c == '\'' ? std::string("''") : std::string(1, c);
    return "DO $standin$ BEGIN RAISE NOTICE 'database \"%\" already exists, skipping', '" + literal + "'; END $standin$";
  }

  // GRANT ... ON DATABASE d TO u: on CockroachDB the database's privileges let u create tables
  // in d (https://www.cockroachlabs.com/docs/v19.1/grant.html: CREATE on a database; from v20.2
  // every user has CREATE on a database's public schema,
  // https://www.cockroachlabs.com/docs/v20.2/schema-design-schema). PostgreSQL 15's public
  // schema is not writable by everyone, so the stand-in also grants CREATE and USAGE on d's
  // public schema to u, on a connection of its own to d, and sends the GRANT as it is.
  static const std::regex grant_database(
      R"(^\s*GRANT\s+[A-Za-z, ]+?\s+ON\s+DATABASE\s+)" + kIdent + R"(\s+TO\s+)" + kIdent + R"(\s*;?\s*$)", kIcase);
  if (!has_parameters(text) && std::regex_match(text, m, grant_database)) {
    Connection in_database = TestServer::get().connect("root", identifier_name(m[1].str()));
    in_database.exec_simple(("GRANT CREATE, USAGE ON SCHEMA public TO " + m[2].str()).c_str());
    return std::nullopt;
  }

  std::string out = text;
  bool changed = false;

  // crdb_internal.force_retry: the release's variant (cockroach_standin.sql says why each).
  static const std::regex force_retry(R"(crdb_internal\s*\.\s*force_retry\s*\()", kIcase);
  if (std::regex_search(out, force_retry)) {
    if (!dialect_.cockroach_at_least(19, 2)) {
      out = std::regex_replace(out, force_retry, "crdb_internal.force_retry_root_only(");
      changed = true;
    } else if (dialect_.cockroach_at_least(25, 4)) {
      // allow_unsafe_internals defaults to on in v25.4 (cockroachdb/docs PR #20486) and to off
      // from v26.1 (cockroachdb/cockroach PR #158085).
      const char* default_on = dialect_.cockroach_at_least(26, 1) ? "false" : "true";
      out = std::regex_replace(out, force_retry, std::string("crdb_internal.force_retry_gated(") + default_on + ", ");
      changed = true;
    }
  }

  // The session variable allow_unsafe_internals exists from v25.4 (cockroachdb/cockroach PR
  // #151887): renamed to the stand-in's custom setting there. Before, the statement goes as it
  // is and PostgreSQL refuses it as CockroachDB does an unknown variable: 42704 `unrecognized
  // configuration parameter "allow_unsafe_internals"`.
  static const std::regex unsafe_internals(R"(^(\s*(?:SET|RESET)\s+(?:SESSION\s+)?)allow_unsafe_internals\b)", kIcase);
  if (dialect_.cockroach_at_least(25, 4) && std::regex_search(out, unsafe_internals)) {
    out = std::regex_replace(out, unsafe_internals, "$1roachrun_standin.allow_unsafe_internals",
                             std::regex_constants::format_first_only);
    changed = true;
  }

  if (changed) return out;
  return std::nullopt;
}

}  // namespace roachrun::test
