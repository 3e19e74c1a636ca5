#include "client.hpp"

#include <algorithm>
#include <charconv>
#include <memory>
#include <thread>
#include <utility>

#include <libpq-fe.h>

#include <roachrun/error.hpp>

namespace roachrun_bank {

namespace {

using clock = std::chrono::steady_clock;
using roachrun::Connection;
using roachrun::DbError;

// Prepared statement names; one session prepares each once.
constexpr const char* kSelect = "bank_select_balance";
constexpr const char* kDebit = "bank_debit";
constexpr const char* kCredit = "bank_credit";
constexpr const char* kRecord = "bank_record";
constexpr const char* kSingle = "bank_single";
// Pipeline mode sends everything by the extended protocol: prepared, BEGIN and COMMIT skip a parse.
constexpr const char* kBegin = "bank_begin";
constexpr const char* kCommit = "bank_commit";
constexpr const char* kRollback = "bank_rollback";

const char* statement_name(TransferStatement s) noexcept {
  switch (s) {
    case TransferStatement::select_balance: return kSelect;
    case TransferStatement::debit: return kDebit;
    case TransferStatement::credit: return kCredit;
  }
  return kSelect;
}

void format(char (&buffer)[24], std::int64_t value) noexcept {
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer - 1, value);
  (void)ec;  // 24 characters hold any int64
  *end = '\0';
}

std::int64_t micros_since(clock::time_point start) noexcept {
  return std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - start).count();
}

}  // namespace

WorkloadSql WorkloadSql::build(const WorkloadConfig& config, const std::string& table, const std::string& ledger,
                               bool cockroach) {
  WorkloadSql sql;
  sql.transfer = TransferSql::for_table(table);
  sql.record = "INSERT INTO " + ledger + " (id, from_id, to_id, amount) VALUES ($1, $2, $3, $4)";
  sql.lookup = "SELECT 1 FROM " + ledger + " WHERE id = $1";
  const std::string record_if = " INSERT INTO " + ledger +
                                " (id, from_id, to_id, amount) SELECT $4::BIGINT, $1::BIGINT, $2::BIGINT, $3::BIGINT";
  if (!cockroach) {
    // The debit applies only if the source has the funds and the destination exists; the credit
    // only if the debit applied. Under READ COMMITTED the debit's WHERE is re-checked against the
    // row's newest version, so even there no balance goes negative.
    const std::string debit = "debit AS (UPDATE " + table +
                              " SET balance = balance - $3 WHERE id = $1 AND balance >= $3 AND EXISTS (SELECT 1 FROM " +
                              table + " WHERE id = $2) RETURNING id)";
    const std::string credit =
        "UPDATE " + table + " SET balance = balance + $3 WHERE id = $2 AND EXISTS (SELECT 1 FROM debit)";
    sql.single = config.ledger ? "WITH " + debit + ", credit AS (" + credit + " RETURNING id)" + record_if + " FROM credit"
                               : "WITH " + debit + " " + credit;
    sql.single_applied_rows = 1;
  } else {
    // CockroachDB refuses two modifications of one table in one statement ("multiple
    // modification subqueries of the same table"), so there one UPDATE changes both rows, as
    // `cockroach workload run bank` does, guarded by the source's balance; CockroachDB runs it
    // SERIALIZABLE (and may retry it itself).
    const std::string both = "UPDATE " + table +
                             " SET balance = CASE id WHEN $1::BIGINT THEN balance - $3::BIGINT ELSE balance + $3::BIGINT "
                             "END WHERE id IN ($1::BIGINT, $2::BIGINT) AND (SELECT balance FROM " +
                             table + " WHERE id = $1::BIGINT) >= $3::BIGINT AND EXISTS (SELECT 1 FROM " + table +
                             " WHERE id = $2::BIGINT)";
    sql.single = config.ledger ? "WITH moved AS (" + both + " RETURNING id)" + record_if +
                                     " WHERE (SELECT count(*) FROM moved) = 2"
                               : both;
    sql.single_applied_rows = config.ledger ? 1 : 2;
  }
  sql.cockroach = cockroach;
  sql.begin = roachrun::begin_statement(config.retry.isolation);
  sql.session = roachrun::session_isolation_statement(config.retry.isolation);
  if (cockroach && config.protocol == WorkloadProtocol::pipeline) {
    // Pipeline mode sends BEGIN by the extended protocol, and there CockroachDB v22.1 starts the
    // transaction without the modes the BEGIN carries (cockroachdb/cockroach issue #87012:
    // `BEGIN READ ONLY` by PQexecParams ran read-write). A plain BEGIN takes every mode it leaves
    // unspecified from the session's defaults (connExecutor.execStmtInNoTxnState), on the extended
    // protocol as on the simple one: so the level goes into default_transaction_isolation, set
    // by the simple protocol when the session is made, and every release honours it.
    sql.begin = "BEGIN";
    sql.session_for_pipeline = true;
  }
  return sql;
}

// --- the protocols' attempts -----------------------------------------------------------------

// What every protocol's strategy shares: the session set-up, and the ledger telling whether an
// attempt whose COMMIT reply was lost committed (only an applied transfer writes its row).
template <typename Base>
class WorkloadClient::Attempts : public Base {
 public:
  template <typename... Args>
  explicit Attempts(WorkloadClient& client, Args&&... args) : Base(std::forward<Args>(args)...), client_(client) {}
  void new_session(Connection& conn) override {
    client_.session_replaced(conn);
    client_.prepare_session(conn);
  }
  bool resolves_ambiguity() const noexcept override { return client_.config_.ledger; }
  bool committed(Connection& conn) override {
    const bool yes = client_.ledger_has_transfer(conn);
    if (yes) client_.outcome_ = TransferOutcome::applied;
    // Counted for the host the COMMIT was in flight to, not the one the lookup ran on.
    HostCounters& host = client_.stats_.by_host[static_cast<std::size_t>(client_.attempt_host_)];
    (yes ? host.ambiguous_committed : host.ambiguous_not_committed).add();
    return yes;
  }
  std::string ambiguous_advice() const override { return "run with ledger: true to resolve ambiguous commits"; }

 protected:
  WorkloadClient& client_;
};

// tutorial: bank.transfer's statements, one round trip each, between the engine's BEGIN and COMMIT.
class WorkloadClient::TutorialAttempts final : public Attempts<roachrun::StatementStrategy> {
 public:
  explicit TutorialAttempts(WorkloadClient& client) : Attempts(client, client.config_.retry) {}

 private:
  void work(Connection& conn, const roachrun::Attempt&) override {
    WorkloadClient& c = client_;
    c.attempt_starts();
    std::int64_t balance = 0;
    const TransferValues values{c.from_, c.to_, c.amount_, c.choice_.amount};
    c.outcome_ = transfer_funds(
        [&conn](TransferStatement s, int count, const char* const* v) {
          return conn.exec_prepared(statement_name(s), count, v);
        },
        values, balance);
    if (c.outcome_ == TransferOutcome::applied) {
      if (c.config_.ledger) {
        const char* const record[] = {c.id_, c.from_, c.to_, c.amount_};
        conn.exec_prepared(kRecord, 4, record);
      }
    } else if (c.outcome_ != TransferOutcome::insufficient_funds) {
      c.table_damaged();  // the engine rolls the transaction back
    }
  }
};

// single: the whole transfer as one statement, its own (implicit) transaction.
class WorkloadClient::SingleAttempts final : public Attempts<roachrun::AttemptStrategy> {
 public:
  using Attempts::Attempts;

  void run(Connection& conn, roachrun::Attempt& attempt) override {
    WorkloadClient& c = client_;
    c.attempt_starts();
    attempt.phase = roachrun::AttemptPhase::committing;  // its reply is the COMMIT's
    const char* const values[] = {c.from_, c.to_, c.amount_, c.id_};
    const bool applied =
        conn.exec_prepared(kSingle, c.config_.ledger ? 4 : 3, values).affected_rows() == c.sql_.single_applied_rows;
    c.outcome_ = applied ? TransferOutcome::applied : TransferOutcome::insufficient_funds;
  }
};

// pipeline: BEGIN to the ledger row in one flight, then COMMIT (or ROLLBACK) in a second.
class WorkloadClient::PipelineAttempts final : public Attempts<roachrun::AttemptStrategy> {
 public:
  using Attempts::Attempts;

  void run(Connection& conn, roachrun::Attempt& attempt) override {
    WorkloadClient& c = client_;
    c.attempt_starts();
    // Flight 1: the whole transaction but its end. The UPDATEs run even when the SELECT will
    // show too little money: the ROLLBACK of flight 2 undoes them.
    const char* const from[] = {c.from_};
    const char* const debit[] = {c.amount_, c.from_};
    const char* const credit[] = {c.amount_, c.to_};
    const char* const record[] = {c.id_, c.from_, c.to_, c.amount_};
    conn.queue_prepared(kBegin, 0, nullptr);
    conn.queue_prepared(kSelect, 1, from);
    conn.queue_prepared(kDebit, 2, debit);
    conn.queue_prepared(kCredit, 2, credit);
    if (c.config_.ledger) conn.queue_prepared(kRecord, 4, record);
    conn.pipeline_sync();
    roachrun::Result results[5];
    conn.read_flight(results, c.config_.ledger ? 5 : 4);

    const roachrun::Result& balance = results[1];
    TransferOutcome& outcome = c.outcome_;
    outcome = TransferOutcome::applied;
    if (balance.rows() == 0) outcome = TransferOutcome::no_source;
    else if (balance.is_null(0, 0)) outcome = TransferOutcome::no_balance;
    else if (balance.integer(0, 0) < c.choice_.amount) outcome = TransferOutcome::insufficient_funds;
    else if (results[2].affected_rows() == 0) outcome = TransferOutcome::source_vanished;
    else if (results[3].affected_rows() == 0) outcome = TransferOutcome::no_destination;

    // Flight 2: COMMIT, or ROLLBACK when the money was not there.
    roachrun::Result end;
    if (outcome == TransferOutcome::applied) {
      attempt.phase = roachrun::AttemptPhase::committing;
      conn.queue_prepared(kCommit, 0, nullptr);
    } else {
      conn.queue_prepared(kRollback, 0, nullptr);
    }
    conn.pipeline_sync();
    conn.read_flight(&end, 1);
    if (outcome != TransferOutcome::applied && outcome != TransferOutcome::insufficient_funds) c.table_damaged();
  }

  // In pipeline mode ROLLBACK is queued and flushed, not exec'd.
  void abandon(Connection& conn) noexcept override {
    try {
      if (!conn.is_ok() || !conn.in_transaction()) return;
      roachrun::Result done;
      conn.queue_prepared(kRollback, 0, nullptr);
      conn.pipeline_sync();
      conn.read_flight(&done, 1);
    } catch (...) {
      // The transaction is over either way; the error that led here is what matters.
    }
  }

  // The lookup is a plain statement: out of pipeline mode for it, and back.
  bool committed(Connection& conn) override {
    conn.pipeline_exit();
    const bool yes = Attempts::committed(conn);
    conn.pipeline_enter();
    return yes;
  }
};

// pipeline with in_flight > 1: the batch's pending transfers, each the single statement in its
// own Sync segment, all sent before the first reply is read -- one round trip for the lot. A
// segment's error aborts only its own transaction: the others commit or decline on their own.
// A retryable error leaves its transfer pending, and once every reply is in the engine retries
// the attempt, which sends only what is still pending. A lost connection leaves every transfer
// whose reply had not come unknown: committed() looks each one up in the ledger.
class WorkloadClient::BatchAttempts final : public Attempts<roachrun::AttemptStrategy> {
 public:
  using Attempts::Attempts;

  void run(Connection& conn, roachrun::Attempt& attempt) override {
    WorkloadClient& c = client_;
    c.attempt_starts();
    backend_pid_ = PQbackendPID(conn.native_handle());  // to wait for, should this session be lost
    // Each segment is a transaction of its own: from the first Sync, a lost reply leaves it unknown.
    attempt.phase = roachrun::AttemptPhase::committing;
    const int params = c.config_.ledger ? 4 : 3;
    for (int i = 0; i < c.batch_size_; ++i) {
      Slot& s = c.batch_[static_cast<std::size_t>(i)];
      if (s.state != Slot::State::pending) continue;
      const char* const values[] = {s.from, s.to, s.amount, s.id};
      conn.queue_prepared(kSingle, params, values);
      conn.pipeline_sync();
    }
    std::exception_ptr retry, final_error;
    for (int i = 0; i < c.batch_size_; ++i) {
      Slot& s = c.batch_[static_cast<std::size_t>(i)];
      if (s.state != Slot::State::pending) continue;
      roachrun::Result result;
      try {
        conn.read_flight(&result, 1);
      } catch (const DbError& e) {
        // The ledger's key is the transfer's own id: a duplicate means this transfer committed
        // already, in a flight whose reply was lost (the ledger keeps it exactly once).
        if (c.config_.ledger && e.sqlstate() == "23505") {
          s.state = Slot::State::applied;
          s.host = c.attempt_host_;
          s.latency_us = micros_since(c.batch_start_);
          continue;
        }
        const roachrun::Disposition d = roachrun::classify(e, /*during_commit=*/true);
        // Lost or unknown: so is every reply after it. The engine resolves them all.
        if (d == roachrun::Disposition::ambiguous || d == roachrun::Disposition::connection_lost) throw;
        std::exception_ptr& first = d == roachrun::Disposition::retryable ? retry : final_error;
        if (!first) first = std::current_exception();
        continue;  // the next segment's reply follows this one's Sync
      }
      s.state = result.affected_rows() == c.sql_.single_applied_rows ? Slot::State::applied : Slot::State::declined;
      s.host = c.attempt_host_;
      s.latency_us = micros_since(c.batch_start_);
    }
    if (final_error) std::rethrow_exception(final_error);
    if (retry) std::rethrow_exception(retry);
  }

  // Nothing is left open: every segment ended its own transaction at its Sync.
  void abandon(Connection&) noexcept override {}

  // Each transfer the lost flight left pending: committed if the ledger has its row -- once the
  // lost session's backend is gone. Until it notices that its client went away, a backend runs
  // on through the segments it had already received, committing each: asked too early, the
  // ledger would miss those, and they would be sent again.
  bool committed(Connection& conn) override {
    WorkloadClient& c = client_;
    conn.pipeline_exit();
    if (!c.sql_.cockroach) settle_backend(conn);
    bool all = true;
    for (int i = 0; i < c.batch_size_; ++i) {
      Slot& s = c.batch_[static_cast<std::size_t>(i)];
      if (s.state != Slot::State::pending) continue;
      const bool yes = c.ledger_has(conn, s.id);
      HostCounters& host = c.stats_.by_host[static_cast<std::size_t>(c.attempt_host_)];
      (yes ? host.ambiguous_committed : host.ambiguous_not_committed).add();
      if (yes) {
        s.state = Slot::State::applied;
        s.host = c.attempt_host_;
        s.latency_us = micros_since(c.batch_start_);
      }
      all = all && yes;
    }
    conn.pipeline_enter();
    return all;
  }

 private:
  // Waits (on PostgreSQL) until the lost session's backend has exited: 2 s, then it is
  // terminated and given 1 s more; a backend still there then is left to the duplicate-key rule
  // in run(). Not cut short at the deadline: the count at the end is what the wait is for.
  void settle_backend(Connection& conn) {
    if (backend_pid_ <= 0) return;
    char pid[24];
    format(pid, backend_pid_);
    const auto gone = [&] {
      return conn.query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND pid <> pg_backend_pid()",
                        std::string_view(pid))
                 .integer(0, 0) == 0;
    };
    bool terminated = false;
    for (auto until = clock::now() + std::chrono::seconds(2); !gone();) {
      if (clock::now() >= until) {
        if (terminated) return;
        conn.query("SELECT pg_terminate_backend($1)", std::string_view(pid));
        terminated = true;
        until = clock::now() + std::chrono::seconds(1);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }

  int backend_pid_ = 0;  // of the session the last attempt ran on
};

// --- the client -------------------------------------------------------------------------------

WorkloadClient::WorkloadClient(int index, const WorkloadConfig& config, const WorkloadSql& sql, Options options,
                               const std::vector<std::string>& hosts, RunControl& control, ClientStats& stats,
                               FailureLog& failures, OutageSpans& outages)
    : index_(index),
      config_(config),
      sql_(sql),
      options_(std::move(options)),
      hosts_(hosts),
      current_host_(index % static_cast<int>(std::max<std::size_t>(hosts.size(), 1))),
      attempt_host_(current_host_),
      control_(control),
      stats_(stats),
      failures_(failures),
      outages_(outages),
      picker_(config, config.seed + static_cast<std::uint64_t>(index)),
      jitter_(config.seed ^ (0x5bd1e995ULL * static_cast<std::uint64_t>(index + 1))),
      // Ledger ids: unique per client and transfer, and BIGINT-sized.
      next_id_(static_cast<std::int64_t>(index + 1) * 1'000'000'000'000LL) {
  switch (config_.protocol) {
    case WorkloadProtocol::tutorial: attempts_ = std::make_unique<TutorialAttempts>(*this); break;
    case WorkloadProtocol::single: attempts_ = std::make_unique<SingleAttempts>(*this); break;
    case WorkloadProtocol::pipeline:
      if (batched()) attempts_ = std::make_unique<BatchAttempts>(*this);
      else attempts_ = std::make_unique<PipelineAttempts>(*this);
      break;
  }
  if (batched()) batch_.resize(static_cast<std::size_t>(config_.in_flight));
  hooks_.interrupted = &control_.stop_flag();  // the deadline or Ctrl-C ends a backoff sleep
  hooks_.random = [this] { return jitter_.unit(); };  // each client its own jitter
  hooks_.stats = &txn_stats_;
  if (config_.rate) {
    const double per_client = static_cast<double>(*config_.rate) / config_.clients;
    interval_ = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / per_client));
  }
}

bool WorkloadClient::connect() noexcept {
  try {
    conn_.emplace(Connection::open(options_, "workload client " + std::to_string(index_ + 1)));
    prepare_session(*conn_);
    return true;
  } catch (...) {
    control_.fail(std::current_exception());
    return false;
  }
}

int WorkloadClient::host_of(const std::string& endpoint) const noexcept {
  const auto it = std::find(hosts_.begin(), hosts_.end(), endpoint);
  if (it != hosts_.end()) return static_cast<int>(it - hosts_.begin());
  return index_ % static_cast<int>(std::max<std::size_t>(hosts_.size(), 1));
}

void WorkloadClient::session_replaced(const Connection& conn) noexcept {
  const auto waited = static_cast<std::uint64_t>(std::max<std::int64_t>(0, micros_since(attempt_started_)));
  outages_.add(attempt_started_, clock::now());  // the report's band: when this client had no session
  if (waited > stats_.longest_without_us.get()) stats_.longest_without_us.add(waited - stats_.longest_without_us.get());
  // Still the old session's host: prepare_session() moves current_host_ on.
  const int now = host_of(conn.endpoint());
  if (now != current_host_) stats_.by_host[static_cast<std::size_t>(now)].sessions_moved_in.add();
}

void WorkloadClient::prepare_session(Connection& c) {
  // A new session may be on another host: after a failover, libpq's next host that answered.
  current_host_ = host_of(c.endpoint());
  // A batch's transfers are the single protocol's statement, in implicit transactions too.
  const bool single = config_.protocol == WorkloadProtocol::single || batched();
  if (*sql_.session && (single || sql_.session_for_pipeline)) c.exec_simple(sql_.session);
  if (single) {
    c.prepare(kSingle, sql_.single, config_.ledger ? 4 : 3);
  } else {
    c.prepare(kSelect, sql_.transfer.select_balance, 1);
    c.prepare(kDebit, sql_.transfer.debit, 2);
    c.prepare(kCredit, sql_.transfer.credit, 2);
    if (config_.ledger) c.prepare(kRecord, sql_.record, 4);
  }
  if (config_.protocol == WorkloadProtocol::pipeline && !batched()) {
    c.prepare(kBegin, sql_.begin, 0);
    c.prepare(kCommit, "COMMIT", 0);
    c.prepare(kRollback, "ROLLBACK", 0);
  }
  if (config_.protocol == WorkloadProtocol::pipeline) c.pipeline_enter();
}

void WorkloadClient::run() noexcept {
  if (batched()) return run_batches();
  try {
    next_start_ = clock::now() + interval_ * index_ / std::max(1, config_.clients);  // staggered under a rate
    while (control_.claim()) {
      if (interval_.count() > 0) wait_for_rate();
      if (control_.stopping()) break;
      next_transfer();
      const auto start = clock::now();
      try {
        (transfer() ? stats_.committed : stats_.declined).add();
        stats_.latency.record(static_cast<std::uint64_t>(micros_since(start)));
      } catch (const roachrun::RetriesExhausted& e) {
        stats_.failures.add();
        stats_.by_host[static_cast<std::size_t>(attempt_host_)].given_up.add();
        failures_.add(e.sqlstate(), e.what());
      } catch (const roachrun::AmbiguousCommit& e) {
        stats_.failures.add();
        stats_.by_host[static_cast<std::size_t>(attempt_host_)].given_up.add();
        failures_.add(e.sqlstate(), e.what());
      } catch (const roachrun::Interrupted&) {
        stats_.unfinished.add();  // the run stopped while this transfer waited for a retry
      }
    }
  } catch (...) {
    control_.fail(std::current_exception(), /*during_run=*/true);
  }
  if (conn_) attempts_->abandon(*conn_);
}

void WorkloadClient::run_batches() {
  try {
    next_start_ = clock::now() + interval_ * index_ / std::max(1, config_.clients);
    while (claim_batch() > 0) {
      try {
        const EngineCounts count{*this};
        attempt_starts();
        roachrun::run_attempts(*conn_, *attempts_, config_.retry, hooks_);
        count_batch(nullptr);
      } catch (const roachrun::RetriesExhausted& e) {
        count_batch(&stats_.failures, e.sqlstate(), e.what());
      } catch (const roachrun::AmbiguousCommit& e) {
        count_batch(&stats_.failures, e.sqlstate(), e.what());
      } catch (const roachrun::Interrupted&) {
        count_batch(&stats_.unfinished);
      } catch (...) {
        count_batch(nullptr);  // what finished before the error that ends the run
        throw;
      }
    }
  } catch (...) {
    control_.fail(std::current_exception(), /*during_run=*/true);
  }
}

int WorkloadClient::claim_batch() {
  batch_size_ = 0;
  while (batch_size_ < config_.in_flight) {
    // Under a rate limit a batch holds the transfers that are due: the first waits its turn, the
    // others join only if theirs has come.
    if (interval_.count() > 0) {
      if (batch_size_ > 0 && next_start_ > clock::now()) break;
      wait_for_rate();
    }
    if (control_.stopping() || !control_.claim()) break;
    Slot& s = batch_[static_cast<std::size_t>(batch_size_++)];
    s.choice = picker_.next();
    format(s.from, s.choice.from);
    format(s.to, s.choice.to);
    format(s.amount, s.choice.amount);
    format(s.id, ++next_id_);
    s.state = Slot::State::pending;
  }
  batch_start_ = clock::now();
  return batch_size_;
}

void WorkloadClient::count_batch(Counter* unresolved, const std::string& sqlstate, const std::string& message) {
  for (int i = 0; i < batch_size_; ++i) {
    const Slot& s = batch_[static_cast<std::size_t>(i)];
    switch (s.state) {
      case Slot::State::applied:
        stats_.committed.add();
        stats_.by_host[static_cast<std::size_t>(s.host)].committed.add();
        stats_.latency.record(static_cast<std::uint64_t>(s.latency_us));
        break;
      case Slot::State::declined:
        stats_.declined.add();
        stats_.latency.record(static_cast<std::uint64_t>(s.latency_us));
        break;
      case Slot::State::pending:
        if (!unresolved) break;
        unresolved->add();
        if (unresolved == &stats_.failures) {
          stats_.by_host[static_cast<std::size_t>(attempt_host_)].given_up.add();
          failures_.add(sqlstate, message);
        }
        break;
    }
  }
  batch_size_ = 0;
}

WorkloadClient::EngineCounts::~EngineCounts() {
  c.stats_.retries.add(static_cast<std::uint64_t>(c.txn_stats_.retries));
  c.stats_.backoff_us.add(static_cast<std::uint64_t>(c.txn_stats_.backoff.count()) * 1000);
  c.stats_.reconnects.add(static_cast<std::uint64_t>(c.txn_stats_.reconnects));
}

bool WorkloadClient::transfer() {
  const EngineCounts count{*this};
  attempt_starts();  // where it is counted if it fails before an attempt gets that far
  roachrun::run_attempts(*conn_, *attempts_, config_.retry, hooks_);
  if (outcome_ != TransferOutcome::applied) return false;
  stats_.by_host[static_cast<std::size_t>(attempt_host_)].committed.add();
  return true;
}

void WorkloadClient::next_transfer() noexcept {
  choice_ = picker_.next();
  format(from_, choice_.from);
  format(to_, choice_.to);
  format(amount_, choice_.amount);
  format(id_, ++next_id_);
}

void WorkloadClient::wait_for_rate() {
  // Does not let a client that fell behind burst to catch up by more than a second's worth.
  const auto now = clock::now();
  if (next_start_ < now - std::chrono::seconds(1)) next_start_ = now;
  if (next_start_ > now) roachrun::sleep_unless(next_start_ - now, &control_.stop_flag());
  next_start_ += interval_;
}

bool WorkloadClient::ledger_has_transfer(Connection& conn) { return ledger_has(conn, id_); }

bool WorkloadClient::ledger_has(Connection& conn, const char* id) {
  // Also on a fresh session: a plain statement, no prepared one.
  return conn.query(sql_.lookup, std::string_view(id)).rows() > 0;
}

// A transfer that found the table not as the step made it: someone else is changing it.
void WorkloadClient::table_damaged() const {
  const char* what = outcome_ == TransferOutcome::no_source         ? "source account is missing"
                     : outcome_ == TransferOutcome::no_balance      ? "source account has a NULL balance"
                     : outcome_ == TransferOutcome::source_vanished ? "source account disappeared"
                                                                    : "destination account is missing";
  throw roachrun::StepError("transfer from account " + std::to_string(choice_.from) + " to account " +
                            std::to_string(choice_.to) + ": the " + what +
                            "; the accounts table was changed by someone else during the run");
}

}  // namespace roachrun_bank
