#include "support/test_server.hpp"

#include <memory>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "engine/local_server.hpp"

namespace roachrun::test {

namespace {

struct State {
  std::shared_ptr<spdlog::logger> logger = [] {
    auto l = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    l->set_level(spdlog::level::warn);
    return l;
  }();
  std::unique_ptr<LocalServer> server;  // after logger: stopped before the logger goes
  int databases = 0;
};

State& state() {
  static State s;
  if (!s.server) {
    LocalServerOptions options;
    // Deadlocks are detected after deadlock_timeout (1 s by default): keep the tests quick.
    // A test server holds nothing worth keeping: skip fsync, which otherwise dominates start-up
    // and shutdown (every CREATE DATABASE is flushed at the shutdown checkpoint).
    options.settings = {{"deadlock_timeout", "100ms"}, {"fsync", "off"}, {"full_page_writes", "off"}};
    s.server = LocalServer::start(options, *s.logger);
  }
  return s;
}

}  // namespace

TestServer& TestServer::get() {
  static TestServer server;
  state();
  return server;
}

int TestServer::port() const { return state().server->port(); }

std::string TestServer::url(const std::string& user, const std::string& database) const {
  return "postgresql://" + user + "@127.0.0.1:" + std::to_string(port()) + "/" + database + "?sslmode=disable";
}

LibpqOptions TestServer::options(const std::string& user, const std::string& database) const {
  return {{"host", "127.0.0.1"}, {"port", std::to_string(port())}, {"user", user}, {"dbname", database},
          {"sslmode", "disable"}};
}

Connection TestServer::connect(const std::string& user, const std::string& database) const {
  return Connection::open(options(user, database), "test");
}

std::string TestServer::create_database(const std::string& prefix) {
  std::string name = prefix + "_" + std::to_string(++state().databases);
  Connection root = connect();
  root.exec_params("CREATE DATABASE " + root.escape_identifier(name));
  return name;
}

spdlog::logger& TestServer::log() { return *state().logger; }

std::string balances(const std::string& database) {
  Connection c = TestServer::get().connect("root", database);
  return balances(c);
}

std::string balances(Connection& c) {
  Result r = c.exec_simple("SELECT id, balance FROM accounts ORDER BY id");
  std::string s;
  for (int i = 0; i < r.rows(); ++i) s += std::string(r.text(i, 0)) + "=" + std::string(r.text(i, 1)) + " ";
  return s;
}

}  // namespace roachrun::test
