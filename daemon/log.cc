#include "daemon/log.h"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace lockstep {
namespace {

std::shared_ptr<spdlog::logger> MakeLogger(LogFormat format, spdlog::sink_ptr sink) {
  auto logger = std::make_shared<spdlog::logger>("lockstep", std::move(sink));
  // JSON: the time and level come from spdlog, the rest of the object (already
  // escaped by nlohmann::json) is the message.
  logger->set_pattern(
      format == LogFormat::kJson ? R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})" : "%v",
      spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::info);
  logger->flush_on(spdlog::level::info);
  return logger;
}

}  // namespace

std::optional<LogFormat> ParseLogFormat(const std::string& text) {
  if (text == "text") return LogFormat::kText;
  if (text == "json") return LogFormat::kJson;
  return std::nullopt;
}

LogLine::~LogLine() {
  if (!log_) return;
  std::string text = stream_.str();
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    log_->Write(static_cast<Log::Level>(level_), text.substr(start, end - start));
    start = end + 1;
  }
}

Log::Log(LogFormat format, bool discard)
    : format_(format),
      discard_(discard),
      logger_(MakeLogger(format, std::make_shared<spdlog::sinks::stderr_sink_mt>())) {}

Log::Log(LogFormat format, std::ostream& out)
    : format_(format),
      discard_(false),
      logger_(MakeLogger(format, std::make_shared<spdlog::sinks::ostream_sink_mt>(out, true))) {}

Log::~Log() = default;

void Log::Write(Level level, const std::string& message, const LogFields& fields) {
  if (discard_) return;
  spdlog::level::level_enum spd = level == Level::kError     ? spdlog::level::err
                                  : level == Level::kWarning ? spdlog::level::warn
                                                             : spdlog::level::info;
  if (format_ == LogFormat::kText) {
    logger_->log(spd, message);
    return;
  }
  nlohmann::ordered_json j;
  j["message"] = message;
  if (!run_id_.empty()) j["run_id"] = run_id_;
  if (!fields.service.empty()) j["service"] = fields.service;
  if (!fields.migration.empty()) j["migration"] = fields.migration;
  if (!fields.database.empty()) j["database"] = fields.database;
  if (fields.duration_ms) j["duration_ms"] = *fields.duration_ms;
  std::string body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  logger_->log(spd, body.substr(1, body.size() - 2));  // without the braces
}

std::string Count(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

void LogDiagnostics(const Diagnostics& diag, bool verbose, Log& log) {
  for (const DiagnosticLine& line : DiagnosticLines(diag, verbose)) {
    (line.severity == Diagnostic::Severity::kWarning ? log.warning() : log.error())
        << line.text << "\n";
  }
  if (!diag.has_errors()) return;
  size_t warnings = diag.all().size() - static_cast<size_t>(diag.error_count());
  std::string summary = "lockstep: " + Count(diag.error_count(), "error", "errors");
  if (warnings > 0) summary += ", " + Count(warnings, "warning", "warnings");
  log.error() << summary << "; nothing was touched\n";
}

}  // namespace lockstep
