#include "workload_client.hpp"

#include <algorithm>
#include <charconv>
#include <thread>

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

const char* isolation_name(roachrun::Isolation i) noexcept {
  switch (i) {
    case roachrun::Isolation::serializable: return "serializable";
    case roachrun::Isolation::repeatable_read: return "repeatable read";
    case roachrun::Isolation::read_committed: return "read committed";
    case roachrun::Isolation::server_default: return "";
  }
  return "";
}

std::int64_t micros_since(clock::time_point start) noexcept {
  return std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - start).count();
}

// A transfer that found the table not as the step made it: someone else is changing it.
[[noreturn]] void table_damaged(TransferOutcome outcome, const TransferChoice& c) {
  const char* what = outcome == TransferOutcome::no_source        ? "source account is missing"
                     : outcome == TransferOutcome::no_balance     ? "source account has a NULL balance"
                     : outcome == TransferOutcome::source_vanished ? "source account disappeared"
                                                                   : "destination account is missing";
  throw roachrun::StepError("transfer from account " + std::to_string(c.from) + " to account " +
                            std::to_string(c.to) + ": the " + what +
                            "; the accounts table was changed by someone else during the run");
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
  sql.begin = roachrun::begin_statement(config.retry.isolation);
  if (const char* level = isolation_name(config.retry.isolation); *level)
    sql.session = std::string("SET default_transaction_isolation = '") + level + "'";
  return sql;
}

WorkloadClient::WorkloadClient(int index, const WorkloadConfig& config, const WorkloadSql& sql, Options options,
                               RunControl& control, ClientStats& stats, FailureLog& failures)
    : index_(index),
      config_(config),
      sql_(sql),
      options_(std::move(options)),
      control_(control),
      stats_(stats),
      failures_(failures),
      picker_(config, config.seed + static_cast<std::uint64_t>(index)),
      jitter_(config.seed ^ (0x5bd1e995ULL * static_cast<std::uint64_t>(index + 1))),
      // Ledger ids: unique per client and transfer, and BIGINT-sized.
      next_id_(static_cast<std::int64_t>(index + 1) * 1'000'000'000'000LL) {
  op_ = [this](Connection& conn) { tutorial_body(conn); };
  hooks_.interrupted = &control_.stop_flag();  // the deadline or Ctrl-C ends a backoff sleep
  hooks_.stats = &txn_stats_;
  if (config_.ledger) hooks_.resolve_ambiguous = [this](Connection& conn) { return ledger_has_transfer(conn); };
  else hooks_.ambiguous_advice = "run with ledger: true to resolve ambiguous commits";
  if (config_.rate) {
    const double per_client = static_cast<double>(*config_.rate) / config_.clients;
    interval_ = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / per_client));
  }
}

bool WorkloadClient::connect() noexcept {
  try {
    conn_.emplace(Connection::open(options_, "workload client " + std::to_string(index_ + 1)));
    prepare_session();
    return true;
  } catch (...) {
    control_.fail(std::current_exception());
    return false;
  }
}

void WorkloadClient::prepare_session() {
  Connection& c = *conn_;
  if (!sql_.session.empty() && config_.protocol == WorkloadProtocol::single) c.exec_params(sql_.session);
  if (config_.protocol == WorkloadProtocol::single) {
    c.prepare(kSingle, sql_.single, config_.ledger ? 4 : 3);
  } else {
    c.prepare(kSelect, sql_.transfer.select_balance, 1);
    c.prepare(kDebit, sql_.transfer.debit, 2);
    c.prepare(kCredit, sql_.transfer.credit, 2);
    if (config_.ledger) c.prepare(kRecord, sql_.record, 4);
  }
  if (config_.protocol == WorkloadProtocol::pipeline) {
    c.prepare(kBegin, sql_.begin, 0);
    c.prepare(kCommit, "COMMIT", 0);
    c.prepare(kRollback, "ROLLBACK", 0);
    c.pipeline_enter();
  }
  session_ = c.native_handle();
}

void WorkloadClient::run() noexcept {
  try {
    next_start_ = clock::now() + interval_ * index_ / std::max(1, config_.clients);  // staggered under a rate
    while (control_.claim()) {
      if (interval_.count() > 0) wait_for_rate();
      if (control_.stopping()) break;
      next_transfer();
      const auto start = clock::now();
      try {
        Result r = Result::declined;
        switch (config_.protocol) {
          case WorkloadProtocol::tutorial: r = transfer_tutorial(); break;
          case WorkloadProtocol::single: r = transfer_single(); break;
          case WorkloadProtocol::pipeline: r = transfer_pipeline(); break;
        }
        (r == Result::applied ? stats_.committed : stats_.declined).add();
        stats_.latency.record(static_cast<std::uint64_t>(micros_since(start)));
      } catch (const roachrun::RetriesExhausted& e) {
        stats_.failures.add();
        failures_.add(e.sqlstate(), e.what());
      } catch (const roachrun::AmbiguousCommit& e) {
        stats_.failures.add();
        failures_.add(e.sqlstate(), e.what());
      } catch (const roachrun::Interrupted&) {
        stats_.unfinished.add();  // the run stopped while this transfer waited for a retry
      }
    }
  } catch (...) {
    control_.fail(std::current_exception(), /*during_run=*/true);
  }
  if (conn_) rollback_if_open();
}

void WorkloadClient::next_transfer() noexcept {
  choice_ = picker_.next();
  format(from_, choice_.from);
  format(to_, choice_.to);
  format(amount_, choice_.amount);
  format(id_, ++next_id_);
}

void WorkloadClient::wait_for_rate() {
  // Sleeps in slices so a stop is noticed; does not let a client that fell behind burst to
  // catch up by more than a second's worth.
  const auto now = clock::now();
  if (next_start_ < now - std::chrono::seconds(1)) next_start_ = now;
  while (clock::now() < next_start_ && !control_.stopping())
    std::this_thread::sleep_for(std::min<clock::duration>(next_start_ - clock::now(), std::chrono::milliseconds(50)));
  next_start_ += interval_;
}

// --- tutorial: bank.transfer's statements inside the SDK's run_transaction ------------------

void WorkloadClient::tutorial_body(Connection& conn) {
  // run_transaction replaces a lost connection in place: a new session has no prepared
  // statements yet (preparing inside the transaction is fine: they are not transactional).
  if (conn.native_handle() != session_) prepare_session();
  std::int64_t balance = 0;
  const TransferValues values{from_, to_, amount_, choice_.amount};
  outcome_ = transfer_funds(
      [&conn](TransferStatement s, int count, const char* const* v) { return conn.exec_prepared(statement_name(s), count, v); },
      values, balance);
  if (outcome_ == TransferOutcome::applied) {
    if (config_.ledger) {
      const char* const record[] = {id_, from_, to_, amount_};
      conn.exec_prepared(kRecord, 4, record);
    }
  } else if (outcome_ != TransferOutcome::insufficient_funds) {
    table_damaged(outcome_, choice_);  // rolls the transaction back
  }
}

WorkloadClient::Result WorkloadClient::transfer_tutorial() {
  try {
    roachrun::run_transaction(*conn_, op_, config_.retry, hooks_);
  } catch (...) {
    stats_.retries.add(static_cast<std::uint64_t>(txn_stats_.retries));
    stats_.backoff_us.add(static_cast<std::uint64_t>(txn_stats_.backoff.count()) * 1000);
    throw;
  }
  stats_.retries.add(static_cast<std::uint64_t>(txn_stats_.retries));
  stats_.backoff_us.add(static_cast<std::uint64_t>(txn_stats_.backoff.count()) * 1000);
  // An ambiguous COMMIT resolved from the ledger as committed: only applied transfers write it.
  return outcome_ == TransferOutcome::applied ? Result::applied : Result::declined;
}

// --- single and pipeline: their own attempts, the same retry rules --------------------------

bool WorkloadClient::ledger_has_transfer(Connection& conn) {
  // On a fresh session (the old one is gone): plain statement, no prepared one, no pipeline.
  return conn.query(sql_.lookup, std::string_view(id_)).rows() > 0;
}

void WorkloadClient::rollback_if_open() noexcept {
  try {
    Connection& c = *conn_;
    if (!c.is_ok() || !c.in_transaction()) return;
    if (config_.protocol == WorkloadProtocol::pipeline) {
      roachrun::Result done;
      c.queue("ROLLBACK");
      c.pipeline_sync();
      c.read_flight(&done, 1);
    } else {
      c.exec_simple("ROLLBACK");
    }
  } catch (...) {
    // The transaction is over either way; the error that led here is what matters.
  }
}

void WorkloadClient::sleep_backoff(std::chrono::milliseconds delay) {
  const auto until = clock::now() + delay;
  while (clock::now() < until) {
    if (control_.stopping()) throw roachrun::Interrupted();
    std::this_thread::sleep_for(std::min<clock::duration>(until - clock::now(), std::chrono::milliseconds(20)));
  }
}

template <typename Attempt>
WorkloadClient::Result WorkloadClient::with_retries(Attempt&& attempt) {
  const roachrun::RetryPolicy& policy = config_.retry;
  const auto start = clock::now();
  for (int n = 1;; ++n) {
    bool during_commit = false;
    try {
      if (!conn_->is_ok() || conn_->native_handle() != session_) {
        conn_->reconnect();
        prepare_session();
      }
      return attempt(during_commit);
    } catch (const DbError& e) {
      const roachrun::ErrorClass cls = roachrun::classify(e, during_commit);
      rollback_if_open();
      if (cls == roachrun::ErrorClass::final) throw;
      if (cls == roachrun::ErrorClass::ambiguous) {
        if (!config_.ledger) throw roachrun::AmbiguousCommit(n, e, hooks_.ambiguous_advice);
        if (!conn_->is_ok()) {
          conn_->reconnect();
          prepare_session();
        }
        // The ledger row is written only by an applied transfer, in its transaction.
        if (config_.protocol == WorkloadProtocol::pipeline) conn_->pipeline_exit();
        const bool committed = ledger_has_transfer(*conn_);
        if (config_.protocol == WorkloadProtocol::pipeline) conn_->pipeline_enter();
        if (committed) return Result::applied;
      }
      if (n > policy.max_retries) throw roachrun::RetriesExhausted(n, e, std::string(roachrun::to_string(cls)));
      const auto delay = roachrun::backoff_delay(policy, n, jitter_.unit());
      if (policy.budget && std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start) + delay >
                               *policy.budget)
        throw roachrun::RetriesExhausted(n, e, std::string(roachrun::to_string(cls)),
                                         "within its time budget of " + std::to_string(policy.budget->count()) + " ms");
      stats_.retries.add();
      if (control_.stopping()) throw roachrun::Interrupted();
      sleep_backoff(delay);
      stats_.backoff_us.add(static_cast<std::uint64_t>(delay.count()) * 1000);
    }
  }
}

WorkloadClient::Result WorkloadClient::transfer_single() {
  return with_retries([this](bool& during_commit) {
    // The statement is its own transaction: its reply is the COMMIT's.
    during_commit = true;
    const char* const values[] = {from_, to_, amount_, id_};
    return conn_->exec_prepared(kSingle, config_.ledger ? 4 : 3, values).affected_rows() == sql_.single_applied_rows
               ? Result::applied
               : Result::declined;
  });
}

WorkloadClient::Result WorkloadClient::transfer_pipeline() {
  return with_retries([this](bool& during_commit) {
    Connection& c = *conn_;
    // Flight 1: the whole transaction but its end. The UPDATEs run even when the SELECT will
    // show too little money: the ROLLBACK of flight 2 undoes them.
    const char* const from[] = {from_};
    const char* const debit[] = {amount_, from_};
    const char* const credit[] = {amount_, to_};
    const char* const record[] = {id_, from_, to_, amount_};
    c.queue_prepared(kBegin, 0, nullptr);
    c.queue_prepared(kSelect, 1, from);
    c.queue_prepared(kDebit, 2, debit);
    c.queue_prepared(kCredit, 2, credit);
    if (config_.ledger) c.queue_prepared(kRecord, 4, record);
    c.pipeline_sync();
    roachrun::Result results[5];
    c.read_flight(results, config_.ledger ? 5 : 4);

    const roachrun::Result& balance = results[1];
    TransferOutcome outcome = TransferOutcome::applied;
    if (balance.rows() == 0) outcome = TransferOutcome::no_source;
    else if (balance.is_null(0, 0)) outcome = TransferOutcome::no_balance;
    else if (balance.integer(0, 0) < choice_.amount) outcome = TransferOutcome::insufficient_funds;
    else if (results[2].affected_rows() == 0) outcome = TransferOutcome::source_vanished;
    else if (results[3].affected_rows() == 0) outcome = TransferOutcome::no_destination;

    // Flight 2: COMMIT, or ROLLBACK when the money was not there.
    roachrun::Result end;
    if (outcome == TransferOutcome::applied) {
      during_commit = true;
      c.queue_prepared(kCommit, 0, nullptr);
    } else {
      c.queue_prepared(kRollback, 0, nullptr);
    }
    c.pipeline_sync();
    c.read_flight(&end, 1);
    if (outcome == TransferOutcome::applied) return Result::applied;
    if (outcome == TransferOutcome::insufficient_funds) return Result::declined;
    table_damaged(outcome, choice_);
  });
}

}  // namespace roachrun_bank
