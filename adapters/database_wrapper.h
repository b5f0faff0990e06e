// A Database that forwards every call to another one.
#ifndef LOCKSTEP_ADAPTERS_DATABASE_WRAPPER_H_
#define LOCKSTEP_ADAPTERS_DATABASE_WRAPPER_H_

#include <string>
#include <vector>

#include "adapters/database.h"

namespace lockstep {

// Forwards every call to another Database, as leveldb's EnvWrapper does: a
// wrapper overrides only what it changes (the fault-injecting test database)
// and loses no method of what it wraps. Does not own `target`.
class DatabaseWrapper : public Database {
 public:
  explicit DatabaseWrapper(Database* target) : target_(target) {}

  Database* target() const { return target_; }

  Status Open() override { return target_->Open(); }
  Status TryLock(bool* acquired, LockHolder* holder) override {
    return target_->TryLock(acquired, holder);
  }
  Status Unlock() override { return target_->Unlock(); }
  Status EnsureSchema() override { return target_->EnsureSchema(); }
  Status ReadHistory(std::vector<HistoryRow>* rows) override { return target_->ReadHistory(rows); }
  Status Settle(std::vector<std::string>* in_doubt, std::vector<HistoryRow>* rows) override {
    return target_->Settle(in_doubt, rows);
  }
  Status Apply(const MigrationToRun& run) override { return target_->Apply(run); }
  Status ApplyBatch(const std::vector<MigrationToRun>& runs, const Ended& ended,
                    const std::atomic<bool>& cut) override {
    return target_->ApplyBatch(runs, ended, cut);
  }
  void CutBatch() override { target_->CutBatch(); }
  Status CaptureSchema(SchemaSnapshot* snapshot) override {
    return target_->CaptureSchema(snapshot);
  }
  Status SaveSnapshot(const SchemaSnapshot& snapshot, const std::string& run_id) override {
    return target_->SaveSnapshot(snapshot, run_id);
  }
  Status Flush() override { return target_->Flush(); }
  Status LoadSnapshot(SchemaSnapshot* snapshot, bool* found) override {
    return target_->LoadSnapshot(snapshot, found);
  }
  Status RecordBaseline(const std::vector<HistoryRow>& rows) override {
    return target_->RecordBaseline(rows);
  }
  Status Repair(const std::string& service, const std::string& version, bool mark_applied,
                const std::string& checksum, const std::string& run_id) override {
    return target_->Repair(service, version, mark_applied, checksum, run_id);
  }
  Status ReadEvents(const std::vector<std::string>& actions, std::vector<EventRow>* rows) override {
    return target_->ReadEvents(actions, rows);
  }
  Status AcceptChecksum(const std::string& service, const std::string& version,
                        const std::string& checksum, const std::string& run_id) override {
    return target_->AcceptChecksum(service, version, checksum, run_id);
  }
  Status ReadForeignHistory(const std::string& tool, std::vector<std::string>* entries,
                            bool* found) override {
    return target_->ReadForeignHistory(tool, entries, found);
  }
  Status RevertDrift(const std::vector<std::string>& statements, const std::string& run_id,
                     const std::string& detail) override {
    return target_->RevertDrift(statements, run_id, detail);
  }
  Status InDoubt(std::vector<std::string>* gids) override { return target_->InDoubt(gids); }
  Status RecordDecision(const std::string& run_id, const std::string& detail) override {
    return target_->RecordDecision(run_id, detail);
  }
  Status HasDecision(const std::string& run_id, bool* found) override {
    return target_->HasDecision(run_id, found);
  }
  Status Execute(const std::string& sql) override { return target_->Execute(sql); }
  Status QueryNames(const std::string& sql, std::vector<std::string>* names) override {
    return target_->QueryNames(sql, names);
  }
  void Cancel() override { target_->Cancel(); }

 private:
  Database* target_;
};

}  // namespace lockstep

#endif  // LOCKSTEP_ADAPTERS_DATABASE_WRAPPER_H_
