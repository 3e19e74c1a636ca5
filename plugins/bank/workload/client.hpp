// One client of bank.workload: a thread with its own connection that makes transfers until the
// run stops, in one of the three protocols, each an attempt strategy of the SDK's retry engine
// (roachrun::run_attempts): classification, backoff, budget, reconnects and ambiguous commits
// are the engine's, the same as for bank.transfer.
//
// The hot path -- pick accounts, send the statements, count -- allocates nothing and logs
// nothing: values are formatted into fixed buffers, statements are prepared once per session,
// counters are per-client atomics the progress line reads (the latency histogram allocates a
// block the first time a latency falls in a new power of two, at most 33 in a run).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <roachrun/connection.hpp>
#include <roachrun/retry.hpp>

#include "account_picker.hpp"
#include "transfer_funds.hpp"
#include "config.hpp"
#include "stats.hpp"
#include "time_series.hpp"

namespace roachrun_bank {

// The statements of a run, built once for its tables and shared by all clients.
struct WorkloadSql {
  TransferSql transfer;  // bank.transfer's SELECT/UPDATE/UPDATE (tutorial and pipeline)
  std::string record;    // the ledger row of a transfer, in its transaction
  std::string single;    // the whole transfer (and its ledger row) as one statement
  std::int64_t single_applied_rows = 1;  // what `single` reports when the transfer applied
  std::string lookup;    // is a transfer in the ledger? (after an ambiguous commit)
  const char* begin = "BEGIN";  // at the run's isolation (the SDK's statement)
  const char* session = "";     // SET default_transaction_isolation for implicit transactions; may be empty
  // CockroachDB's pipeline: `begin` is a plain BEGIN and `session` sets the level (issue #87012).
  bool session_for_pipeline = false;
  bool cockroach = false;  // the target is CockroachDB
  // `cockroach`: the target is CockroachDB, whose single statement takes another form.
  static WorkloadSql build(const WorkloadConfig& config, const std::string& quoted_table,
                           const std::string& quoted_ledger, bool cockroach);
};

class WorkloadClient {
 public:
  using Options = std::vector<std::pair<std::string, std::string>>;
  // `hosts`: the target's hosts, as Connection::endpoint() names them (HostSpread::hosts), by
  // which `stats.by_host` is counted; the client's own is host index mod their number.
  // `outages`: where the client notes each span it went without a connection (shared by all).
  // REQUIRES: config, sql, hosts, control, stats, failures and outages outlive the client.
  WorkloadClient(int index, const WorkloadConfig& config, const WorkloadSql& sql, Options options,
                 const std::vector<std::string>& hosts, RunControl& control, ClientStats& stats, FailureLog& failures,
                 OutageSpans& outages);

  // Opens the client's connection and prepares its session; false if it could not (the error
  // went to control.fail()). Never throws.
  bool connect() noexcept;
  // Whether connect() got a session (it keeps it until the client is destroyed).
  bool connected() const noexcept { return conn_.has_value(); }
  // Makes transfers until control says stop. Never throws: an error that ends the run goes to
  // control.fail().
  void run() noexcept;

 private:
  // The three protocols' attempt strategies (client.cpp); they make the transfer in flight.
  template <typename Base>
  class Attempts;
  class TutorialAttempts;
  class SingleAttempts;
  class PipelineAttempts;
  class BatchAttempts;

  // One transfer of a batch (in_flight > 1): what it moves, its $n parameters as text, and how
  // it ended so far.
  struct Slot {
    enum class State : unsigned char { pending, applied, declined };
    TransferChoice choice{};
    char from[24]{}, to[24]{}, amount[24]{}, id[24]{};
    State state = State::pending;
    int host = 0;                 // where it ran (the attempt's host when its reply came)
    std::int64_t latency_us = 0;  // from the batch's start to its reply
  };

  // The pipeline protocol with in_flight > 1: every transfer is the single protocol's statement,
  // its own implicit transaction and Sync segment, several of them in one flight. (A transaction
  // whose COMMIT waits on its SELECT's answer cannot share a flight with the next.)
  bool batched() const noexcept { return config_.in_flight > 1; }
  // run() for batched(): claims up to in_flight transfers, runs them through the engine as one
  // attempt strategy, counts each.
  void run_batches();
  // Claims and picks the next batch into batch_; its size (0: stop).
  int claim_batch();
  // Counts the batch's transfers once the engine is done with it (or gave up: the pending ones
  // are `unresolved`, failures or unfinished).
  void count_batch(Counter* unresolved, const std::string& sqlstate = {}, const std::string& message = {});

  // Once per session (the engine calls it again after a reconnect): prepared statements,
  // pipeline mode, isolation.
  void prepare_session(roachrun::Connection& conn);
  void next_transfer() noexcept;
  void wait_for_rate();
  // One transfer through the engine; true if it moved the money, false if declined.
  bool transfer();
  // Adds what the engine counted for one run_attempts (retries, backoff, reconnects) to stats_
  // as it goes out of scope: counted whether the transfer committed or not, as the engine fills
  // txn_stats_ even when it throws.
  struct EngineCounts {
    WorkloadClient& c;
    ~EngineCounts();
  };
  bool ledger_has_transfer(roachrun::Connection& conn);
  bool ledger_has(roachrun::Connection& conn, const char* id);
  // The index in hosts_ of a session's endpoint (the client's own host if it is none of them).
  int host_of(const std::string& endpoint) const noexcept;
  // Each attempt notes the host it runs on (a transfer is counted where its transaction ran)
  // and when it started (a lost session is waited for from then).
  void attempt_starts() noexcept {
    attempt_host_ = current_host_;
    attempt_started_ = std::chrono::steady_clock::now();
  }
  // The engine replaced the lost session by `conn`: how long that took, and where it went.
  void session_replaced(const roachrun::Connection& conn) noexcept;
  [[noreturn]] void table_damaged() const;

  int index_;
  const WorkloadConfig& config_;
  const WorkloadSql& sql_;
  Options options_;
  const std::vector<std::string>& hosts_;
  int current_host_;  // of the session now (set by prepare_session)
  int attempt_host_;  // of the last attempt's session
  std::chrono::steady_clock::time_point attempt_started_{};
  RunControl& control_;
  ClientStats& stats_;
  FailureLog& failures_;
  OutageSpans& outages_;
  AccountPicker picker_;
  Random jitter_;
  std::optional<roachrun::Connection> conn_;  // opened by run(), on the client's own thread

  // The transfer in flight, as text for its $n parameters.
  TransferChoice choice_{};
  char from_[24]{}, to_[24]{}, amount_[24]{}, id_[24]{};
  std::int64_t next_id_ = 0;
  TransferOutcome outcome_ = TransferOutcome::applied;
  std::vector<Slot> batch_;  // batched(): in_flight slots, the first batch_size_ in use
  int batch_size_ = 0;
  std::chrono::steady_clock::time_point batch_start_{};

  // The engine's arguments, built once: a std::function per transfer would allocate.
  std::unique_ptr<roachrun::AttemptStrategy> attempts_;
  roachrun::RetryHooks hooks_;
  roachrun::TransactionStats txn_stats_;

  std::chrono::steady_clock::time_point next_start_;
  std::chrono::nanoseconds interval_{0};  // between transfers under a rate limit
};

}  // namespace roachrun_bank
