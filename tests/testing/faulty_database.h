// A Database that passes every call through to another one, except those it
// is told to fail (leveldb's EnvWrapper, for failure tests).
#ifndef LOCKSTEP_TESTS_TESTING_FAULTY_DATABASE_H_
#define LOCKSTEP_TESTS_TESTING_FAULTY_DATABASE_H_

#include <memory>
#include <string>

#include "adapters/database.h"
#include "daemon/executor.h"

namespace lockstep {

struct Faults {
  std::string database;       // which database's calls fail
  bool open = false;          // Open() fails
  bool read_history = false;  // ReadHistory() fails
  int apply_call = -1;        // the Nth Apply() (0-based) loses its connection
};

class FaultyDatabase : public Database {
 public:
  FaultyDatabase(std::unique_ptr<Database> inner, Faults faults, bool armed)
      : inner_(std::move(inner)), faults_(std::move(faults)), armed_(armed) {}

  Status Open() override {
    if (armed_ && faults_.open) return Status::Failed("database '" + faults_.database + "': cannot connect: refused");
    return inner_->Open();
  }
  Status TryLock(bool* acquired, LockHolder* holder) override { return inner_->TryLock(acquired, holder); }
  Status Unlock() override { return inner_->Unlock(); }
  Status EnsureSchema() override { return inner_->EnsureSchema(); }
  Status ReadHistory(std::vector<HistoryRow>* rows) override {
    if (armed_ && faults_.read_history) return Status::Failed("database '" + faults_.database + "': cannot read the history");
    return inner_->ReadHistory(rows);
  }
  Status Apply(const MigrationToRun& run) override {
    if (armed_ && applies_++ == faults_.apply_call) {
      return Status::Failed(run.migration->up_path + ": lost the connection to the database");
    }
    return inner_->Apply(run);
  }
  Status CaptureSchema(SchemaSnapshot* snapshot) override { return inner_->CaptureSchema(snapshot); }
  Status SaveSnapshot(const SchemaSnapshot& snapshot, const std::string& run_id) override {
    return inner_->SaveSnapshot(snapshot, run_id);
  }
  Status LoadSnapshot(SchemaSnapshot* snapshot, bool* found) override {
    return inner_->LoadSnapshot(snapshot, found);
  }
  void Cancel() override { inner_->Cancel(); }

 private:
  std::unique_ptr<Database> inner_;
  Faults faults_;
  bool armed_;
  int applies_ = 0;
};

// Wraps every database of `factory`; those named in `faults` misbehave.
inline DatabaseFactory WithFaults(DatabaseFactory factory, Faults faults) {
  return [factory = std::move(factory), faults](const std::string& name, std::string* error)
             -> std::unique_ptr<Database> {
    auto inner = factory(name, error);
    if (!inner) return nullptr;
    return std::make_unique<FaultyDatabase>(std::move(inner), faults, name == faults.database);
  };
}

}  // namespace lockstep

#endif  // LOCKSTEP_TESTS_TESTING_FAULTY_DATABASE_H_
