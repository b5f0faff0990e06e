#include "daemon/cli/progress.h"

#include <iomanip>
#include <sstream>

namespace lockstep {
namespace {

std::string Clockface(std::chrono::milliseconds ms) {
  long s = static_cast<long>(ms.count() / 1000);
  std::ostringstream out;
  out << s / 60 << ":" << std::setw(2) << std::setfill('0') << s % 60;
  return out.str();
}

}  // namespace

std::string Millis(std::chrono::milliseconds ms) {
  if (ms.count() < 1000) return std::to_string(ms.count()) + " ms";
  std::ostringstream s;
  s << std::fixed << std::setprecision(2) << ms.count() / 1000.0 << " s";
  return s.str();
}

ProgressPrinter::ProgressPrinter(const MigrationGraph& graph, Log& log, Clock& clock,
                                 std::ostream* live)
    : graph_(graph), log_(log), clock_(clock), live_(live), started_(clock.Now()) {}

ProgressPrinter::~ProgressPrinter() { Clear(); }

void ProgressPrinter::RunPlanned(int migrations) {
  total_ = migrations;
  started_ = clock_.Now();
}

void ProgressPrinter::LockWaiting(const std::string& database, const LockHolder& holder) {
  LogFields f;
  f.database = database;
  Write(Log::Level::kWarning,
        "lockstep: waiting for the migration lock of database '" + database + "', held by " +
            holder.ToString(),
        f);
}

void ProgressPrinter::Note(const std::string& database, const std::string& line) {
  LogFields f;
  f.database = database;
  Write(Log::Level::kInfo, "lockstep: " + line, f);
}

void ProgressPrinter::MigrationStarted(int m, const std::string& database) {
  Clock::TimePoint now = clock_.Now();
  running_[m] = {database, now, now};
  Write(Log::Level::kInfo,
        "  start  " + database + "  " + graph_.IdOf(m) + "  " + graph_.model().migrations[m].name,
        Fields(m, database));
}

void ProgressPrinter::MigrationFinished(int m, const std::string& database, const Status& status,
                                        std::chrono::milliseconds took) {
  running_.erase(m);
  ++finished_;
  spent_ += took;
  LogFields f = Fields(m, database);
  f.duration_ms = took.count();
  Write(status.ok() ? Log::Level::kInfo : Log::Level::kError,
        std::string(status.ok() ? "  done   " : "  FAILED ") + database + "  " + graph_.IdOf(m) +
            "  " + Millis(took),
        f);
}

void ProgressPrinter::Tick() {
  if (live_) return Draw();
  Clock::TimePoint now = clock_.Now();
  for (auto& [m, r] : running_) {
    if (now - r.since < kStillRunningEvery || now - r.reported < kStillRunningEvery) continue;
    r.reported = now;
    auto ran = std::chrono::duration_cast<std::chrono::milliseconds>(now - r.since);
    LogFields f = Fields(m, r.database);
    f.duration_ms = ran.count();
    Write(Log::Level::kInfo,
          "  still running  " + r.database + "  " + graph_.IdOf(m) + "  " + Clockface(ran), f);
  }
}

LogFields ProgressPrinter::Fields(int m, const std::string& database) const {
  LogFields f;
  f.service = graph_.model().services[graph_.model().migrations[m].service].name;
  f.migration = graph_.IdOf(m);
  f.database = database;
  return f;
}

void ProgressPrinter::Write(Log::Level level, const std::string& message, const LogFields& fields) {
  Clear();
  log_.Write(level, message, fields);
  Draw();
}

std::string ProgressPrinter::StatusLine() const {
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now() - started_);
  std::string line =
      "lockstep: " + std::to_string(finished_) + "/" + std::to_string(total_) + " migrations";
  if (!running_.empty()) {
    line += ", running";
    for (const auto& [m, r] : running_) line += " " + r.database + ":" + graph_.IdOf(m);
  }
  line += ", " + Clockface(elapsed) + " elapsed";
  if (finished_ > 0 && total_ > finished_) {
    // What is left at the pace of what is done, the lanes working in parallel.
    auto each = spent_ / finished_;
    auto left = each * (total_ - finished_) / std::max<size_t>(1, running_.size());
    line += ", about " + Clockface(left) + " left";
  }
  return line;
}

void ProgressPrinter::Clear() {
  if (!live_ || !drawn_) return;
  *live_ << "\r\033[K" << std::flush;
  drawn_ = false;
}

void ProgressPrinter::Draw() {
  // Nothing to show before the plan is known or once every migration ended:
  // the summary line follows on its own.
  if (!live_ || total_ == 0 || (finished_ >= total_ && running_.empty())) return;
  *live_ << "\r\033[K" << StatusLine() << std::flush;
  drawn_ = true;
}

}  // namespace lockstep
