#include "engine/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "engine/redact.hpp"
#include "roachrun/error.hpp"

namespace roachrun {

std::shared_ptr<spdlog::logger> make_stderr_logger(const std::string& level) {
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off")
    throw UsageError("unknown log level '" + level + "': use trace, debug, info, warn, error or off");
  // Every line passes the process's redactor, whatever level it is logged at.
  auto sink = make_redacting_sink(std::make_shared<spdlog::sinks::stderr_color_sink_mt>(), redactor());
  auto logger = std::make_shared<spdlog::logger>("roachrun", sink);
  logger->set_pattern("%^[%H:%M:%S.%e] %-5l%$ %v");
  logger->set_level(parsed);
  // A failing sink must never take a run down: report once and carry on.
  logger->set_error_handler([](const std::string& msg) { fprintf(stderr, "roachrun: logging error: %s\n", msg.c_str()); });
  return logger;
}

}  // namespace roachrun
