#include "engine/connection_pool.hpp"

#include <spdlog/spdlog.h>

#include "roachrun/error.hpp"

namespace roachrun {

ConnectionPool::ConnectionPool(const Scenario& scenario, const Target& target, spdlog::logger& log)
    : scenario_(scenario), target_(target), log_(log) {}

const ConnectionDef& ConnectionPool::def(std::string_view name) const {
  if (const ConnectionDef* c = scenario_.find_connection(name)) return *c;
  throw StepError("no connection named '" + std::string(name) + "' in " + scenario_.file);
}

LibpqOptions ConnectionPool::options(std::string_view name) const { return target_.options_for(def(name)); }

Connection& ConnectionPool::get(std::string_view name) {
  if (auto it = open_.find(name); it != open_.end()) {
    Connection& conn = it->second;
    if (!conn.is_ok()) {
      // A previous step lost this connection; start the next one on a fresh session.
      log_.warn("connection '{}' was lost; reconnecting", name);
      conn.reconnect();
    }
    return conn;
  }
  const ConnectionDef& c = def(name);
  Connection conn = Connection::open(target_.options_for(c), c.name);
  log_.debug("connected '{}' as {} to database {} on {}", c.name, conn.user(), conn.database(), target_.describe());
  return open_.emplace(std::string(name), std::move(conn)).first->second;
}

}  // namespace roachrun
