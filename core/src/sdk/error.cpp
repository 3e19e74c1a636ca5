#include "roachrun/error.hpp"

#include <utility>

namespace roachrun {

// Out-of-line destructors anchor each class's vtable and typeinfo in libroachrun_sdk, so an
// exception thrown by a plugin is caught by type in the host and never depends on plugin code.
Error::Error(const std::string& message) : std::runtime_error(message) {}
Error::~Error() = default;

std::string SourceLocation::str() const {
  std::string s = file.empty() ? "<input>" : file;
  if (line > 0) {
    s += ":" + std::to_string(line);
    if (column > 0) s += ":" + std::to_string(column);
  }
  return s;
}

ValidationError::ValidationError(SourceLocation where, const std::string& message)
    : Error(where.str() + ": " + message), where_(std::move(where)), message_(message) {}
ValidationError::~ValidationError() = default;
ErrorKind ValidationError::kind() const noexcept { return ErrorKind::validation; }
std::string_view ValidationError::type_name() const noexcept { return "ValidationError"; }

ParamError::ParamError(std::string param, const std::string& message)
    : Error(message), param_(std::move(param)) {}
ParamError::~ParamError() = default;
ErrorKind ParamError::kind() const noexcept { return ErrorKind::validation; }
std::string_view ParamError::type_name() const noexcept { return "ParamError"; }

UsageError::UsageError(const std::string& message) : Error(message) {}
UsageError::~UsageError() = default;
ErrorKind UsageError::kind() const noexcept { return ErrorKind::usage; }
std::string_view UsageError::type_name() const noexcept { return "UsageError"; }

PluginError::PluginError(const std::string& message) : Error(message) {}
PluginError::~PluginError() = default;
ErrorKind PluginError::kind() const noexcept { return ErrorKind::plugin; }
std::string_view PluginError::type_name() const noexcept { return "PluginError"; }

StepError::StepError(const std::string& message) : Error(message) {}
StepError::~StepError() = default;
ErrorKind StepError::kind() const noexcept { return ErrorKind::step; }
std::string_view StepError::type_name() const noexcept { return "StepError"; }

namespace {
std::string describe_db_error(const std::string& sqlstate, const std::string& server_message,
                              const std::string& context) {
  std::string s = server_message;
  if (!sqlstate.empty()) s += " (SQLSTATE " + sqlstate + ")";
  if (!context.empty()) s = context + ": " + s;
  return s;
}
}  // namespace

DbError::DbError(std::string sqlstate, std::string server_message, const std::string& context)
    : StepError(describe_db_error(sqlstate, server_message, context)),
      sqlstate_(std::move(sqlstate)),
      server_message_(std::move(server_message)) {}
DbError::DbError(std::string sqlstate, std::string server_message, const std::string& what, full_message_tag)
    : StepError(what), sqlstate_(std::move(sqlstate)), server_message_(std::move(server_message)) {}
DbError::~DbError() = default;
std::string_view DbError::type_name() const noexcept { return "DbError"; }

namespace {
std::string attempts_text(int attempts) {
  const int retries = attempts - 1;
  return std::to_string(attempts) + (attempts == 1 ? " attempt (" : " attempts (") + std::to_string(retries) +
         (retries == 1 ? " retry)" : " retries)");
}
}  // namespace

RetriesExhausted::RetriesExhausted(int attempts, const DbError& last, const std::string& disposition,
                                   const std::string& limit)
    : DbError(last.sqlstate(), last.server_message(),
              "transaction did not succeed after " + attempts_text(attempts) + (limit.empty() ? "" : " " + limit) +
                  "; retries exhausted; last error (" + disposition + ")"),
      attempts_(attempts) {}
RetriesExhausted::~RetriesExhausted() = default;
std::string_view RetriesExhausted::type_name() const noexcept { return "RetriesExhausted"; }

namespace {
std::string ambiguous_text(int attempts, const DbError& last, const std::string& advice) {
  std::string where = last.sqlstate() == "40003" ? "the server could not tell whether the transaction completed"
                                                 : "the connection was lost while COMMIT was in flight";
  std::string s = "outcome unknown after " + attempts_text(attempts) + ": " + where +
                  ", so the transaction may or may not have committed and was not retried; last error (ambiguous): " +
                  last.server_message();
  if (!last.sqlstate().empty()) s += " (SQLSTATE " + last.sqlstate() + ")";
  if (!advice.empty()) s += "; " + advice;
  return s;
}
}  // namespace

AmbiguousCommit::AmbiguousCommit(int attempts, const DbError& last, const std::string& advice)
    : DbError(last.sqlstate(), last.server_message(), ambiguous_text(attempts, last, advice), full_message_tag{}),
      attempts_(attempts) {}
AmbiguousCommit::~AmbiguousCommit() = default;
std::string_view AmbiguousCommit::type_name() const noexcept { return "AmbiguousCommit"; }

ConnectError::ConnectError(std::string endpoint, const std::string& message)
    : Error(message), endpoint_(std::move(endpoint)) {}
ConnectError::~ConnectError() = default;
ErrorKind ConnectError::kind() const noexcept { return ErrorKind::connection; }
std::string_view ConnectError::type_name() const noexcept { return "ConnectError"; }

Interrupted::Interrupted() : Error("interrupted") {}
Interrupted::~Interrupted() = default;
ErrorKind Interrupted::kind() const noexcept { return ErrorKind::interrupted; }
std::string_view Interrupted::type_name() const noexcept { return "Interrupted"; }

}  // namespace roachrun
