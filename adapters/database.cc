#include "adapters/database.h"

namespace lockstep {

std::string LockHolder::ToString() const {
  if (pid == 0) return "another session (it let go before it could be named)";
  std::string out = "pid " + std::to_string(pid) + " (" +
                    (application_name.empty() ? "no application_name" : application_name);
  if (!client_address.empty()) out += ", from " + client_address;
  if (!since.empty()) out += ", since " + since;
  return out + ")";
}

Status Database::ApplyBatch(const std::vector<MigrationToRun>& runs, const Ended& ended,
                            const std::atomic<bool>& cut) {
  for (size_t i = 0; i < runs.size(); ++i) {
    if (i > 0 && cut) {
      Status s = Status::Cancelled("not started: the batch was cut");
      ended(i, s);
      return s;
    }
    Status s = Apply(runs[i]);
    ended(i, s);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status Database::Settle(std::vector<std::string>* in_doubt, std::vector<HistoryRow>* rows) {
  if (Status s = EnsureSchema(); !s.ok()) return s;
  if (Status s = InDoubt(in_doubt); !s.ok()) return s;
  return ReadHistory(rows);
}

Status Database::RecordBaseline(const std::vector<HistoryRow>&) {
  return Status::Failed("this database cannot record a baseline");
}

Status Database::Repair(const std::string&, const std::string&, bool, const std::string&,
                        const std::string&) {
  return Status::Failed("this database cannot repair its history");
}

Status Database::ReadEvents(const std::vector<std::string>&, std::vector<EventRow>* rows) {
  rows->clear();
  return Status::Ok();
}

Status Database::AcceptChecksum(const std::string&, const std::string&, const std::string&,
                                const std::string&) {
  return Status::Failed("this database cannot repair its history");
}

Status Database::ReadForeignHistory(const std::string&, std::vector<std::string>*, bool*) {
  return Status::Failed("this database cannot read other tools' history");
}

Status Database::RevertDrift(const std::vector<std::string>&, const std::string&,
                             const std::string&) {
  return Status::Failed("this database cannot revert drift");
}

Status Database::InDoubt(std::vector<std::string>* gids) {
  gids->clear();
  return Status::Ok();
}

Status Database::RecordDecision(const std::string&, const std::string&) {
  return Status::Failed("this database cannot record an atomic decision");
}

Status Database::HasDecision(const std::string&, bool* found) {
  *found = false;
  return Status::Failed("this database cannot read an atomic decision");
}

Status Database::Execute(const std::string&) {
  return Status::Failed("this database cannot run statements");
}

Status Database::QueryNames(const std::string&, std::vector<std::string>*) {
  return Status::Failed("this database cannot run queries");
}

}  // namespace lockstep
