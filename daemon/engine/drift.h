// Schema drift: what differs between the schema lockstep stored after its
// last apply and the live catalog — what someone changed by hand.
#ifndef LOCKSTEP_DAEMON_ENGINE_DRIFT_H_
#define LOCKSTEP_DAEMON_ENGINE_DRIFT_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "adapters/database.h"

namespace lockstep {

struct DriftItem {
  enum class Kind { kAdded, kRemoved, kChanged };
  Kind kind;
  std::string object;  // "column public.users.email"
  std::string before;  // empty when added
  std::string after;   // empty when removed
};

// Every object added, removed or changed from `stored` to `live`, by object.
std::vector<DriftItem> Diff(const SchemaSnapshot& stored, const SchemaSnapshot& live);

struct DatabaseDrift {
  std::string database;
  enum class State { kChecked, kNoSnapshot, kBusy, kUnreachable } state = State::kChecked;
  std::string error;           // for kUnreachable
  bool misconfigured = false;  // kUnreachable for a configuration error (an unset variable)
  std::vector<DriftItem> items;
  // Compared with CheckDriftOptions::expected_without_snapshot's schema, for
  // want of a stored snapshot.
  bool expected_built = false;
  // With CheckDrift's keep_snapshots, of a checked database: what its
  // migrations made and what it is now.
  SchemaSnapshot stored, live;
};

struct CheckDriftOptions {
  bool keep_snapshots = false;  // fill DatabaseDrift::stored and ::live
  // For a database without a stored snapshot (baselined, or older than
  // lockstep): the schema it should have, built elsewhere (a scratch
  // database); called under its lock, from several threads at once.
  std::function<Status(Database& db, const std::string& database, SchemaSnapshot* expected)>
      expected_without_snapshot;
};

// Checks each database: one attempt at the lock (a run in progress would show
// as drift; such a database is reported busy instead), the stored snapshot,
// the live catalog. Up to `max_connections` databases at once. Blocking; any
// thread.
std::vector<DatabaseDrift> CheckDrift(const std::vector<std::string>& databases,
                                      const DatabaseFactory& factory, int max_connections,
                                      const CheckDriftOptions& options = {});

const char* KindName(DriftItem::Kind kind);

// What settings.schedule.correct_drift: revert did on one database.
struct DriftCorrection {
  std::string database;
  std::vector<std::string> reverted;  // objects taken back to the snapshot
  std::vector<std::string> reported;  // left for a person: tables, columns, ...
  std::string error;                  // the revert failed: nothing was changed
};

// The kinds a daemon round reverts: no data lives in them.
bool RevertedByRounds(const std::string& kind);

// For each database that drifted: under its lock (one attempt; a busy
// database is left for the next round), reads the snapshot and the catalog
// again and reverts the drift of RevertedByRounds kinds in one transaction
// with an events row. Up to `max_connections` databases at once. Blocking.
std::vector<DriftCorrection> RevertDrift(const std::vector<DatabaseDrift>& drift,
                                         const DatabaseFactory& factory, int max_connections,
                                         const std::string& run_id);

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_ENGINE_DRIFT_H_
