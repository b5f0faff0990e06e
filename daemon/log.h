// Where lockstep's diagnostics and progress go: stderr, as plain lines (the
// default) or, with --log-format json / LOCKSTEP_LOG_FORMAT=json, one JSON
// object per line with time, level, message, run id and, where they apply,
// service, migration, database and duration. Thread-safe (spdlog).
#ifndef LOCKSTEP_DAEMON_LOG_H_
#define LOCKSTEP_DAEMON_LOG_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <utility>

#include "graph/diagnostic.h"

namespace spdlog {
class logger;
}

namespace lockstep {

enum class LogFormat { kText, kJson };

// Parses "text" or "json".
std::optional<LogFormat> ParseLogFormat(const std::string& text);

struct LogFields {
  std::string service;
  std::string migration;  // "service:version"
  std::string database;
  std::optional<int64_t> duration_ms;
};

class Log;

// Collects one message and writes it, a log entry per line, when it goes out
// of scope: `log.info() << "applied " << n << "\n";`. Any thread.
class LogLine {
 public:
  LogLine(Log* log, int level) : log_(log), level_(level) {}
  LogLine(LogLine&& other) noexcept
      : log_(std::exchange(other.log_, nullptr)),
        level_(other.level_),
        stream_(std::move(other.stream_)) {}
  ~LogLine();

  template <typename T>
  LogLine& operator<<(const T& value) {
    stream_ << value;
    return *this;
  }

 private:
  Log* log_;
  int level_;
  std::ostringstream stream_;
};

class Log {
 public:
  enum class Level { kInfo, kWarning, kError };

  // `discard`: a Log that writes nothing, for callers that report on their own.
  explicit Log(LogFormat format, bool discard = false);
  // Writes to `out` instead of stderr (tests read what a command said).
  Log(LogFormat format, std::ostream& out);
  ~Log();

  LogFormat format() const { return format_; }
  void set_run_id(std::string run_id) { run_id_ = std::move(run_id); }

  void Write(Level level, const std::string& message, const LogFields& fields = {});

  // Lines of text, each one entry of that level.
  LogLine info() { return LogLine(this, static_cast<int>(Level::kInfo)); }
  LogLine warning() { return LogLine(this, static_cast<int>(Level::kWarning)); }
  LogLine error() { return LogLine(this, static_cast<int>(Level::kError)); }

 private:
  LogFormat format_;
  bool discard_;
  std::string run_id_;  // set before any thread logs
  std::shared_ptr<spdlog::logger> logger_;
};

// "1 service", "3 services".
std::string Count(size_t n, const char* one, const char* many);

// Writes the diagnostics of a load, repeated warnings summarised unless
// `verbose`, and when there are errors a last line that counts them and says
// nothing was touched.
void LogDiagnostics(const Diagnostics& diag, bool verbose, Log& log);

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_LOG_H_
