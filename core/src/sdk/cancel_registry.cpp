#include "cancel_registry.hpp"

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

Registry& registry() {
  // Never destroyed: threads may still close connections while the process exits.
  static Registry* r = new Registry();
  return *r;
}

}  // namespace

class CancelEntry {
 public:
  explicit CancelEntry(PGconn* conn) : key(std::make_shared<CancelKey>(conn)) {}
  // Shared with a cancel_all_connections() in progress, so it outlives a concurrent deregistration.
  std::shared_ptr<CancelKey> key;
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

std::size_t cancel_all_connections() noexcept {
  Registry& r = registry();
  std::vector<std::shared_ptr<CancelKey>> keys;
  {
    std::lock_guard lock(r.mutex);
    r.cancelled = true;
    try {
      keys.reserve(r.entries.size());
    } catch (const std::bad_alloc&) {
      // No room for a copy: send under the lock (closing connections wait meanwhile).
      std::size_t sent = 0;
      for (CancelEntry* e : r.entries) sent += e->key->send() ? 1 : 0;
      return sent;
    }
    for (CancelEntry* e : r.entries) keys.push_back(e->key);
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
