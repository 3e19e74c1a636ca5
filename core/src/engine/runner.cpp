#include "engine/runner.hpp"

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <ostream>
#include <thread>

#include <spdlog/spdlog.h>

#include "engine/captures.hpp"
#include "engine/caught_error.hpp"
#include "engine/connection_pool.hpp"
#include "engine/exit_status.hpp"
#include "engine/formation_nodes.hpp"
#include "engine/line_synced_stream.hpp"
#include "engine/redact.hpp"
#include "sdk/cancel_registry.hpp"

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
  const std::map<std::string, std::string, std::less<>>& vars() const override {
    return step_.def->vars ? *step_.def->vars : plan_.scenario.vars;
  }
  std::ostream& out() override { return out_; }
  spdlog::logger& log() override { return log_; }
  const std::atomic<bool>& interrupted() const override { return interrupted_; }
  RetryPolicy retry_policy() const override { return step_.retry; }
  std::string_view step_name() const override { return step_.def->name; }
  // The file the step is written in: an included step's paths are relative to its own file.
  std::string_view scenario_file() const override {
    return step_.def->file.empty() ? std::string_view(plan_.scenario.file) : std::string_view(step_.def->file);
  }
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

StepOutcome outcome_head(const PlannedStep& step, const ScenarioPlan& plan) {
  StepOutcome result;
  result.number = step.def->number;
  result.name = step.def->name;
  result.type = step.def->type;
  if (step.def->block != 0) {
    result.block = plan.scenario.blocks[static_cast<std::size_t>(step.def->block - 1)].name;
    result.branch = step.def->branch;
  }
  return result;
}

}  // namespace

ScenarioOutcome not_run(const ScenarioPlan& plan, const std::string& reason) {
  ScenarioOutcome outcome;
  outcome.file = plan.scenario.file;
  outcome.name = plan.scenario.name;
  for (const PlannedStep& step : plan.steps) {
    StepOutcome result = outcome_head(step, plan);
    result.skip_reason = reason;
    outcome.steps.push_back(std::move(result));
  }
  return outcome;
}

Runner::Runner(spdlog::logger& log, std::ostream& out, Interrupts& interrupts, bool progress)
    : log_(log), out_(out), interrupts_(interrupts), progress_(progress) {}

// One scenario's run: its steps in order, a parallel block's branches each on a thread of its own.
class Runner::Run {
 public:
  Run(Runner& runner, const ScenarioPlan& plan, const Target& target)
      : r_(runner), plan_(plan), target_(target), start_(clock::now()) {}

  ScenarioOutcome go() {
    outcome_.file = plan_.scenario.file;
    outcome_.name = plan_.scenario.name;
    r_.log_.info("scenario {} ({}) on {}", plan_.scenario.name, plan_.scenario.file, target_.describe());
    ConnectionPool pool(plan_.scenario, target_, r_.log_);
    pool_ = &pool;
    // The steps' node control (roachrun::local_nodes) for this scenario; what it has pending when
    // the scenario ends is cancelled.
    ScenarioNodes nodes(target_, r_.log_, r_.interrupts_.flag());
    outcome_.steps.resize(plan_.steps.size());
    for (std::size_t i = 0; i < plan_.steps.size();) {
      const int block = plan_.steps[i].def->block;
      if (block == 0) {
        outcome_.steps[i] = run_step(plan_.steps[i], pool, r_.out_, r_.interrupts_.flag(), nullptr);
        ++i;
        continue;
      }
      std::size_t end = i;
      while (end < plan_.steps.size() && plan_.steps[end].def->block == block) ++end;
      run_block(plan_.scenario.blocks[static_cast<std::size_t>(block - 1)], i, end);
      i = end;
    }
    outcome_.duration = since_start();
    if (outcome_.exit_code == kExitOk && r_.interrupts_.flag())
      outcome_.exit_code = exit_code_for(ErrorKind::interrupted);
    const int total = static_cast<int>(plan_.steps.size());
    int passed = 0, selected = 0;
    for (const auto& s : plan_.steps) selected += s.skip_reason.empty();
    for (const auto& s : outcome_.steps) passed += s.status == StepStatus::passed;
    r_.log_.info("scenario {}: {} of {} steps passed in {} ms{}", plan_.scenario.name, passed, total,
                 outcome_.duration.count(), selected == total ? "" : " (" + std::to_string(selected) + " selected)");
    return std::move(outcome_);
  }

 private:
  using clock = std::chrono::steady_clock;

  // Why a branch's steps stop: another branch failed.
  struct BlockStop {
    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::string failed_branch;
    std::vector<std::uint64_t> scopes;  // each branch's cancel scope (set before the threads start)

    // Stops every branch: the flag for what runs between statements, a cancel request for what
    // the branches' own sessions are running.
    void stop_all() {
      if (stop.exchange(true)) return;
      for (std::uint64_t scope : scopes) cancel_scope(scope);
    }
  };

  std::chrono::milliseconds since_start() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start_);
  }

  bool failed() {
    std::lock_guard lock(mutex_);
    return failed_;
  }

  // The first failure decides the exit code; later ones (a branch beside it) are reported only.
  void note_failure(ErrorKind kind) {
    std::lock_guard lock(mutex_);
    if (failed_) return;
    failed_ = true;
    outcome_.exit_code = exit_code_for(kind);
  }

  std::string head(const PlannedStep& step) const {
    return "[" + std::to_string(step.def->number) + "/" + std::to_string(plan_.steps.size()) + "] " +
           (step.def->branch.empty() ? "" : step.def->branch + ": ") + step.def->name +
           (step.def->name == step.def->type ? "" : " (" + step.def->type + ")");
  }

  // Runs one step (or says why not). `stop` is what the step sees as interrupted(): Ctrl-C, or in
  // a parallel block also another branch's failure (`block`).
  StepOutcome run_step(const PlannedStep& step, ConnectionPool& pool, std::ostream& out,
                       const std::atomic<bool>& stop, BlockStop* block) {
    StepOutcome result = outcome_head(step, plan_);
    const std::string line = head(step);
    if (!step.skip_reason.empty() || failed() || stop) {
      result.status = StepStatus::skipped;
      result.skip_reason = !step.skip_reason.empty() ? step.skip_reason
                           : r_.interrupts_.flag()   ? "interrupted"
                           : block && block->stop    ? "stopped: branch '" + failed_branch(*block) + "' failed"
                                                     : "an earlier step failed";
      r_.log_.info("{}: skipped ({})", line, result.skip_reason);
      return result;
    }
    r_.log_.debug("{}: running", line);
    const auto start = clock::now();
    result.started = since_start();
    try {
      const Params params = step.deferred ? params_at_run_time(step, captures_.snapshot()) : step.params;
      RunningStep context(step, plan_, pool, r_.log_, out, stop, r_.progress_, result);
      step.step->type.run(context, params);
      out.flush();
      if (stop) throw Interrupted();
      capture(step, result);
      result.status = StepStatus::passed;
    } catch (...) {
      // Everything a step throws stops here, whatever its type: the exception (maybe plugin code)
      // is gone when this block ends, and the run goes on to write its reports and clean up.
      out.flush();
      record_failure(result, step, describe_current_exception(), r_.interrupts_.flag());
    }
    result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start);
    if (result.status == StepStatus::passed) {
      r_.log_.info("{}: ok in {} ms{}", line, result.duration.count(), stats_text(result.transactions));
    } else if (block && block->stop && !r_.interrupts_.flag()) {
      // Stopped because a branch beside it failed: that failure is the one to report.
      result.status = StepStatus::skipped;
      result.error_kind.reset();
      result.error_type.clear();
      result.sqlstate.clear();
      result.skip_reason = "stopped after " + std::to_string(result.duration.count()) + " ms: branch '" +
                           failed_branch(*block) + "' failed";
      result.message.clear();
      r_.log_.warn("{}: {}", line, result.skip_reason);
    } else {
      r_.log_.error("{}: FAILED after {} ms{}: {}", line, result.duration.count(), stats_text(result.transactions),
                    result.message);
      note_failure(*result.error_kind);
      if (block) {
        {
          std::lock_guard lock(block->mutex);
          if (block->failed_branch.empty()) block->failed_branch = step.def->branch;
        }
        block->stop_all();
      }
    }
    return result;
  }

  static std::string failed_branch(BlockStop& block) {
    std::lock_guard lock(block.mutex);
    return block.failed_branch;
  }

  // Stores what the step's `capture:` names; a part its result lacks fails the step.
  void capture(const PlannedStep& step, const StepOutcome& result) {
    for (const auto& c : step.def->captures) {
      std::string value = capture_text(captured_part(result.result, c, step.def->number));
      r_.log_.debug("captured {} = {}", c.name, redactor().redact(value.substr(0, 200)));
      captures_.set(c.name, std::move(value));
    }
  }

  // Steps [first, end) of the plan, a parallel block: each branch's steps in order on a thread of
  // its own, with connections of its own; all joined before it returns. A failing branch stops
  // the others (their steps see interrupted(), as on Ctrl-C); Ctrl-C stops them all.
  void run_block(const ParallelBlock& def, std::size_t first, std::size_t end) {
    struct Branch {
      std::string name;
      std::vector<std::size_t> steps;
    };
    std::vector<Branch> branches;
    for (const auto& name : def.branches) branches.push_back({name, {}});
    for (std::size_t i = first; i < end; ++i)
      for (auto& b : branches)
        if (b.name == plan_.steps[i].def->branch) b.steps.push_back(i);
    // A branch with no step selected (--only, --skip, --from) does not start: its steps are
    // reported skipped here.
    const auto selected = [&](const Branch& b) {
      return std::any_of(b.steps.begin(), b.steps.end(), [&](std::size_t i) { return plan_.steps[i].skip_reason.empty(); });
    };
    for (const auto& b : branches)
      if (!selected(b))
        for (std::size_t i : b.steps) outcome_.steps[i] = run_step(plan_.steps[i], *pool_, r_.out_, r_.interrupts_.flag(), nullptr);
    branches.erase(std::remove_if(branches.begin(), branches.end(), [&](const Branch& b) { return !selected(b); }),
                   branches.end());
    if (branches.empty()) return;
    std::string names;
    for (const auto& b : branches) names += (names.empty() ? "" : ", ") + b.name;
    r_.log_.info("parallel block '{}': {} branches at the same time ({})", def.name, branches.size(), names);
    const auto start = clock::now();
    BlockStop block;
    static std::atomic<std::uint64_t> next_scope{1};
    for (std::size_t i = 0; i < branches.size(); ++i) block.scopes.push_back(next_scope++);
    std::mutex out_mutex;
    std::atomic<std::size_t> finished{0};
    auto run_branch = [&](const Branch& b, std::uint64_t scope) {
      set_cancel_scope(scope);
      ConnectionPool pool(plan_.scenario, target_, r_.log_);
      LineSyncedStream out(r_.out_, out_mutex);
      for (std::size_t i : b.steps) {
        outcome_.steps[i] = run_step(plan_.steps[i], pool, out, block.stop, &block);
        out.flush_all();
      }
    };
    std::vector<std::thread> threads;
    threads.reserve(branches.size());
    for (std::size_t bi = 0; bi < branches.size(); ++bi) {
      const Branch& b = branches[bi];
      try {
        threads.emplace_back([&, &b = b, scope = block.scopes[bi]] {
          run_branch(b, scope);
          ++finished;
        });
      } catch (const std::system_error& e) {
        // No thread for this branch: the block cannot run as written; stop the ones started.
        r_.log_.error("parallel block '{}': could not start a thread for branch '{}': {}", def.name, b.name, e.what());
        note_failure(ErrorKind::step);
        block.stop_all();
        for (std::size_t i : b.steps) {
          outcome_.steps[i] = outcome_head(plan_.steps[i], plan_);
          outcome_.steps[i].skip_reason = "no thread for its branch";
        }
        ++finished;
      }
    }
    // Ctrl-C reaches the branches through their stop flag; 20 ms is well within the 2 s bound.
    while (finished < branches.size()) {
      if (r_.interrupts_.flag()) block.stop = true;  // Ctrl-C cancelled every statement already
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    for (auto& t : threads) t.join();
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start);
    r_.log_.info("parallel block '{}': {} branches joined after {} ms", def.name, branches.size(), took.count());
  }

  Runner& r_;
  const ScenarioPlan& plan_;
  const Target& target_;
  const clock::time_point start_;
  ScenarioOutcome outcome_;
  CaptureTable captures_;
  ConnectionPool* pool_ = nullptr;  // the scenario's connections, outside parallel blocks
  std::mutex mutex_;
  bool failed_ = false;
};

ScenarioOutcome Runner::run(const ScenarioPlan& plan, const Target& target) { return Run(*this, plan, target).go(); }

}  // namespace roachrun
