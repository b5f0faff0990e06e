#include "daemon/log.h"

#include <streambuf>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace lockstep {
namespace {

std::shared_ptr<spdlog::logger> MakeLogger(LogFormat format) {
  auto logger = std::make_shared<spdlog::logger>("lockstep",
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  // JSON: the time and level come from spdlog, the rest of the object (already
  // escaped by nlohmann::json) is the message.
  logger->set_pattern(format == LogFormat::kJson
                          ? R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})"
                          : "%v",
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

// Collects characters until a newline, then writes the line as one entry.
class Log::LineBuffer : public std::streambuf {
 public:
  LineBuffer(Log* log, Level level) : log_(log), level_(level) {}
  ~LineBuffer() override {
    if (!line_.empty()) Flush();
  }

 protected:
  int overflow(int c) override {
    if (c == traits_type::eof()) return 0;
    if (c == '\n') {
      Flush();
    } else {
      line_ += static_cast<char>(c);
    }
    return c;
  }

 private:
  void Flush() {
    log_->Write(level_, line_);
    line_.clear();
  }

  Log* log_;
  Level level_;
  std::string line_;
};

Log::Log(LogFormat format) : format_(format), logger_(MakeLogger(format)) {
  const Level levels[] = {Level::kInfo, Level::kWarning, Level::kError};
  for (int i = 0; i < 3; ++i) {
    buffers_[i] = std::make_unique<LineBuffer>(this, levels[i]);
    streams_[i] = std::make_unique<std::ostream>(buffers_[i].get());
  }
}

Log::~Log() {
  for (int i = 0; i < 3; ++i) {
    streams_[i].reset();
    buffers_[i].reset();  // writes a last unfinished line
  }
}

void Log::Write(Level level, const std::string& message, const LogFields& fields) {
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

}  // namespace lockstep
