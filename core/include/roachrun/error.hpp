// The one error hierarchy of roachrun. Every failure a user can see is one of these; the kind
// decides the process exit code, in exactly one place (exit_code_for in the core).
//
// Plugins throw these (never anything else on purpose) from a step's run(); the core catches them
// at the step boundary, so no exception object outlives the plugin library that threw it.
//
// Each class says what it is itself, through two virtuals: its kind() and its type_name() (the
// error type reports show). The core never lists the classes; a new one overrides type_name(),
// and kind() unless its base's is right.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "roachrun/export.hpp"

namespace roachrun {

// What kind of failure an error is; the core maps each kind to one exit code (see the README).
enum class ErrorKind {
  usage,        // bad command line                                   -> exit 2
  validation,   // invalid scenario: nothing ran                      -> exit 2
  plugin,       // a plugin failed to load or declare itself          -> exit 2
  step,         // a step failed (database error, failed expectation) -> exit 1
  connection,   // the target could not be reached or refused us      -> exit 3
  interrupted,  // Ctrl-C / SIGTERM                                   -> exit 130
  // Outcomes only the core produces; no SDK class has them, and a plugin never needs them.
  report,       // a report could not be written after the run        -> exit 4
  internal,     // a bug in roachrun: an unexpected exception outside any step -> exit 5
};

class ROACHRUN_API Error : public std::runtime_error {
 public:
  ~Error() override;
  // The kind of failure: decides the exit code.
  virtual ErrorKind kind() const noexcept = 0;
  // The class's name as reports show it ("DbError", "RetriesExhausted"): the error type.
  virtual std::string_view type_name() const noexcept = 0;

 protected:
  explicit Error(const std::string& message);
};

// A position in a scenario file; line and column are 1-based (0 when unknown).
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
  // "file:line:col" (or less, as much as is known).
  ROACHRUN_API std::string str() const;
};

// The scenario (or a parameter in it) is invalid. what() is "file:line:col: message".
class ROACHRUN_API ValidationError : public Error {
 public:
  ValidationError(SourceLocation where, const std::string& message);
  ~ValidationError() override;
  ErrorKind kind() const noexcept override;
  std::string_view type_name() const noexcept override;
  const SourceLocation& where() const noexcept { return where_; }
  const std::string& message() const noexcept { return message_; }

 private:
  SourceLocation where_;
  std::string message_;
};

// Thrown by a plugin's parameter check (StepType::check) about one parameter; the core turns it
// into a ValidationError located at that parameter in the scenario file.
class ROACHRUN_API ParamError : public Error {
 public:
  ParamError(std::string param, const std::string& message);
  ~ParamError() override;
  ErrorKind kind() const noexcept override;
  std::string_view type_name() const noexcept override;
  const std::string& param() const noexcept { return param_; }

 private:
  std::string param_;
};

class ROACHRUN_API UsageError : public Error {
 public:
  explicit UsageError(const std::string& message);
  ~UsageError() override;
  ErrorKind kind() const noexcept override;
  std::string_view type_name() const noexcept override;
};

class ROACHRUN_API PluginError : public Error {
 public:
  explicit PluginError(const std::string& message);
  ~PluginError() override;
  ErrorKind kind() const noexcept override;
  std::string_view type_name() const noexcept override;
};

// A step could not do what it was asked (insufficient funds, an expectation not met...).
class ROACHRUN_API StepError : public Error {
 public:
  explicit StepError(const std::string& message);
  ~StepError() override;
  ErrorKind kind() const noexcept override;
  std::string_view type_name() const noexcept override;
};

// The server answered a statement with an error. Carries the SQLSTATE so retry logic and
// reports can classify it.
class ROACHRUN_API DbError : public StepError {
 public:
  DbError(std::string sqlstate, std::string server_message, const std::string& context);
  ~DbError() override;
  std::string_view type_name() const noexcept override;
  const std::string& sqlstate() const noexcept { return sqlstate_; }
  const std::string& server_message() const noexcept { return server_message_; }

 protected:
  // For subclasses that compose what() themselves.
  struct full_message_tag {};
  DbError(std::string sqlstate, std::string server_message, const std::string& what, full_message_tag);

 private:
  std::string sqlstate_;
  std::string server_message_;
};

// The retry helper gave up. what() says how many attempts were made, why it stopped (retries or
// time budget), and the last error: its disposition, SQLSTATE and the server's message:
//   transaction did not succeed after 4 attempts (3 retries); retries exhausted; last error
//   (retryable): forced retry (SQLSTATE 40001)
class ROACHRUN_API RetriesExhausted : public DbError {
 public:
  // `disposition`: what the retry engine made of the last error ("retryable", "connection lost",
  // ...); `limit`: what ran out, when it is not max_retries (e.g. "within its time budget of 500 ms").
  RetriesExhausted(int attempts, const DbError& last, const std::string& disposition = "retryable",
                   const std::string& limit = {});
  ~RetriesExhausted() override;
  std::string_view type_name() const noexcept override;
  int attempts() const noexcept { return attempts_; }

 private:
  int attempts_;
};

// The transaction's outcome is unknown: 40003 (statement completion unknown), or the connection
// was lost while COMMIT was in flight, and nothing could tell whether it committed. Never retried
// blindly (it might apply twice). Kind step (exit 1). what() names the disposition (ambiguous), the
// SQLSTATE, the server's message, the attempts, and `advice` when given.
class ROACHRUN_API AmbiguousCommit : public DbError {
 public:
  AmbiguousCommit(int attempts, const DbError& last, const std::string& advice = {});
  ~AmbiguousCommit() override;
  std::string_view type_name() const noexcept override;
  int attempts() const noexcept { return attempts_; }

 private:
  int attempts_;
};

// A connection could not be opened, or was lost. `endpoint` is "host:port" as libpq saw it.
class ROACHRUN_API ConnectError : public Error {
 public:
  ConnectError(std::string endpoint, const std::string& message);
  ~ConnectError() override;
  ErrorKind kind() const noexcept override;
  std::string_view type_name() const noexcept override;
  const std::string& endpoint() const noexcept { return endpoint_; }

 private:
  std::string endpoint_;
};

class ROACHRUN_API Interrupted : public Error {
 public:
  Interrupted();
  ~Interrupted() override;
  ErrorKind kind() const noexcept override;
  std::string_view type_name() const noexcept override;
};

}  // namespace roachrun
