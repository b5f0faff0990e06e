#include "daemon/engine/atomic.h"

#include <csignal>
#include <cstdlib>

namespace lockstep {
namespace {

std::string Literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// "lockstep/<run id>/<n>/<coordinator>" -> run id and coordinator (which
// may hold a '/': "tenant/acme"); false for a name lockstep did not make.
bool ParseGid(const std::string& gid, std::string* run_id, std::string* coordinator) {
  static const std::string kPrefix = "lockstep/";
  if (gid.compare(0, kPrefix.size(), kPrefix) != 0) return false;
  size_t slash = gid.find('/', kPrefix.size());
  size_t second = slash == std::string::npos ? slash : gid.find('/', slash + 1);
  if (second == std::string::npos) return false;
  *run_id = gid.substr(kPrefix.size(), slash - kPrefix.size());
  *coordinator = gid.substr(second + 1);
  return !run_id->empty() && !coordinator->empty();
}

Status Finish(Database& db, const std::string& gid, bool commit) {
  return db.Execute(std::string(commit ? "COMMIT PREPARED " : "ROLLBACK PREPARED ") + Literal(gid));
}

}  // namespace

std::string AtomicGid(const std::string& run_id, int participant, const std::string& coordinator) {
  return "lockstep/" + run_id + "/" + std::to_string(participant) + "/" + coordinator;
}

void Failpoint(const std::string& name) {
  static const char* armed = std::getenv("LOCKSTEP_FAILPOINT");
  if (armed && name == armed) std::raise(SIGKILL);
}

Status ResolveInDoubt(Database& db, const std::string& database, const DatabaseFactory& factory,
                      std::vector<std::string>* said) {
  std::vector<std::string> gids;
  if (Status s = db.InDoubt(&gids); !s.ok()) return s;
  return ResolveInDoubt(db, database, gids, factory, said);
}

Status ResolveInDoubt(Database& db, const std::string& database,
                      const std::vector<std::string>& gids, const DatabaseFactory& factory,
                      std::vector<std::string>* said) {
  for (const std::string& gid : gids) {
    std::string run_id, coordinator;
    if (!ParseGid(gid, &run_id, &coordinator)) continue;
    bool decided = false;
    Status s;
    if (coordinator == database) {
      s = db.HasDecision(run_id, &decided);
    } else {
      std::string error;
      std::unique_ptr<Database> c = factory(coordinator, &error);
      s = c ? c->Open() : Status::BadInput(error);
      if (s.ok()) s = c->HasDecision(run_id, &decided);
    }
    if (!s.ok()) {
      return s.WithMessage("database '" + database + "': prepared transaction " + gid +
                           " of a run that died stays in doubt: its decision is kept on '" +
                           coordinator + "', which cannot be read (" + s.message() +
                           "); it holds its locks until resolved: run lockstep repair --in-doubt "
                           "once '" +
                           coordinator + "' is back");
    }
    if (Status f = Finish(db, gid, decided); !f.ok()) return f;
    if (said) {
      said->push_back("database " + database + ": " + (decided ? "committed" : "rolled back") +
                      " the prepared transaction of run " + run_id + " (" +
                      (decided ? "it had decided to commit" : "it died before deciding") + ")");
    }
  }
  return Status::Ok();
}

Status ApplyAtomic(const std::map<std::string, Database*>& locked,
                   const std::map<std::string, std::vector<MigrationToRun>>& runs,
                   const std::string& run_id, const DatabaseFactory& factory,
                   const std::function<void(const std::string&)>& say) {
  std::vector<std::string> order;
  for (const auto& [database, list] : runs) {
    if (!list.empty()) order.push_back(database);
  }
  if (order.empty()) return Status::Ok();
  const std::string& coordinator = order.front();
  // Names of prepared transactions are unique across the server, which
  // several of the databases may share.
  std::map<std::string, std::string> gid;
  for (size_t i = 0; i < order.size(); ++i) {
    gid[order[i]] = AtomicGid(run_id, static_cast<int>(i + 1), coordinator);
  }
  std::vector<std::string> prepared;
  // Before the decision, any failure rolls back everything prepared so far.
  auto abandon = [&](Status failure) {
    for (const std::string& database : prepared) {
      if (Status s = Finish(*locked.at(database), gid[database], false); !s.ok()) {
        say("could not roll back on " + database + " (" + s.message() +
            "): the next run resolves it");
      }
    }
    say("rolled back on every database: nothing was applied");
    return failure;
  };
  for (const std::string& database : order) {
    Database& db = *locked.at(database);
    const std::vector<MigrationToRun>& list = runs.at(database);
    for (size_t i = 0; i < list.size(); ++i) {
      MigrationToRun run = list[i];
      run.atomic = true;
      run.atomic_begins = i == 0;
      run.durable = true;
      if (Status s = db.Apply(run); !s.ok()) return abandon(s);
    }
    if (Status s = db.Execute("PREPARE TRANSACTION " + Literal(gid[database])); !s.ok())
      return abandon(s);
    prepared.push_back(database);
    say("prepared " + std::to_string(list.size()) +
        (list.size() == 1 ? " migration on " : " migrations on ") + database);
    Failpoint("atomic-after-prepare-" + std::to_string(prepared.size()));
  }
  Failpoint("atomic-before-decision");
  std::string detail;
  for (const std::string& database : order) detail += (detail.empty() ? "" : ", ") + database;
  if (Status s = locked.at(coordinator)->RecordDecision(run_id, "commit on " + detail); !s.ok()) {
    // Recorded or not, the coordinator knows: resolve from there now, as the
    // next run would.
    std::vector<std::string> said;
    for (const std::string& database : prepared) {
      ResolveInDoubt(*locked.at(database), database, factory, &said);
    }
    for (const std::string& line : said) say(line);
    return s.WithMessage("could not record the decision to commit on " + coordinator + ": " +
                         s.message());
  }
  say("decided: commit on " + detail);
  Failpoint("atomic-after-decision");
  Status first_failure;
  int committed = 0;
  for (const std::string& database : prepared) {
    Status s = Finish(*locked.at(database), gid[database], true);
    if (!s.ok()) {
      if (first_failure.ok()) {
        first_failure = s.WithMessage(
            "decided to commit, but COMMIT PREPARED failed on " + database + " (" + s.message() +
            "): the transaction stays prepared, holding its locks, until the next run or "
            "lockstep repair --in-doubt commits it");
      }
      continue;
    }
    Failpoint("atomic-after-commit-" + std::to_string(++committed));
  }
  if (first_failure.ok()) say("committed on " + detail);
  return first_failure;
}

}  // namespace lockstep
