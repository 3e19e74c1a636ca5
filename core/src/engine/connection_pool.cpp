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

Connection& ConnectionPool::get(std::string_view name, const RetryPolicy& policy, const std::atomic<bool>* interrupted) {
  RetryHooks hooks;
  hooks.log = &log_;
  hooks.interrupted = interrupted;
  if (auto it = open_.find(name); it != open_.end()) {
    Connection& conn = it->second;
    // Asked before the check below: a lost session no longer knows its transaction.
    const bool in_transaction = conn.in_transaction();
    if (ensure_session(conn, policy, hooks)) {
      log_.info("connection '{}' was lost since it was last used; reconnected", name);
      if (in_transaction)
        log_.warn("connection '{}' was inside a transaction an earlier step left open: the server rolled it back", name);
    }
    return conn;
  }
  const ConnectionDef& c = def(name);
  Connection conn = answered_ ? open_through_outage(target_.options_for(c), c.name, policy, hooks)
                              : Connection::open(target_.options_for(c), c.name);
  answered_ = true;
  log_.debug("connected '{}' as {} to database {} on {}", c.name, conn.user(), conn.database(), target_.describe());
  return open_.emplace(std::string(name), std::move(conn)).first->second;
}

}  // namespace roachrun
