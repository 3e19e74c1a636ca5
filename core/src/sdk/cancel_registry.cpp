#include "cancel_registry.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <mutex>
#include <new>
#include <unordered_set>
#include <vector>

#include "roachrun/error.hpp"

namespace roachrun {

namespace {

// RAII for PGcancel: what a cancel request for one session needs (its server's address, the
// backend's pid and key), copied out of the PGconn, so it stays valid after the session closes.
class CancelKey {
 public:
  explicit CancelKey(PGconn* conn) noexcept : cancel_(PQgetCancel(conn)) {}
  ~CancelKey() {
    if (cancel_) PQfreeCancel(cancel_);
  }
  CancelKey(const CancelKey&) = delete;
  CancelKey& operator=(const CancelKey&) = delete;

  // Asks the server to cancel what the session is running; false if the request was not sent.
  // PQcancel only reads the PGcancel, so two threads may send at once.
  bool send() noexcept {
    char error[256];
    return cancel_ && PQcancel(cancel_, error, sizeof error) == 1;
  }

 private:
  PGcancel* cancel_;
};

struct Registry {
  std::mutex mutex;
  bool cancelled = false;  // cancel_all_connections() ran: no new sessions
  std::unordered_set<CancelEntry*> entries;
};

// The scope of the sessions this thread opens (set_cancel_scope).
thread_local std::uint64_t t_scope = 0;

Registry& registry() {
  // Never destroyed: threads may still close connections while the process exits.
  static Registry* r = new Registry();
  return *r;
}

}  // namespace

class CancelEntry {
 public:
  explicit CancelEntry(PGconn* conn) : key(std::make_shared<CancelKey>(conn)), scope(t_scope) {}
  ~CancelEntry() {
    if (socket >= 0) ::close(socket);
  }
  CancelEntry(const CancelEntry&) = delete;
  CancelEntry& operator=(const CancelEntry&) = delete;

  // Shared with a cancel_all_connections() in progress, so it outlives a concurrent deregistration.
  std::shared_ptr<CancelKey> key;
  // close_instead_of_cancel(): a duplicate of the session's socket, shut down instead of sending
  // `key` (the server would ignore the request); -1 otherwise. Guarded by the registry's mutex.
  int socket = -1;
  const std::uint64_t scope;  // set_cancel_scope() of the thread that opened it
};

CancelEntry* register_for_cancel(PGconn* conn) {
  auto entry = std::make_unique<CancelEntry>(conn);
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  if (r.cancelled) throw Interrupted();
  r.entries.insert(entry.get());
  return entry.release();
}

void deregister_for_cancel(CancelEntry* entry) noexcept {
  if (!entry) return;
  {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    r.entries.erase(entry);
  }
  delete entry;
}

void throw_if_cancelled() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  if (r.cancelled) throw Interrupted();
}

void close_instead_of_cancel(CancelEntry* entry, PGconn* conn) noexcept {
  if (!entry || !conn || PQsocket(conn) < 0) return;
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  // Close-on-exec: a child roachrun starts (a local server) must not hold the session open.
  if (entry->socket < 0) entry->socket = fcntl(PQsocket(conn), F_DUPFD_CLOEXEC, 0);
  // If the duplicate fails (no descriptors left), the session keeps the cancel request.
}

std::size_t cancel_all_connections(std::size_t* closed) noexcept {
  Registry& r = registry();
  std::vector<std::shared_ptr<CancelKey>> keys;
  std::size_t shut = 0, sent = 0;
  {
    std::lock_guard lock(r.mutex);
    r.cancelled = true;
    // Under the lock, so the entry (and its descriptor) cannot go meanwhile. SHUT_RDWR wakes the
    // thread waiting for the reply: libpq sees the connection closed.
    for (CancelEntry* e : r.entries)
      if (e->socket >= 0) shut += ::shutdown(e->socket, SHUT_RDWR) == 0 ? 1 : 0;
    try {
      keys.reserve(r.entries.size());
    } catch (const std::bad_alloc&) {
      // No room for a copy: send under the lock (closing connections wait meanwhile).
      for (CancelEntry* e : r.entries) sent += e->socket < 0 && e->key->send() ? 1 : 0;
      if (closed) *closed = shut;
      return sent;
    }
    for (CancelEntry* e : r.entries)
      if (e->socket < 0) keys.push_back(e->key);
  }
  for (auto& key : keys) sent += key->send() ? 1 : 0;
  if (closed) *closed = shut;
  return sent;
}

void set_cancel_scope(std::uint64_t scope) noexcept { t_scope = scope; }

std::size_t cancel_scope(std::uint64_t scope) noexcept {
  if (scope == 0) return 0;
  Registry& r = registry();
  std::vector<std::shared_ptr<CancelKey>> keys;
  {
    std::lock_guard lock(r.mutex);
    try {
      for (CancelEntry* e : r.entries) {
        if (e->scope != scope) continue;
        if (e->socket >= 0) ::shutdown(e->socket, SHUT_RDWR);
        else keys.push_back(e->key);
      }
    } catch (const std::bad_alloc&) {
      // No room for the copies: the branch still sees its stop flag between statements.
    }
  }
  std::size_t sent = 0;
  for (auto& key : keys) sent += key->send() ? 1 : 0;
  return sent;
}

std::size_t registered_connections() noexcept {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  return r.entries.size();
}

void reset_cancel_registry_for_tests() noexcept {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.cancelled = false;
}

}  // namespace roachrun
