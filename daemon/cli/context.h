// What every command does first: load and check the platform, pick the
// selection, and make databases from the platform's connections.
#ifndef LOCKSTEP_DAEMON_CLI_CONTEXT_H_
#define LOCKSTEP_DAEMON_CLI_CONTEXT_H_

#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "adapters/database.h"
#include "daemon/cli/commands.h"
#include "daemon/engine/databases.h"
#include "daemon/engine/executor.h"
#include "daemon/engine/hooks.h"
#include "daemon/engine/loaded.h"
#include "daemon/exit_codes.h"
#include "graph/graph.h"
#include "manifests/platform.h"

namespace lockstep {

// Loads and checks everything; prints the diagnostics to `log`, repeated
// warnings summarised unless options.verbose. `strict`: warnings are errors.
Loaded Load(const CommonOptions& options, Log& log, bool strict = false);

// The migrations `ids` name (`flag` in messages: "--target") and the heads of
// the `services`; a migration or service on a database set means every
// member's copy. BadInput naming every unknown id and service, with a "did
// you mean".
Status TargetsOf(const MigrationGraph& graph, const std::vector<std::string>& ids,
                 const std::string& flag, const std::vector<std::string>& services,
                 std::vector<int>* targets);

// Migrations selected by --target and --service: those and all they need;
// empty (meaning all) when neither is given. BadInput naming every unknown id
// and service, with a "did you mean".
Status Select(const MigrationGraph& graph, const std::vector<std::string>& targets,
              const std::vector<std::string>& services, std::vector<bool>* wanted);

// Sets *service to the index of the service named `name`; BadInput, with a
// "did you mean", when there is none. `what` prefixes the message ("rollback").
Status FindService(const MigrationGraph& graph, const std::string& name, const std::string& what,
                   int* service);

// The services that --service (names or shell patterns such as 'tenant-*',
// repeatable) and --database select: all when both are empty. BadInput for
// a name that is no service (with a "did you mean"), a pattern that matches
// none, or an unknown database.
Status ServiceFilter(const MigrationGraph& graph, const std::vector<std::string>& services,
                     const std::string& database, std::vector<bool>* keep);

// Reads the history of every database the platform's services use, without
// the lock. Returns kExitOk, or (after printing why) the exit code of what
// went wrong: 2 for configuration (an unset variable, a malformed URL), 1
// for a database that cannot be read.
int ReadHistoriesOrSay(const Platform& platform, const DatabaseFactory& factory,
                       std::map<std::string, std::vector<HistoryRow>>* histories, Log& log);

// Prints, per database (or only `only`), the script lockstep would run for
// `order` (the migrations in the order they run). BadInput when `only`
// names no database of the platform.
Status PrintSqlScripts(const Loaded& loaded, const std::vector<int>& order, bool rollback,
                       const std::string& only, std::ostream& out);

// The exit code of `status`, after saying why on `log` when it is not ok.
int OkOrSay(const Status& status, Log& log);

// Opens `name`, takes its lock (waiting on `clock` up to lock_timeout) and
// makes sure lockstep's tables exist; the lock goes with the connection when
// the result is destroyed. nullptr with *status set on failure.
std::unique_ptr<Database> OpenLocked(const Platform& platform, const DatabaseFactory& factory,
                                     const std::string& name, Clock& clock, Status* status);

// settings.hooks of run `run_id`, each hook's output logged a line at a time
// (password scrubbed); empty when the platform has none.
HookRunner LoggedHooks(const Platform& platform, const CommonOptions& options,
                       const std::string& run_id, Log& log);

// apply --atomic of the selection `wanted` (empty: everything).
int RunAtomic(const CommonOptions& options, const Loaded& loaded, std::vector<bool> wanted,
              std::ostream& out, Log& log);

// The next version of `service` in the style its files already use: "007"
// after "006"; "20261122_001" (today, then a counter) after a date-stamped
// one; "001" for a first migration.
std::string NextVersion(const MigrationGraph& graph, int service);

// Writes <version>_<name>.up.sql and .down.sql into the service's folder,
// refusing to overwrite; prints the paths (with `json`, as {"service",
// "version", "up", "down"}) and, when asked, returns them. An exit code.
int WritePair(const Service& service, const std::string& version, const std::string& name,
              const std::string& up, const std::string& down, bool json, std::ostream& out,
              Log& log, std::string* up_written = nullptr, std::string* down_written = nullptr);

// The history row that records migration `m` as a baseline (run nothing);
// `source` ("lockstep baseline") goes into its events row.
HistoryRow BaselineRow(const MigrationGraph& graph, int m, const std::string& run_id,
                       const std::string& source);

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_CLI_CONTEXT_H_
