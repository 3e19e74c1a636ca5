// The one error hierarchy of roachrun. Every failure a user can see is one of these; the kind
// decides the process exit code, in exactly one place (exit_code_for in the core).
//
// Plugins throw these (never anything else on purpose) from a step's run(); the core catches them
// at the step boundary, so no exception object outlives the plugin library that threw it.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include "roachrun/export.hpp"

namespace roachrun {

enum class ErrorKind {
  usage,        // bad command line                                   -> exit 2
  validation,   // invalid scenario: nothing ran                      -> exit 2
  plugin,       // a plugin failed to load or declare itself          -> exit 2
  step,         // a step failed (database error, failed expectation) -> exit 1
  connection,   // the target could not be reached or refused us      -> exit 3
  interrupted,  // Ctrl-C / SIGTERM                                   -> exit 130
};

class ROACHRUN_API Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message);
  ~Error() override;
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
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
  const std::string& param() const noexcept { return param_; }

 private:
  std::string param_;
};

class ROACHRUN_API UsageError : public Error {
 public:
  explicit UsageError(const std::string& message);
  ~UsageError() override;
};

class ROACHRUN_API PluginError : public Error {
 public:
  explicit PluginError(const std::string& message);
  ~PluginError() override;
};

// A step could not do what it was asked (insufficient funds, an expectation not met...).
class ROACHRUN_API StepError : public Error {
 public:
  explicit StepError(const std::string& message);
  ~StepError() override;
};

// The server answered a statement with an error. Carries the SQLSTATE so retry logic and
// reports can classify it.
class ROACHRUN_API DbError : public StepError {
 public:
  DbError(std::string sqlstate, std::string server_message, const std::string& context);
  ~DbError() override;
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
// time budget), and the last error: its class, SQLSTATE and the server's message:
//   transaction did not succeed after 4 attempts (3 retries); retries exhausted; last error
//   (retryable): forced retry (SQLSTATE 40001)
class ROACHRUN_API RetriesExhausted : public DbError {
 public:
  // `error_class`: what the last error was ("retryable", "connection lost", ...); `limit`: what
  // ran out, when it is not max_retries (e.g. "within its time budget of 500 ms").
  RetriesExhausted(int attempts, const DbError& last, const std::string& error_class = "retryable",
                   const std::string& limit = {});
  ~RetriesExhausted() override;
  int attempts() const noexcept { return attempts_; }

 private:
  int attempts_;
};

// The transaction's outcome is unknown: 40003 (statement completion unknown), or the connection
// was lost while COMMIT was in flight, and nothing could tell whether it committed. Never retried
// blindly (it might apply twice). Kind step (exit 1). what() names the class (ambiguous), the
// SQLSTATE, the server's message, the attempts, and `advice` when given.
class ROACHRUN_API AmbiguousCommit : public DbError {
 public:
  AmbiguousCommit(int attempts, const DbError& last, const std::string& advice = {});
  ~AmbiguousCommit() override;
  int attempts() const noexcept { return attempts_; }

 private:
  int attempts_;
};

// A connection could not be opened, or was lost. `endpoint` is "host:port" as libpq saw it.
class ROACHRUN_API ConnectError : public Error {
 public:
  ConnectError(std::string endpoint, const std::string& message);
  ~ConnectError() override;
  const std::string& endpoint() const noexcept { return endpoint_; }

 private:
  std::string endpoint_;
};

class ROACHRUN_API Interrupted : public Error {
 public:
  Interrupted();
  ~Interrupted() override;
};

}  // namespace roachrun
