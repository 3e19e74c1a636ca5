#include "engine/signals.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <thread>

#include "engine/exit_status.hpp"
#include "engine/local_formation.hpp"
#include "engine/local_server.hpp"
#include "sdk/cancel_registry.hpp"

namespace roachrun {

Interrupts& Interrupts::instance() {
  static Interrupts* interrupts = new Interrupts();  // never destroyed: the signal thread outlives main
  return *interrupts;
}

Interrupts& Interrupts::install() {
  static bool installed = [] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    // A closed stdout or stderr (`roachrun run ... | head`) must not kill roachrun before it
    // stops the local server and removes its directory: writes fail with EPIPE instead.
    signal(SIGPIPE, SIG_IGN);
    std::thread([set] {
      for (int count = 0;; ++count) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0) continue;
        if (count > 0) {
          const char msg[] = "roachrun: interrupted again; stopping the local servers at once and exiting\n";
          ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
          (void)ignored;
          // No waiting for rollbacks or a checkpoint, but no server or directory left behind:
          // an immediate shutdown takes milliseconds (bounded at about 3 s).
          LocalServer::abandon_all();
          LocalFormation::abandon_all();
          _exit(kExitInterrupted);
        }
        const char msg[] = "roachrun: interrupted; rolling back and cleaning up (press Ctrl-C again to exit now)\n";
        ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)ignored;
        instance().interrupt();
      }
    }).detach();
    return true;
  }();
  (void)installed;
  return instance();
}

void Interrupts::interrupt() noexcept {
  interrupted_ = true;
  std::size_t closed = 0;
  cancel_all_connections(&closed);
  if (closed > 0) {
    // Closing a session does not stop what its server runs (CockroachDB before v22.1 ignores
    // cancel requests, see Connection::dialect()): say so, once.
    char msg[256];
    const int n = std::snprintf(msg, sizeof msg,
                                "roachrun: closed %zu connection(s) to CockroachDB older than v22.1, which ignores "
                                "cancel requests: a statement they were running may still be running on the server\n",
                                closed);
    if (n > 0) {
      ssize_t ignored = write(STDERR_FILENO, msg, std::min(static_cast<std::size_t>(n), sizeof msg - 1));
      (void)ignored;
    }
  }
}

}  // namespace roachrun
