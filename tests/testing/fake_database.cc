#include "testing/fake_database.h"

#include <thread>

namespace lockstep {

class FakeDatabase : public Database {
 public:
  FakeDatabase(FakeCluster* cluster, std::string name) : c_(cluster), name_(std::move(name)) {}
  // As PostgreSQL does when a session ends, its lock goes with it.
  ~FakeDatabase() override {
    std::lock_guard<std::mutex> lock(c_->mu_);
    if (holds_lock_) c_->locked_[name_] = false;
    if (open_) --c_->open_;
  }

  Status Open() override {
    std::lock_guard<std::mutex> lock(c_->mu_);
    if (c_->unreachable_.count(name_)) {
      return Status::Failed("database '" + name_ + "': cannot connect: refused");
    }
    if (!open_) {
      c_->max_open_ = std::max(c_->max_open_, ++c_->open_);
      ++c_->opened_[name_];
    }
    open_ = true;
    return Status::Ok();
  }

  Status TryLock(bool* acquired, LockHolder* holder) override {
    std::lock_guard<std::mutex> lock(c_->mu_);
    ++c_->lock_attempts_[name_];
    if (read_ && c_->idle_ends_.count(name_)) {
      return Status::Failed("database '" + name_ + "': server closed the connection unexpectedly");
    }
    auto held = c_->held_.find(name_);
    *acquired = held == c_->held_.end() && !c_->locked_[name_];
    if (*acquired) c_->locked_[name_] = holds_lock_ = true;
    if (held != c_->held_.end()) *holder = held->second;
    return Status::Ok();
  }

  Status Unlock() override {
    std::lock_guard<std::mutex> lock(c_->mu_);
    if (holds_lock_) c_->locked_[name_] = false;
    holds_lock_ = false;
    return Status::Ok();
  }

  Status EnsureSchema() override { return Status::Ok(); }

  Status ReadHistory(std::vector<HistoryRow>* rows) override {
    std::this_thread::sleep_for(c_->read_delay_);
    std::lock_guard<std::mutex> lock(c_->mu_);
    *rows = c_->history_[name_];
    read_ = true;
    return Status::Ok();
  }

  Status Apply(const MigrationToRun& run) override {
    std::string id = run.service + ":" + run.migration->version.text();
    {
      std::lock_guard<std::mutex> lock(c_->mu_);
      if (!c_->locked_[name_]) return Status::Failed("applied without the lock: " + id);
      c_->started_.push_back(id);
      c_->max_per_database_ = std::max(c_->max_per_database_, ++c_->running_[name_]);
      c_->max_overall_ = std::max(c_->max_overall_, ++c_->running_overall_);
    }
    std::chrono::milliseconds delay = c_->delay_;
    {
      std::lock_guard<std::mutex> lock(c_->mu_);
      if (auto it = c_->delay_of_.find(id); it != c_->delay_of_.end()) delay = it->second;
    }
    std::this_thread::sleep_for(delay);
    std::lock_guard<std::mutex> lock(c_->mu_);
    --c_->running_[name_];
    --c_->running_overall_;
    if (c_->fail_.count(id))
      return Status::Failed(run.migration->up_path + ":1: " + id + " failed");
    c_->applied_.push_back(id);
    if (run.durable) {
      c_->durable_.push_back(id);
      c_->unflushed_[name_].clear();
    } else {
      c_->unflushed_[name_].push_back(id);
    }
    std::vector<HistoryRow>& rows = c_->history_[name_];
    if (run.down) {
      std::erase_if(rows, [&](const HistoryRow& r) {
        return r.service == run.service && r.version == run.migration->version.text();
      });
      c_->schemas_[name_].erase("applied " + id);
      return Status::Ok();
    }
    HistoryRow row;
    row.service = run.service;
    row.version = run.migration->version.text();
    row.checksum = run.migration->checksum.hex();
    row.status = "applied";
    row.run_id = run.run_id;
    rows.push_back(row);
    c_->schemas_[name_]["applied " + id] = "by a fake";
    return Status::Ok();
  }

  Status ApplyBatch(const std::vector<MigrationToRun>& runs, const Ended& ended,
                    const std::atomic<bool>& cut) override {
    std::string ids;
    for (const MigrationToRun& run : runs) {
      ids += (ids.empty() ? "" : " ") + run.service + ":" + run.migration->version.text();
    }
    {
      std::lock_guard<std::mutex> lock(c_->mu_);
      c_->batches_.push_back(ids);
    }
    return Database::ApplyBatch(runs, ended, cut);
  }

  Status CaptureSchema(SchemaSnapshot* snapshot) override {
    std::lock_guard<std::mutex> lock(c_->mu_);
    *snapshot = c_->schemas_[name_];
    return Status::Ok();
  }
  Status SaveSnapshot(const SchemaSnapshot& snapshot, const std::string&) override {
    std::lock_guard<std::mutex> lock(c_->mu_);
    c_->snapshots_[name_] = snapshot;
    c_->unflushed_[name_].clear();
    return Status::Ok();
  }
  Status Flush() override {
    std::lock_guard<std::mutex> lock(c_->mu_);
    ++c_->flushes_;
    if (c_->flush_fails_.count(name_)) {
      return Status::Failed("database '" + name_ + "': lost the connection");
    }
    c_->unflushed_[name_].clear();
    return Status::Ok();
  }
  Status LoadSnapshot(SchemaSnapshot* snapshot, bool* found) override {
    std::lock_guard<std::mutex> lock(c_->mu_);
    auto it = c_->snapshots_.find(name_);
    *found = it != c_->snapshots_.end();
    if (*found && snapshot) *snapshot = it->second;
    return Status::Ok();
  }

  Status RecordBaseline(const std::vector<HistoryRow>& rows) override {
    std::lock_guard<std::mutex> lock(c_->mu_);
    if (!c_->locked_[name_]) return Status::Failed("baseline without the lock");
    for (HistoryRow row : rows) {
      row.status = "baseline";
      c_->history_[name_].push_back(row);
    }
    return Status::Ok();
  }

  Status Repair(const std::string& service, const std::string& version, bool mark_applied,
                const std::string& checksum, const std::string&) override {
    std::lock_guard<std::mutex> lock(c_->mu_);
    if (!c_->locked_[name_]) return Status::Failed("repair without the lock");
    std::vector<HistoryRow>& rows = c_->history_[name_];
    for (auto it = rows.begin(); it != rows.end(); ++it) {
      if (it->service != service || it->version != version || it->status != "failed") continue;
      if (!mark_applied) {
        rows.erase(it);
      } else {
        it->status = "applied";
        it->checksum = checksum;
      }
      return Status::Ok();
    }
    return Status::Failed(service + ":" + version + " is not recorded as failed");
  }

  Status AcceptChecksum(const std::string& service, const std::string& version,
                        const std::string& checksum, const std::string&) override {
    std::lock_guard<std::mutex> lock(c_->mu_);
    if (!c_->locked_[name_]) return Status::Failed("repair without the lock");
    for (HistoryRow& r : c_->history_[name_]) {
      if (r.service != service || r.version != version) continue;
      if (r.status != "applied" && r.status != "baseline") break;
      r.checksum = checksum;
      return Status::Ok();
    }
    return Status::Failed(service + ":" + version + " is not recorded as applied");
  }

  Status ReadForeignHistory(const std::string& tool, std::vector<std::string>* entries,
                            bool* found) override {
    std::lock_guard<std::mutex> lock(c_->mu_);
    auto& tools = c_->foreign_[name_];
    *found = tools.count(tool) > 0;
    *entries = *found ? tools[tool] : std::vector<std::string>{};
    return Status::Ok();
  }

  Status QueryNames(const std::string&, std::vector<std::string>* names) override {
    std::lock_guard<std::mutex> lock(c_->mu_);
    ++c_->queries_;
    auto it = c_->names_.find(name_);
    if (it == c_->names_.end()) return Status::Failed("relation \"tenants\" does not exist");
    *names = it->second;
    return Status::Ok();
  }

  void CutBatch() override { ++c_->cuts_; }

  void Cancel() override {
    std::lock_guard<std::mutex> lock(c_->mu_);
    ++c_->cancels_;
  }

 private:
  FakeCluster* c_;
  std::string name_;
  bool holds_lock_ = false;
  bool open_ = false;
  bool read_ = false;  // a history read on this connection
};

DatabaseFactory FakeCluster::Factory() {
  return [this](const std::string& name, std::string*) -> std::unique_ptr<Database> {
    return std::make_unique<FakeDatabase>(this, name);
  };
}

std::vector<std::string> FakeCluster::started() const {
  std::lock_guard<std::mutex> lock(mu_);
  return started_;
}

std::vector<std::string> FakeCluster::applied() const {
  std::lock_guard<std::mutex> lock(mu_);
  return applied_;
}

bool FakeCluster::any_lock_left() const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [db, locked] : locked_) {
    if (locked) return true;
  }
  return false;
}

}  // namespace lockstep
