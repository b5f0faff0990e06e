// All or nothing across databases (apply --atomic): each database's pending
// migrations in one transaction, PREPARE TRANSACTION on every database, the
// decision to commit recorded durably on the first (the coordinator), then
// COMMIT PREPARED on every one. A run that dies leaves prepared transactions
// named after it and its coordinator (AtomicGid); whoever next holds a database's
// lock (any run, or repair --in-doubt) resolves them: committed when the
// coordinator has the run's decision, rolled back when it has none.
#ifndef LOCKSTEP_DAEMON_ENGINE_ATOMIC_H_
#define LOCKSTEP_DAEMON_ENGINE_ATOMIC_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "adapters/database.h"

namespace lockstep {

// The name of the prepared transaction of run `run_id` on its
// `participant`th database (from 1), its decision kept on `coordinator`:
// "lockstep/<run id>/<participant>/<coordinator>".
std::string AtomicGid(const std::string& run_id, int participant, const std::string& coordinator);

// Resolves the prepared transactions lockstep left on `db` (`database`): a
// run that held this database's lock and died. Commits those whose
// coordinator recorded the run's decision, rolls back those whose did not;
// leaves one whose coordinator cannot be read (an error names it). One line
// per resolution into *said. REQUIRES: db's lock (so that their run is gone).
Status ResolveInDoubt(Database& db, const std::string& database, const DatabaseFactory& factory,
                      std::vector<std::string>* said);
// The same for `gids`, already read (Database::Settle).
Status ResolveInDoubt(Database& db, const std::string& database,
                      const std::vector<std::string>& gids, const DatabaseFactory& factory,
                      std::vector<std::string>* said);

// Runs `runs` (per database, in the order given) as one transaction per
// database, prepares them all, records the decision on the first database,
// and commits them all; a failure before the decision rolls back every one.
// `say` gets a line per step worth telling. Returns the first failure; after
// the decision, a failed COMMIT PREPARED is resolved by the next run.
// REQUIRES: the lock of every database of `runs`, in `locked`.
Status ApplyAtomic(const std::map<std::string, Database*>& locked,
                   const std::map<std::string, std::vector<MigrationToRun>>& runs,
                   const std::string& run_id, const DatabaseFactory& factory,
                   const std::function<void(const std::string&)>& say);

// LOCKSTEP_FAILPOINT=<name>: the process kills itself (SIGKILL) at that
// point, for tests that must crash between two exact steps
// ("atomic-after-prepare-1", "atomic-before-decision",
// "atomic-after-commit-1", ...). No-op otherwise.
void Failpoint(const std::string& name);

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_ENGINE_ATOMIC_H_
