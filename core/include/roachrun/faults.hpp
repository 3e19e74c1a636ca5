// Fault figures by endpoint: what the retry engine saw of each host:port it lost sessions on.
// (SDK 3.1.)
//
// run_attempts (retry.hpp) feeds them each time it replaces a lost session: the endpoint the
// session was on, whether the new session is there again or on another host of a multi-host
// target (libpq tries the hosts in order, so a reconnect that lands on a later host means the
// lost one did not answer: its sessions moved), and how long the caller went without a
// connection. An endpoint's outage -- reconnects refused, or its sessions moving elsewhere --
// is counted once and said once on the log however many sessions it cost; it ends when a
// session gets in there again ("the target H:P is back after X s").
//
// The figures are the process's, from its start, and only grow: a step that wants those of its
// own run takes fault_records() before it and fault_records_since() after it. Sessions opened
// or reconnected without the engine (Connection::open, Connection::reconnect) are not counted.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "roachrun/export.hpp"

namespace roachrun {

struct EndpointFaults {
  // Sessions lost there and replaced by the engine (each also counts in the replacing call's
  // TransactionStats::reconnects).
  std::uint64_t sessions_lost = 0;
  // Of those, replaced by a session on another endpoint of the target (failover).
  std::uint64_t sessions_moved = 0;
  // Times it went away: a reconnect refused there, or its sessions moved to another host because
  // it did not answer. A session that moved back to its first host while this one still
  // answered is no outage of this one.
  std::uint64_t outages = 0;
  // Summed over the sessions lost there: from the engine noticing the loss to the new session,
  // backoff included (so two clients without a connection for a second each make 2 s).
  std::chrono::microseconds without_connection{0};
};

// By endpoint, "host:port" as Connection::endpoint() names it.
using FaultRecords = std::map<std::string, EndpointFaults>;

// The figures so far. Thread-safe; takes a lock the engine takes only when it replaces a session.
ROACHRUN_API FaultRecords fault_records();
// The figures now minus `earlier` (an earlier fault_records()): what happened in between. Only
// endpoints with something to count are listed.
ROACHRUN_API FaultRecords fault_records_since(const FaultRecords& earlier);

}  // namespace roachrun
