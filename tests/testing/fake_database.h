// Fakes, not mocks: in-memory databases for the executor's unit tests. They
// record what ran, in order, fail the ids they are told to, and check the
// executor's promises (one migration at a time per database, locks held).
#ifndef LOCKSTEP_TESTS_TESTING_FAKE_DATABASE_H_
#define LOCKSTEP_TESTS_TESTING_FAKE_DATABASE_H_

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "adapters/database.h"

namespace lockstep {

class FakeCluster {
 public:
  // Makes the fake of a logical database; all share this cluster's state.
  DatabaseFactory Factory();

  void FailOn(const std::string& id) { fail_.insert(id); }
  void SetHistory(const std::string& database, std::vector<HistoryRow> rows) {
    std::lock_guard<std::mutex> lock(mu_);
    history_[database] = std::move(rows);
  }
  // Another session holds `database`'s lock; ReleaseLock lets it go.
  void HoldLock(const std::string& database, LockHolder holder) {
    std::lock_guard<std::mutex> lock(mu_);
    held_[database] = holder;
  }
  void ReleaseLock(const std::string& database) {
    std::lock_guard<std::mutex> lock(mu_);
    held_.erase(database);
  }
  // Another tool's history table in `database` (see Database::ReadForeignHistory).
  void SetForeignHistory(const std::string& database, const std::string& tool,
                         std::vector<std::string> entries) {
    foreign_[database][tool] = std::move(entries);
  }
  // What a query on `database` returns (Database::QueryNames), whatever the
  // query; *queries counts them.
  void SetNames(const std::string& database, std::vector<std::string> names) {
    std::lock_guard<std::mutex> lock(mu_);
    names_[database] = std::move(names);
  }
  int queries() const {
    std::lock_guard<std::mutex> lock(mu_);
    return queries_;
  }
  // `database` cannot be reached: Open fails.
  void MakeUnreachable(const std::string& database) { unreachable_.insert(database); }
  // The rows recorded in `database` now.
  std::vector<HistoryRow> history(const std::string& database) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = history_.find(database);
    return it == history_.end() ? std::vector<HistoryRow>{} : it->second;
  }
  // Changes the live schema of `database` (drift made by hand).
  void SetLiveObject(const std::string& database, const std::string& object,
                     const std::string& def) {
    std::lock_guard<std::mutex> lock(mu_);
    schemas_[database][object] = def;
  }
  void SetApplyDelay(std::chrono::milliseconds d) { delay_ = d; }
  // How long each history read takes (none by default). Set before a run.
  void SetReadDelay(std::chrono::milliseconds d) { read_delay_ = d; }
  // For migration `id` ("a:001") only, instead of SetApplyDelay's.
  void SetApplyDelayOf(const std::string& id, std::chrono::milliseconds d) {
    std::lock_guard<std::mutex> lock(mu_);
    delay_of_[id] = d;
  }
  // The ids of each ApplyBatch call, "a:001 a:002", in call order.
  std::vector<std::string> batches() const {
    std::lock_guard<std::mutex> lock(mu_);
    return batches_;
  }
  // Flush on `database` fails (the connection lost after the last commit).
  void FailFlushOn(const std::string& database) {
    std::lock_guard<std::mutex> lock(mu_);
    flush_fails_.insert(database);
  }
  // Ids applied with MigrationToRun::durable, in order; and the ids applied
  // on `database` not yet made durable by a durable commit, a Flush or a
  // snapshot (what a crash of the server now would lose).
  std::vector<std::string> durable() const {
    std::lock_guard<std::mutex> lock(mu_);
    return durable_;
  }
  std::vector<std::string> unflushed(const std::string& database) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = unflushed_.find(database);
    return it == unflushed_.end() ? std::vector<std::string>{} : it->second;
  }
  int flushes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return flushes_;
  }

  // Ids in the order their Apply started / finished successfully.
  std::vector<std::string> started() const;
  std::vector<std::string> applied() const;
  // Most Apply calls that ran at once on one database, and on all.
  int max_per_database() const { return max_per_database_; }
  int max_overall() const { return max_overall_; }
  bool any_lock_left() const;
  // Whether this run holds `database`'s lock now.
  bool locked(const std::string& database) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = locked_.find(database);
    return it != locked_.end() && it->second;
  }
  // TryLock calls on `database`, and connections open at once at most.
  int lock_attempts(const std::string& database) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = lock_attempts_.find(database);
    return it == lock_attempts_.end() ? 0 : it->second;
  }
  int max_open() const {
    std::lock_guard<std::mutex> lock(mu_);
    return max_open_;
  }
  // Connections open now, of all databases.
  int open_now() const {
    std::lock_guard<std::mutex> lock(mu_);
    return open_;
  }
  // Connections opened to `database` in all.
  int opened(const std::string& database) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = opened_.find(database);
    return it == opened_.end() ? 0 : it->second;
  }
  // A connection to `database` that has read its history fails its lock
  // (it ended while idle, as idle_session_timeout ends one).
  void EndIdleConnectionsOf(const std::string& database) {
    std::lock_guard<std::mutex> lock(mu_);
    idle_ends_.insert(database);
  }
  int cancels() const { return cancels_; }
  int cuts() const { return cuts_; }  // CutBatch calls
  // The schema snapshot stored for `database`, or nullptr.
  const SchemaSnapshot* snapshot(const std::string& database) const {
    auto it = snapshots_.find(database);
    return it == snapshots_.end() ? nullptr : &it->second;
  }

 private:
  friend class FakeDatabase;
  mutable std::mutex mu_;
  std::set<std::string> fail_;
  std::map<std::string, std::chrono::milliseconds> delay_of_;
  std::vector<std::string> batches_;
  std::map<std::string, std::vector<HistoryRow>> history_;
  std::map<std::string, SchemaSnapshot> schemas_;    // live, by database
  std::map<std::string, SchemaSnapshot> snapshots_;  // stored, by database
  std::map<std::string, LockHolder> held_;
  std::map<std::string, std::map<std::string, std::vector<std::string>>> foreign_;
  std::set<std::string> unreachable_;
  std::map<std::string, std::vector<std::string>> names_;
  int queries_ = 0;
  std::map<std::string, bool> locked_;
  std::map<std::string, int> running_;
  std::map<std::string, int> lock_attempts_;
  int open_ = 0, max_open_ = 0;
  std::map<std::string, int> opened_;
  std::set<std::string> idle_ends_;
  std::chrono::milliseconds read_delay_{0};
  int running_overall_ = 0;
  int max_per_database_ = 0;
  int max_overall_ = 0;
  int cancels_ = 0;
  std::atomic<int> cuts_{0};
  std::vector<std::string> started_, applied_, durable_;
  std::map<std::string, std::vector<std::string>> unflushed_;
  std::set<std::string> flush_fails_;
  int flushes_ = 0;
  std::chrono::milliseconds delay_{0};
};

}  // namespace lockstep

#endif  // LOCKSTEP_TESTS_TESTING_FAKE_DATABASE_H_
