// Prometheus metrics of the daemon, rendered in the text exposition format.
// Thread-safe.
#ifndef LOCKSTEP_DAEMON_SERVER_METRICS_H_
#define LOCKSTEP_DAEMON_SERVER_METRICS_H_

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace lockstep {

class Metrics {
 public:
  void MigrationApplied(double seconds);
  void MigrationFailed(double seconds);
  void LockWaited(double seconds);
  void RunSucceeded(double unix_time);
  // Every run's end, by what started it (api, schedule) and how it ended
  // (succeeded, failed, lock_timeout, cancelled): a round that could not take
  // a lock is counted too.
  void RunFinished(const std::string& trigger, const std::string& result);
  // Whether this replica runs rounds and changes: the leader, or a daemon
  // without settings.coordination.
  void SetLeader(bool leader);
  // By service (keys are label sets: service="a", and database="tenant/acme"
  // for a member's copy): not yet applied; running now in a live run
  // (no-transaction); recorded failed (waiting for `lockstep repair`).
  void SetRecorded(std::map<std::string, int> pending, std::map<std::string, int> running,
                   std::map<std::string, int> failed);
  void SetDrift(std::map<std::string, int> objects_by_database);
  // A round's correct_drift: revert on one database: objects reverted, and
  // objects only reported (tables, columns, or a revert that failed).
  void DriftCorrected(const std::string& database, int reverted, int reported);
  void SetReachable(std::map<std::string, bool> by_database);

  std::string Render() const;

 private:
  struct Histogram {
    std::vector<double> bounds;
    std::vector<uint64_t> counts;  // per bound, not cumulative; one more for +Inf
    double sum = 0;
    uint64_t count = 0;
    explicit Histogram(std::vector<double> b) : bounds(std::move(b)), counts(bounds.size() + 1) {}
    void Observe(double v);
    void Render(const std::string& name, std::string* out) const;
  };

  mutable std::mutex mu_;
  uint64_t applied_ = 0, failed_ = 0;
  Histogram duration_{{0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600, 3600}};
  Histogram lock_wait_{{0.01, 0.1, 1, 10, 60, 300}};
  double last_success_ = 0;
  std::map<std::string, int> pending_, running_, failed_now_, drift_;
  std::map<std::string, bool> reachable_;
  std::map<std::pair<std::string, std::string>, uint64_t> runs_;     // (trigger, result)
  std::map<std::string, uint64_t> drift_reverted_, drift_reported_;  // by database
  bool leader_ = true;
};

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_SERVER_METRICS_H_
