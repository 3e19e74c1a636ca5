#include "engine/connection_pool.hpp"

#include <spdlog/spdlog.h>

#include "roachrun/error.hpp"

namespace roachrun {

ConnectionPool::ConnectionPool(const Scenario& scenario, const Target& target, Interrupts& interrupts,
                               spdlog::logger& log)
    : scenario_(scenario), target_(target), interrupts_(interrupts), log_(log) {}

ConnectionPool::~ConnectionPool() {
  for (auto& [name, open] : open_) interrupts_.remove(open->cancel_token);
}

const ConnectionDef& ConnectionPool::def(std::string_view name) const {
  if (const ConnectionDef* c = scenario_.find_connection(name)) return *c;
  throw StepError("no connection named '" + std::string(name) + "' in " + scenario_.file);
}

LibpqOptions ConnectionPool::options(std::string_view name) const { return target_.options_for(def(name)); }

Connection& ConnectionPool::get(std::string_view name) {
  if (auto it = open_.find(name); it != open_.end()) {
    Open& open = *it->second;
    if (!open.connection.is_ok()) {
      // A previous step lost this connection; start the next one on a fresh session.
      log_.warn("connection '{}' was lost; reconnecting", name);
      interrupts_.remove(open.cancel_token);
      open.connection.reconnect();
      open.cancel_token = interrupts_.add(open.connection.native_handle());
    }
    return open.connection;
  }
  const ConnectionDef& c = def(name);
  Connection conn = Connection::open(target_.options_for(c), c.name);
  log_.debug("connected '{}' as {} to database {} on {}", c.name, conn.user(), conn.database(), target_.describe());
  std::uint64_t token = interrupts_.add(conn.native_handle());
  auto [it, inserted] = open_.emplace(std::string(name), std::make_unique<Open>(Open{std::move(conn), token}));
  return it->second->connection;
}

}  // namespace roachrun
