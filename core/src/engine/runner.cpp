#include "engine/runner.hpp"

#include <cstdio>
#include <ostream>

#include <spdlog/spdlog.h>

#include "engine/caught_error.hpp"
#include "engine/connection_pool.hpp"
#include "engine/exit_status.hpp"
#include "engine/formation_nodes.hpp"
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

  Connection& connection() override { return pool_.get(step_.def->connection, step_.retry, &interrupted_); }
  Connection& connection(std::string_view name) override { return pool_.get(name, step_.retry, &interrupted_); }
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

// Only the kinds a running step can have pass the step boundary: anything else a step throws (a
// ParamError from run(), a ValidationError) fails just this step, with exit 1: the run had
// started, so it must not exit 2, "nothing ran".
ErrorKind kind_at_step_boundary(ErrorKind kind) {
  return kind == ErrorKind::connection || kind == ErrorKind::interrupted ? kind : ErrorKind::step;
}

// Fills in the failure of `step` from what it threw. What is not a roachrun::Error (a plugin bug)
// is named with the plugin and the step, so the user knows whom to tell.
void record_failure(StepOutcome& result, const PlannedStep& step, const CaughtError& caught, bool interrupted) {
  result.status = StepStatus::failed;
  result.sqlstate = caught.sqlstate;
  if (interrupted) {
    // A statement cancelled by Ctrl-C surfaces as a DbError (57014): report the interruption.
    const Interrupted stop;
    result.error_kind = stop.kind();
    result.error_type = stop.type_name();
    result.message = stop.what();
    return;
  }
  result.error_type = caught.type;
  if (caught.kind) {
    result.error_kind = kind_at_step_boundary(*caught.kind);
    result.message = redactor().redact(caught.message);
    return;
  }
  result.error_kind = ErrorKind::step;
  result.message = redactor().redact(unexpected_exception_text(
      caught, "from plugin '" + step.step->plugin + "' in step " + std::to_string(step.def->number) + " '" +
                  step.def->name + "' (" + step.def->type + ")"));
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
  // The steps' node control (roachrun::local_nodes) for this scenario; what it has pending when
  // the scenario ends is cancelled.
  ScenarioNodes nodes(target, log_, interrupts_.flag());
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
    } catch (...) {
      // Everything a step throws stops here, whatever its type: the exception (maybe plugin code)
      // is gone when this block ends, and the run goes on to write its reports and clean up.
      out_.flush();
      record_failure(result, step, describe_current_exception(), interrupts_.flag());
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
  if (outcome.exit_code == kExitOk && interrupts_.flag()) outcome.exit_code = exit_code_for(ErrorKind::interrupted);
  int passed = 0, selected = 0;
  for (const auto& s : plan.steps) selected += s.skip_reason.empty();
  for (const auto& s : outcome.steps) passed += s.status == StepStatus::passed;
  log_.info("scenario {}: {} of {} steps passed in {} ms{}", plan.scenario.name, passed, total, outcome.duration.count(),
            selected == total ? "" : " (" + std::to_string(selected) + " selected)");
  return outcome;
}

}  // namespace roachrun
