// A Database that passes every call through to another one, except those it
// is told to fail (leveldb's EnvWrapper, for failure tests).
#ifndef LOCKSTEP_TESTS_TESTING_FAULTY_DATABASE_H_
#define LOCKSTEP_TESTS_TESTING_FAULTY_DATABASE_H_

#include <memory>
#include <string>

#include "adapters/database_wrapper.h"

namespace lockstep {

struct Faults {
  std::string database;       // which database's calls fail
  bool open = false;          // Open() fails
  bool read_history = false;  // ReadHistory() and Settle() fail
  int apply_call = -1;        // the Nth Apply() (0-based) loses its connection
};

class FaultyDatabase : public DatabaseWrapper {
 public:
  FaultyDatabase(std::unique_ptr<Database> inner, Faults faults, bool armed)
      : DatabaseWrapper(inner.get()),
        inner_(std::move(inner)),
        faults_(std::move(faults)),
        armed_(armed) {}

  Status Open() override {
    if (armed_ && faults_.open)
      return Status::Failed("database '" + faults_.database + "': cannot connect: refused");
    return DatabaseWrapper::Open();
  }
  Status ReadHistory(std::vector<HistoryRow>* rows) override {
    if (armed_ && faults_.read_history) return HistoryUnreadable();
    return DatabaseWrapper::ReadHistory(rows);
  }
  Status Settle(std::vector<std::string>* in_doubt, std::vector<HistoryRow>* rows) override {
    if (armed_ && faults_.read_history) return HistoryUnreadable();
    return DatabaseWrapper::Settle(in_doubt, rows);
  }
  Status Apply(const MigrationToRun& run) override {
    if (armed_ && applies_++ == faults_.apply_call) {
      return Status::Failed(run.migration->up_path + ": lost the connection to the database");
    }
    return DatabaseWrapper::Apply(run);
  }
  // One Apply() at a time when the Nth is to fail.
  Status ApplyBatch(const std::vector<MigrationToRun>& runs, const Ended& ended,
                    const std::atomic<bool>& cut) override {
    if (!armed_ || faults_.apply_call < 0) return DatabaseWrapper::ApplyBatch(runs, ended, cut);
    return Database::ApplyBatch(runs, ended, cut);
  }

 private:
  Status HistoryUnreadable() const {
    return Status::Failed("database '" + faults_.database + "': cannot read the history");
  }

  std::unique_ptr<Database> inner_;
  Faults faults_;
  bool armed_;
  int applies_ = 0;
};

// Wraps every database of `factory`; those named in `faults` misbehave.
inline DatabaseFactory WithFaults(DatabaseFactory factory, Faults faults) {
  return [factory = std::move(factory), faults](const std::string& name,
                                                std::string* error) -> std::unique_ptr<Database> {
    auto inner = factory(name, error);
    if (!inner) return nullptr;
    return std::make_unique<FaultyDatabase>(std::move(inner), faults, name == faults.database);
  };
}

}  // namespace lockstep

#endif  // LOCKSTEP_TESTS_TESTING_FAULTY_DATABASE_H_
