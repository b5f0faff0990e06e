// What every command does first: load and check the platform, pick the
// selection, and make databases from the platform's connections.
#ifndef LOCKSTEP_DAEMON_SESSION_H_
#define LOCKSTEP_DAEMON_SESSION_H_

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <ostream>
#include <string>
#include <vector>

#include "adapters/database.h"
#include "daemon/commands.h"
#include "daemon/executor.h"
#include "graph/graph.h"
#include "manifests/platform.h"

namespace lockstep {

// A platform and its graph, loaded and checked. The graph points into the
// platform's model, so both live together behind stable addresses.
struct Loaded {
  std::unique_ptr<Platform> platform;
  std::optional<MigrationGraph> graph;  // set only when everything is valid
  Diagnostics diag;
};

// Loads and checks everything; prints the diagnostics to `log`, repeated
// warnings summarised unless options.verbose. `strict`: warnings are errors.
Loaded Load(const CommonOptions& options, Log& log, bool strict = false);

// Migrations selected by --target and --service: those and all they need;
// empty (meaning all) when neither is given. False (after printing why) on an
// unknown id or service.
bool Select(const MigrationGraph& graph, const std::vector<std::string>& targets,
            const std::vector<std::string>& services, std::vector<bool>* wanted,
            Log& log);

// The index of the service named `name`; -1 after saying, with a "did you
// mean", that there is none. `what` prefixes the message ("rollback").
int FindServiceOrSay(const MigrationGraph& graph, const std::string& name, const std::string& what,
                     Log& log);

// The logical databases the platform's services use, sorted.
std::set<std::string> DatabasesOf(const Platform& platform);

// "1 service", "3 services".
std::string Count(size_t n, const char* one, const char* many);

// A fresh run id: 12 hex digits.
std::string NewRunId();

// Makes PostgreSQL databases from the platform's connections.
DatabaseFactory PostgresFactory(const Platform& platform, const CommonOptions& options,
                                const std::string& run_id);

// Reads the history of every database the platform's services use, without
// the lock. Returns kExitOk, or (after printing why) the exit code of what
// went wrong: 2 for configuration (an unset variable, a malformed URL), 1
// for a database that cannot be read.
int ReadHistories(const Platform& platform, const DatabaseFactory& factory,
                   std::map<std::string, std::vector<HistoryRow>>* histories, Log& log);

int ExitCodeOf(const Status& status);

// The executor's options from the platform's settings, for run `run_id`.
ExecutorOptions ExecutorOptionsFor(const Settings& settings, const std::string& run_id);

// Prints, per database (or only `only`), the script lockstep would run for
// `order` (the migrations in the order they run). False (after saying why)
// when `only` names no database of the platform.
bool PrintSqlScripts(const Loaded& loaded, const std::vector<int>& order, bool rollback,
                     const std::string& only, std::ostream& out, Log& log);

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_SESSION_H_
