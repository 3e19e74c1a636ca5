// A StepContext for a plugin's own unit tests: run a step type's `run` outside roachrun and look
// at what it did.
//
//   roachrun::testing::FakeStepContext ctx;
//   ctx.set_var("who", "maxroach");
//   my_step.run(ctx, roachrun::Params(roachrun::Value{{"text", "hi"}}));
//   EXPECT_EQ(ctx.printed(), "hi\n");
//
// Everything a step writes is captured (out(), log(), progress(), set_result(), the statistics of
// ctx.transaction(...)). It has no connection unless the test gives it libpq options, e.g. of a
// server the test started; then connection() opens one on first use and keeps it, as the real
// context does. Header-only: link roachrun::sdk and nothing else.
//
// The namespace is roachrun::testing: inside `namespace roachrun { ... }`, name GoogleTest's as
// ::testing.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include "roachrun/connection.hpp"
#include "roachrun/error.hpp"
#include "roachrun/params.hpp"
#include "roachrun/retry.hpp"
#include "roachrun/step.hpp"

namespace roachrun::testing {

// Not thread-safe, like the real context; interrupt() and interrupted() are.
class FakeStepContext : public StepContext {
 public:
  using Options = std::vector<std::pair<std::string, std::string>>;

  FakeStepContext() {
    log_.set_pattern("%l: %v");
    log_.set_level(spdlog::level::trace);
  }
  FakeStepContext(const FakeStepContext&) = delete;
  FakeStepContext& operator=(const FakeStepContext&) = delete;

  // --- What the test sets up --------------------------------------------------------------------

  // libpq options of connection `name` ("" = the step's own, what connection() returns).
  void set_connection_options(Options options, std::string name = "") {
    connections_.erase(name);
    options_[std::move(name)] = std::move(options);
  }
  void set_var(std::string name, std::string value) { vars_[std::move(name)] = std::move(value); }
  void set_retry_policy(RetryPolicy policy) { policy_ = policy; }
  void set_step_name(std::string name) { step_name_ = std::move(name); }
  void set_scenario_file(std::string file) { scenario_file_ = std::move(file); }
  // progress_enabled() answers this (default false, as when stderr is no terminal).
  void enable_progress(bool on = true) { progress_on_ = on; }
  // As Ctrl-C does; callable from another thread while the step runs.
  void interrupt() { interrupted_ = true; }

  // --- What the step did ------------------------------------------------------------------------

  std::string printed() const { return out_.str(); }  // everything written to out()
  std::string logged() const {                        // "info: message\n" per log() line, all levels
    log_.flush();
    return log_text_.str();
  }
  const std::vector<std::string>& progress_lines() const { return progress_; }
  const std::optional<Value>& result() const { return result_; }  // the last set_result()
  const std::vector<TransactionStats>& transactions() const { return transactions_; }

  // --- StepContext ------------------------------------------------------------------------------

  Connection& connection() override { return connection(""); }
  Connection& connection(std::string_view name) override {
    if (auto open = connections_.find(name); open != connections_.end()) return open->second;
    Options options = connection_options(name);
    Connection conn = Connection::open(std::move(options), name.empty() ? "test" : std::string(name));
    return connections_.emplace(std::string(name), std::move(conn)).first->second;
  }
  Options connection_options(std::string_view name) const override {
    auto it = options_.find(name);
    if (it == options_.end())
      throw StepError("this test context has no connection" + (name.empty() ? "" : " '" + std::string(name) + "'") +
                      "; give it connection options (FakeStepContext::set_connection_options)");
    return it->second;
  }
  const std::map<std::string, std::string, std::less<>>& vars() const override { return vars_; }
  std::ostream& out() override { return out_; }
  spdlog::logger& log() override { return log_; }
  const std::atomic<bool>& interrupted() const override { return interrupted_; }
  RetryPolicy retry_policy() const override { return policy_; }
  std::string_view step_name() const override { return step_name_; }
  std::string_view scenario_file() const override { return scenario_file_; }
  bool progress_enabled() const override { return progress_on_; }
  void progress(std::string_view line) override { progress_.emplace_back(line); }
  void set_result(Value result) override { result_ = std::move(result); }

 protected:
  void add_transaction_stats(const TransactionStats& stats) override { transactions_.push_back(stats); }

 private:
  std::map<std::string, Options, std::less<>> options_;
  std::map<std::string, Connection, std::less<>> connections_;
  std::map<std::string, std::string, std::less<>> vars_;
  RetryPolicy policy_{};
  std::string step_name_ = "test step";
  std::string scenario_file_ = "test.yaml";
  bool progress_on_ = false;
  std::atomic<bool> interrupted_{false};

  std::ostringstream out_;
  std::ostringstream log_text_;
  mutable spdlog::logger log_{"test", std::make_shared<spdlog::sinks::ostream_sink_st>(log_text_)};
  std::vector<std::string> progress_;
  std::optional<Value> result_;
  std::vector<TransactionStats> transactions_;
};

}  // namespace roachrun::testing
