// Spreading a workload's clients over the hosts a target lists, with failover.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace roachrun_bank {

using LibpqOptions = std::vector<std::pair<std::string, std::string>>;

struct HostSpread {
  // Each host of the target in its order, "host:port" as Connection::endpoint() names a session
  // there (a host left out is taken as localhost). One entry for a target of one host.
  std::vector<std::string> hosts;
  // One set of connection options per client.
  std::vector<LibpqOptions> clients;
};

// A target that lists several hosts (host=a,b,c, or postgresql://h1:26257,h2:26257/...) gets its
// clients spread over them round-robin, client i on host i mod n -- as a load balancer would,
// and unlike libpq, which sends every connection to the first host that answers. Each client
// gets the whole list rotated to start at its own host (a, b, c; b, c, a; ...; hostaddr and a
// port list rotated alike, a single port applies to all), so libpq's connect and reconnect try
// its own host first and move on to the next that answers when it is gone.
HostSpread spread_over_hosts(const LibpqOptions& base, int clients);

}  // namespace roachrun_bank
