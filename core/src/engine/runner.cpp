#include "engine/runner.hpp"

#include <cstdio>
#include <ostream>

#include <spdlog/spdlog.h>

#include "engine/connection_pool.hpp"
#include "engine/exit_status.hpp"
#include "engine/redact.hpp"

namespace roachrun {

namespace {

class RunningStep final : public StepContext {
 public:
  RunningStep(const PlannedStep& step, const ScenarioPlan& plan, ConnectionPool& pool, spdlog::logger& log,
              std::ostream& out, const std::atomic<bool>& interrupted, bool progress, StepOutcome& outcome)
      : step_(step),
        plan_(plan),
        pool_(pool),
        log_(log),
        out_(out),
        interrupted_(interrupted),
        progress_(progress),
        outcome_(outcome) {}

  Connection& connection() override { return pool_.get(step_.def->connection); }
  Connection& connection(std::string_view name) override { return pool_.get(name); }
  std::vector<std::pair<std::string, std::string>> connection_options(std::string_view name) const override {
    return pool_.options(name.empty() ? std::string_view(step_.def->connection) : name);
  }
  const std::map<std::string, std::string, std::less<>>& vars() const override { return plan_.scenario.vars; }
  std::ostream& out() override { return out_; }
  spdlog::logger& log() override { return log_; }
  const std::atomic<bool>& interrupted() const override { return interrupted_; }
  RetryPolicy retry_policy() const override { return step_.retry; }
  std::string_view step_name() const override { return step_.def->name; }
  std::string_view scenario_file() const override { return plan_.scenario.file; }
  bool progress_enabled() const override { return progress_; }
  void progress(std::string_view line) override {
    if (!progress_) return;
    log_.flush();  // keep the order of log lines and progress lines as they happened
    std::string text(line);
    text += '\n';
    std::fwrite(text.data(), 1, text.size(), stderr);  // one write per line: never interleaved
    std::fflush(stderr);
  }
  void set_result(Value result) override { outcome_.result = std::move(result); }

 protected:
  void add_transaction_stats(const TransactionStats& s) override {
    TransactionStats& stats = outcome_.transactions;
    stats.attempts += s.attempts;
    stats.retries += s.retries;
    stats.backoff += s.backoff;
  }

 private:
  const PlannedStep& step_;
  const ScenarioPlan& plan_;
  ConnectionPool& pool_;
  spdlog::logger& log_;
  std::ostream& out_;
  const std::atomic<bool>& interrupted_;
  bool progress_;
  StepOutcome& outcome_;
};

std::string stats_text(const TransactionStats& s) {
  if (s.attempts == 0) return "";
  std::string text = ", " + std::to_string(s.attempts) + (s.attempts == 1 ? " attempt" : " attempts");
  if (s.retries > 0)
    text += ", " + std::to_string(s.retries) + (s.retries == 1 ? " retry" : " retries") + ", " +
            std::to_string(s.backoff.count()) + " ms in backoff";
  return text;
}

// The most specific SDK error type of `e`, for reports.
std::string error_class(const Error& e) {
  if (dynamic_cast<const RetriesExhausted*>(&e)) return "RetriesExhausted";
  if (dynamic_cast<const AmbiguousCommit*>(&e)) return "AmbiguousCommit";
  if (dynamic_cast<const DbError*>(&e)) return "DbError";
  if (dynamic_cast<const StepError*>(&e)) return "StepError";
  if (dynamic_cast<const ConnectError*>(&e)) return "ConnectError";
  if (dynamic_cast<const Interrupted*>(&e)) return "Interrupted";
  if (dynamic_cast<const ParamError*>(&e)) return "ParamError";
  if (dynamic_cast<const ValidationError*>(&e)) return "ValidationError";
  if (dynamic_cast<const PluginError*>(&e)) return "PluginError";
  if (dynamic_cast<const UsageError*>(&e)) return "UsageError";
  return "Error";
}

StepOutcome outcome_head(const PlannedStep& step) {
  StepOutcome result;
  result.number = step.def->number;
  result.name = step.def->name;
  result.type = step.def->type;
  return result;
}

}  // namespace

ScenarioOutcome not_run(const ScenarioPlan& plan, const std::string& reason) {
  ScenarioOutcome outcome;
  outcome.file = plan.scenario.file;
  outcome.name = plan.scenario.name;
  for (const PlannedStep& step : plan.steps) {
    StepOutcome result = outcome_head(step);
    result.skip_reason = reason;
    outcome.steps.push_back(std::move(result));
  }
  return outcome;
}

Runner::Runner(spdlog::logger& log, std::ostream& out, Interrupts& interrupts, bool progress)
    : log_(log), out_(out), interrupts_(interrupts), progress_(progress) {}

ScenarioOutcome Runner::run(const ScenarioPlan& plan, const Target& target) {
  using clock = std::chrono::steady_clock;
  ScenarioOutcome outcome;
  outcome.file = plan.scenario.file;
  outcome.name = plan.scenario.name;
  const auto scenario_start = clock::now();
  const int total = static_cast<int>(plan.steps.size());
  log_.info("scenario {} ({}) on {}", plan.scenario.name, plan.scenario.file, target.describe());

  ConnectionPool pool(plan.scenario, target, log_);
  bool stopped = false;
  for (const PlannedStep& step : plan.steps) {
    StepOutcome result = outcome_head(step);
    const std::string head = "[" + std::to_string(step.def->number) + "/" + std::to_string(total) + "] " + step.def->name +
                             (step.def->name == step.def->type ? "" : " (" + step.def->type + ")");
    if (!step.skip_reason.empty() || stopped || interrupts_.flag()) {
      result.status = StepStatus::skipped;
      result.skip_reason = !step.skip_reason.empty() ? step.skip_reason
                           : interrupts_.flag()      ? "interrupted"
                                                     : "an earlier step failed";
      log_.info("{}: skipped ({})", head, result.skip_reason);
      outcome.steps.push_back(std::move(result));
      continue;
    }
    log_.debug("{}: running", head);
    const auto start = clock::now();
    try {
      RunningStep context(step, plan, pool, log_, out_, interrupts_.flag(), progress_, result);
      step.step->type.run(context, step.params);
      out_.flush();
      if (interrupts_.flag()) throw Interrupted();
      result.status = StepStatus::passed;
    } catch (const Error& e) {
      out_.flush();
      result.status = StepStatus::failed;
      // A statement cancelled by Ctrl-C surfaces as a DbError (57014): report the interruption.
      result.error_kind = interrupts_.flag() ? ErrorKind::interrupted : e.kind();
      result.error_class = interrupts_.flag() ? "Interrupted" : error_class(e);
      result.message = interrupts_.flag() ? "interrupted" : redactor().redact(e.what());
      if (const auto* db = dynamic_cast<const DbError*>(&e)) result.sqlstate = db->sqlstate();
    } catch (const std::exception& e) {
      result.status = StepStatus::failed;
      result.error_kind = ErrorKind::step;
      result.error_class = "std::exception";
      result.message = redactor().redact(std::string("unexpected error: ") + e.what());
    }
    result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start);
    if (result.status == StepStatus::passed) {
      log_.info("{}: ok in {} ms{}", head, result.duration.count(), stats_text(result.transactions));
    } else {
      log_.error("{}: FAILED after {} ms{}: {}", head, result.duration.count(), stats_text(result.transactions),
                 result.message);
      outcome.exit_code = exit_code_for(*result.error_kind);
      stopped = true;
    }
    outcome.steps.push_back(std::move(result));
  }
  outcome.duration = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - scenario_start);
  if (outcome.exit_code == 0 && interrupts_.flag()) outcome.exit_code = kExitInterrupted;
  int passed = 0, selected = 0;
  for (const auto& s : plan.steps) selected += s.skip_reason.empty();
  for (const auto& s : outcome.steps) passed += s.status == StepStatus::passed;
  log_.info("scenario {}: {} of {} steps passed in {} ms{}", plan.scenario.name, passed, total, outcome.duration.count(),
            selected == total ? "" : " (" + std::to_string(selected) + " selected)");
  return outcome;
}

}  // namespace roachrun
