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
#include <string>

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

class Log {
 public:
  enum class Level { kInfo, kWarning, kError };

  explicit Log(LogFormat format);
  ~Log();

  LogFormat format() const { return format_; }
  void set_run_id(std::string run_id) { run_id_ = std::move(run_id); }

  void Write(Level level, const std::string& message, const LogFields& fields = {});

  // Streams for code that writes lines of text: each line becomes one entry
  // of that level.
  std::ostream& info() { return *streams_[0]; }
  std::ostream& warning() { return *streams_[1]; }
  std::ostream& error() { return *streams_[2]; }

 private:
  class LineBuffer;
  LogFormat format_;
  std::string run_id_;
  std::shared_ptr<spdlog::logger> logger_;
  std::unique_ptr<LineBuffer> buffers_[3];
  std::unique_ptr<std::ostream> streams_[3];
};

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_LOG_H_
