// What the databases say is applied, matched against the migration files:
// ninja's dependency scan and build-log hash check, for migrations.
#ifndef LOCKSTEP_DAEMON_ENGINE_STATE_H_
#define LOCKSTEP_DAEMON_ENGINE_STATE_H_

#include <map>
#include <string>
#include <vector>

#include "adapters/database.h"
#include "graph/graph.h"

namespace lockstep {

struct UnknownRow {
  std::string database;
  HistoryRow row;
};

struct PlatformState {
  std::vector<bool> applied;              // by migration: recorded applied or baseline
  std::vector<const HistoryRow*> row_of;  // by migration; nullptr when never run
  std::vector<int> failed;                // recorded failed (or running in a run that died)
  std::vector<int> running;               // running now in a live run (no-transaction)
  std::vector<int> mismatched;            // applied, but the file's checksum differs
  std::vector<UnknownRow> unknown;        // recorded, but no such migration file here
};

// One service's line of `status`.
struct ServiceSummary {
  int applied = 0, total = 0;
  std::vector<int> pending, failed, mismatched;
  std::vector<int> running;       // no-transaction, running now in a live run
  std::vector<int> out_of_order;  // pending, but older than the service's latest applied
};

// By service index; *dirty is set when anything is pending, failed or
// checksum-mismatched. A migration running now in a live run is neither: it
// is shown as running (`wait` blocks until it is in).
std::vector<ServiceSummary> Summarize(const MigrationGraph& graph, const PlatformState& state,
                                      bool* dirty);

// Why some of `migrations` cannot be rolled back, a line each: no down file
// ("\n  a:002: no down file (services/a/migrations/002_x.down.sql)"), an empty
// one (irreversible), or one with problems (its transaction shape, a lexer
// error). Empty when every one has a down file that can run.
std::string DownFileProblems(const MigrationGraph& graph, const std::vector<int>& migrations);

// Matches each database's history rows (by logical database name) to the
// migrations of the services on that database. `histories` must outlive the
// result (row_of points into it).
PlatformState Reconcile(const MigrationGraph& graph,
                        const std::map<std::string, std::vector<HistoryRow>>& histories);

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_ENGINE_STATE_H_
