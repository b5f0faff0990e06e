#include "daemon/server/metrics.h"

#include <cstdio>

namespace lockstep {
namespace {

std::string Number(double v) {
  char buffer[32];
  snprintf(buffer, sizeof buffer, "%.15g", v);
  return buffer;
}

void Header(const std::string& name, const char* type, const char* help, std::string* out) {
  *out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void Labelled(const std::string& name, const char* label, const std::map<std::string, int>& values,
              std::string* out) {
  for (const auto& [key, v] : values) {
    *out += name + "{" + label + "=\"" + key + "\"} " + std::to_string(v) + "\n";
  }
}

// `values` keyed by their whole label set ("service=\"a\"").
void LabelSets(const std::string& name, const std::map<std::string, int>& values,
               std::string* out) {
  for (const auto& [labels, v] : values)
    *out += name + "{" + labels + "} " + std::to_string(v) + "\n";
}

}  // namespace

void Metrics::Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds.size() && v > bounds[i]) ++i;
  ++counts[i];
  sum += v;
  ++count;
}

void Metrics::Histogram::Render(const std::string& name, std::string* out) const {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds.size(); ++i) {
    cumulative += counts[i];
    *out += name + "_bucket{le=\"" + Number(bounds[i]) + "\"} " + std::to_string(cumulative) + "\n";
  }
  *out += name + "_bucket{le=\"+Inf\"} " + std::to_string(count) + "\n";
  *out += name + "_sum " + Number(sum) + "\n" + name + "_count " + std::to_string(count) + "\n";
}

void Metrics::MigrationApplied(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++applied_;
  duration_.Observe(seconds);
}

void Metrics::MigrationFailed(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++failed_;
  duration_.Observe(seconds);
}

void Metrics::LockWaited(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  lock_wait_.Observe(seconds);
}

void Metrics::RunSucceeded(double unix_time) {
  std::lock_guard<std::mutex> lock(mu_);
  last_success_ = unix_time;
}

void Metrics::SetRecorded(std::map<std::string, int> pending, std::map<std::string, int> running,
                          std::map<std::string, int> failed) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_ = std::move(pending);
  running_ = std::move(running);
  failed_now_ = std::move(failed);
}

void Metrics::SetDrift(std::map<std::string, int> objects_by_database) {
  std::lock_guard<std::mutex> lock(mu_);
  drift_ = std::move(objects_by_database);
}

void Metrics::DriftCorrected(const std::string& database, int reverted, int reported) {
  std::lock_guard<std::mutex> lock(mu_);
  drift_reverted_[database] += reverted;
  drift_reported_[database] += reported;
}

void Metrics::SetReachable(std::map<std::string, bool> by_database) {
  std::lock_guard<std::mutex> lock(mu_);
  reachable_ = std::move(by_database);
}

void Metrics::RunFinished(const std::string& trigger, const std::string& result) {
  std::lock_guard<std::mutex> lock(mu_);
  ++runs_[{trigger, result}];
}

void Metrics::SetLeader(bool leader) {
  std::lock_guard<std::mutex> lock(mu_);
  leader_ = leader;
}

std::string Metrics::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  Header("lockstep_migrations_applied_total", "counter", "Migrations applied by this daemon.",
         &out);
  out += "lockstep_migrations_applied_total " + std::to_string(applied_) + "\n";
  Header("lockstep_migrations_failed_total", "counter",
         "Migrations that failed in this daemon's runs.", &out);
  out += "lockstep_migrations_failed_total " + std::to_string(failed_) + "\n";
  Header("lockstep_migration_duration_seconds", "histogram", "Time to apply one migration.", &out);
  duration_.Render("lockstep_migration_duration_seconds", &out);
  Header("lockstep_lock_wait_seconds", "histogram", "Time waited for a database's migration lock.",
         &out);
  lock_wait_.Render("lockstep_lock_wait_seconds", &out);
  Header("lockstep_pending_migrations", "gauge", "Migrations not yet applied, by service.", &out);
  LabelSets("lockstep_pending_migrations", pending_, &out);
  Header("lockstep_running_migrations", "gauge",
         "No-transaction migrations running now in a live run, by service.", &out);
  LabelSets("lockstep_running_migrations", running_, &out);
  Header("lockstep_failed_migrations", "gauge",
         "Migrations recorded failed (lockstep repair resolves them), by service.", &out);
  LabelSets("lockstep_failed_migrations", failed_now_, &out);
  Header("lockstep_drift_objects", "gauge",
         "Schema objects added, removed or changed by hand since the last apply, by database.",
         &out);
  Labelled("lockstep_drift_objects", "database", drift_, &out);
  Header("lockstep_drift_corrected_objects_total", "counter",
         "Drifted objects seen by rounds with settings.schedule.correct_drift: revert, by "
         "database and action (reverted; reported: tables and columns, or a revert that failed).",
         &out);
  for (const auto* counts : {&drift_reverted_, &drift_reported_}) {
    for (const auto& [db, n] : *counts) {
      out += "lockstep_drift_corrected_objects_total{database=\"" + db + "\",action=\"" +
             (counts == &drift_reverted_ ? "reverted" : "reported") + "\"} " + std::to_string(n) +
             "\n";
    }
  }
  Header("lockstep_database_up", "gauge", "Whether the last check could read the database.", &out);
  for (const auto& [db, up] : reachable_) {
    out += "lockstep_database_up{database=\"" + db + "\"} " + (up ? "1" : "0") + "\n";
  }
  Header("lockstep_last_successful_run_timestamp_seconds", "gauge",
         "When the last run that applied everything it should ended (Unix time).", &out);
  out += "lockstep_last_successful_run_timestamp_seconds " + Number(last_success_) + "\n";
  Header("lockstep_runs_total", "counter",
         "Runs of this daemon, by trigger (api, schedule) and result (succeeded, failed, "
         "lock_timeout, cancelled).",
         &out);
  for (const auto& [key, n] : runs_) {
    out += "lockstep_runs_total{trigger=\"" + key.first + "\",result=\"" + key.second + "\"} " +
           std::to_string(n) + "\n";
  }
  Header("lockstep_leader", "gauge",
         "1 when this replica runs rounds and changes (the leader, or a lone daemon), 0 for a "
         "follower.",
         &out);
  out += std::string("lockstep_leader ") + (leader_ ? "1" : "0") + "\n";
  return out;
}

}  // namespace lockstep
