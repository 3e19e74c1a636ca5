#include "client_threads.hpp"

#include <algorithm>

#include <roachrun/io_wait.hpp>

#include "event_loop.hpp"

namespace roachrun_bank {

ClientThreads::ClientThreads(RunControl& control, const WorkloadConfig& config)
    : control_(control),
      engine_(config.engine),
      threads_wanted_(std::clamp(config.threads, 1, config.clients)),
      ready_(config.clients) {}

ClientThreads::~ClientThreads() {
  go();
  stop_and_join();
}

void ClientThreads::start(const std::vector<std::unique_ptr<WorkloadClient>>& clients) {
  running_.fetch_add(static_cast<int>(clients.size()));
  if (engine_ == WorkloadEngine::threads) {
    for (const auto& client : clients) threads_.emplace_back([this, c = client.get()] { run_thread_per_client(*c); });
    return;
  }
  // Client i on thread i mod N: the hosts of a multi-host target (client i's first host is
  // i mod hosts) spread over the threads too.
  std::vector<std::vector<WorkloadClient*>> shares(static_cast<std::size_t>(threads_wanted_));
  for (std::size_t i = 0; i < clients.size(); ++i) shares[i % shares.size()].push_back(clients[i].get());
  for (auto& share : shares) threads_.emplace_back([this, share = std::move(share)] { run_event_thread(share); });
}

void ClientThreads::stop_and_join() {
  control_.stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

void ClientThreads::finished() {
  const auto end = clock::now().time_since_epoch().count();
  auto last = last_end_.load();
  while (end > last && !last_end_.compare_exchange_weak(last, end)) {
  }
  running_.fetch_sub(1);
}

void ClientThreads::run_thread_per_client(WorkloadClient& client) {
  const bool ok = client.connect();
  ready_.count_down();
  go_.wait();
  if (ok) client.run();
  finished();
}

void ClientThreads::run_event_thread(std::vector<WorkloadClient*> clients) {
  EventLoop loop;
  roachrun::ScopedIoWaiter waiter(&loop);
  // Two rounds of fibers, so that the wait for the start blocks the thread only once all of its
  // clients have connected (a fiber waiting on the latch would hold up the others' connects).
  std::vector<char> ok(clients.size(), 0);
  for (std::size_t i = 0; i < clients.size(); ++i)
    loop.spawn([&, i] {
      ok[i] = clients[i]->connect() ? 1 : 0;
      ready_.count_down();
    });
  loop.run();
  go_.wait();
  for (std::size_t i = 0; i < clients.size(); ++i)
    loop.spawn([&, i] {
      if (ok[i]) clients[i]->run();
      finished();
    });
  loop.run();
}

}  // namespace roachrun_bank
