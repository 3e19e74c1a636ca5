#include "engine/signals.hpp"

#include <signal.h>
#include <unistd.h>

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
  cancel_all_connections();
}

}  // namespace roachrun
