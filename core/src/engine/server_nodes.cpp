#include "engine/server_nodes.hpp"

#include <libpq-fe.h>

#include <thread>

#include "engine/local_server.hpp"
#include "roachrun/error.hpp"

namespace roachrun {

using Clock = std::chrono::steady_clock;

std::string ServerBackend::endpoint(int) const { return server_.host() + ":" + std::to_string(server_.port()); }

std::vector<NodeStatus> ServerBackend::status() {
  NodeStatus s;
  s.number = 1;
  s.endpoint = endpoint(1);
  s.running = server_.running();
  s.role = s.running ? "primary" : "down";
  return {s};
}

int ServerBackend::resolve(const std::string& node) {
  if (node == "1" || node == "primary") return 1;
  if (node == "standby")
    throw StepError("no standby: the single local server (target: local) is the only node; a formation has "
                    "standbys (target: {url: local, nodes: 3})");
  throw StepError("no node '" + node + "' on the single local server (target: local): it is node 1 (or primary); "
                  "more nodes need a formation (target: {url: local, nodes: 3})");
}

void ServerBackend::kill(int) { server_.kill_server(); }

void ServerBackend::stop(int, StopMode mode) { server_.shut_down(mode); }

void ServerBackend::start(int) { server_.start_again(); }

int ServerBackend::primary(std::chrono::milliseconds) {
  if (!server_.running()) throw ConnectError(endpoint(1), "the local server is not running");
  return 1;
}

void ServerBackend::wait_healthy(std::chrono::milliseconds limit) {
  if (!server_.running())
    throw StepError("the local server on " + endpoint(1) + " is stopped and nothing will start it: start it first "
                    "(nodes.start: 1)");
  // start_again() returns once it accepts connections; this is for a server that crashed on its
  // own and is recovering, or is shutting down.
  const std::string ping = "host=" + server_.host() + " port=" + std::to_string(server_.port()) +
                           " dbname=postgres connect_timeout=2 sslmode=disable";
  for (const auto deadline = Clock::now() + limit; PQping(ping.c_str()) != PQPING_OK;) {
    if (interrupted_) throw Interrupted();
    if (Clock::now() >= deadline)
      throw ConnectError(endpoint(1), "the local server does not accept connections");
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
}

}  // namespace roachrun
