// Spreading a workload's clients over the hosts a target lists.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace roachrun_bank {

using LibpqOptions = std::vector<std::pair<std::string, std::string>>;

// One set of connection options per client. A target that lists several hosts
// (postgresql://h1:26257,h2:26257/...) gets its clients spread over them round-robin, client i
// on host i mod n -- as a load balancer would, and unlike libpq, which sends every connection to
// the first host that answers. A port list as long as the host list goes with it; a single port
// applies to all. `hosts` receives the number of hosts.
std::vector<LibpqOptions> spread_over_hosts(const LibpqOptions& base, int clients, int& hosts);

}  // namespace roachrun_bank
