// What a run shows while it goes, on stderr. On a terminal: one status line
// (migrations done of total, what runs on which database, elapsed, an
// estimate of what is left) redrawn in place above the start/done lines.
// Elsewhere (a CI log, a pod's log): plain lines, and for a migration that
// runs longer than 30 s a "still running" line every 30 s.
#ifndef LOCKSTEP_DAEMON_CLI_PROGRESS_H_
#define LOCKSTEP_DAEMON_CLI_PROGRESS_H_

#include <map>
#include <ostream>
#include <string>

#include "adapters/clock.h"
#include "daemon/engine/executor.h"
#include "daemon/log.h"

namespace lockstep {

class ProgressPrinter : public ExecutionObserver {
 public:
  // `live`: a terminal to redraw the status line on (nullptr: plain lines).
  ProgressPrinter(const MigrationGraph& graph, Log& log, Clock& clock, std::ostream* live);
  ~ProgressPrinter() override;

  void RunPlanned(int migrations) override;
  void Tick() override;
  void LockWaiting(const std::string& database, const LockHolder& holder) override;
  void Note(const std::string& database, const std::string& line) override;
  void MigrationStarted(int m, const std::string& database) override;
  // No longer running (no "still running" line), not yet done: "done" is
  // printed once its commit is durable.
  void MigrationCommitted(int m, const std::string&) override { running_.erase(m); }
  void MigrationFinished(int m, const std::string& database, const Status& status,
                         std::chrono::milliseconds took) override;

  // How long a migration runs before the first "still running" line, and
  // between them.
  static constexpr std::chrono::seconds kStillRunningEvery{30};

 private:
  struct Running {
    std::string database;
    Clock::TimePoint since, reported;
  };

  LogFields Fields(int m, const std::string& database) const;
  // Writes a log line with the status line cleared first and redrawn after.
  void Write(Log::Level level, const std::string& message, const LogFields& fields);
  std::string StatusLine() const;
  void Clear();
  void Draw();

  const MigrationGraph& graph_;
  Log& log_;
  Clock& clock_;
  std::ostream* live_;
  Clock::TimePoint started_;
  int total_ = 0, finished_ = 0;
  std::chrono::milliseconds spent_{0};  // in finished migrations
  std::map<int, Running> running_;
  bool drawn_ = false;
};

// "850 ms", "1.25 s" for a duration.
std::string Millis(std::chrono::milliseconds ms);

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_CLI_PROGRESS_H_
