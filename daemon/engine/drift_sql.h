// DDL from two schema snapshots: the SQL that turns a database shaped like
// one into one shaped like the other. `drift --write-migration` writes
// SqlToTurn(stored, live) as the up file of a migration that adopts what was
// changed by hand and SqlToTurn(live, stored) as its down; `drift
// --revert-sql` and the daemon's `correct_drift: revert` use the latter.
// Pure: no I/O.
#ifndef LOCKSTEP_DAEMON_ENGINE_DRIFT_SQL_H_
#define LOCKSTEP_DAEMON_ENGINE_DRIFT_SQL_H_

#include <functional>
#include <string>
#include <vector>

#include "adapters/database.h"

namespace lockstep {

struct DriftSql {
  // In an order that runs: drops (dependents first), then creations
  // (dependencies first). Each ends with ";".
  std::vector<std::string> statements;
  // What the snapshots cannot express ("partitioned table public.events:
  // its partition key is not in the snapshot"): nothing is generated for it.
  std::vector<std::string> inexpressible;
  // A statement that may lose data (a dropped table or column, a type
  // change): "drops column public.users.phone".
  std::vector<std::string> losses;
};

// The kind of an object key: "column" for "column public.users.email",
// "comment" for "comment table public.users".
std::string KindOfKey(const std::string& key);

// The SQL that turns a schema like `from` into one like `to`. With `only`,
// only the differences whose object kind it accepts (KindOfKey).
DriftSql SqlToTurn(const SchemaSnapshot& from, const SchemaSnapshot& to,
                   const std::function<bool(const std::string& kind)>& only = nullptr);

// `name` as an SQL identifier: bare when it is lower-case letters, digits
// and '_' and no reserved word, else in double quotes.
std::string QuoteIdent(const std::string& name);

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_ENGINE_DRIFT_SQL_H_
