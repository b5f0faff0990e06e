// The checks before a run: what a person must look at before lockstep goes
// on (ninja's build-log hash check, and more).
#ifndef LOCKSTEP_DAEMON_ENGINE_CHECKS_H_
#define LOCKSTEP_DAEMON_ENGINE_CHECKS_H_

#include <string>
#include <vector>

#include "daemon/engine/state.h"
#include "graph/graph.h"

namespace lockstep {

struct RunKind {
  bool rollback = false;            // down migrations of what is applied in the selection
  bool allow_out_of_order = false;  // apply a migration older than its service's latest applied
  // The database whose lock the state was read under, or empty: read with no
  // lock. A migration recorded running by a live run is another run's work
  // in progress, not a problem, except on the database whose lock this run
  // holds (then the lock is not holding).
  std::string locked_database;
};

// For the selection `in` (by migration), with `state` read under the locks:
// Failed for a migration recorded failed (or running in another live run:
// the lock is not holding), BadInput for an applied migration whose file
// changed; for an apply, BadInput for a pending migration older than an
// applied one of its service unless allowed; for a rollback, BadInput for a
// migration without a down file that can run, or one that something applied
// outside the selection depends on.
Status CheckBeforeRun(const MigrationGraph& graph, const PlatformState& state,
                      const std::vector<bool>& in, RunKind kind);

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_ENGINE_CHECKS_H_
