// The databases of a platform: making them from its connections, reading
// their histories, naming runs.
#ifndef LOCKSTEP_DAEMON_ENGINE_DATABASES_H_
#define LOCKSTEP_DAEMON_ENGINE_DATABASES_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "adapters/database.h"
#include "daemon/options.h"
#include "graph/graph.h"
#include "manifests/platform.h"

namespace lockstep {

// A fresh run id: 12 hex digits.
std::string NewRunId();

// The logical databases the platform's services use, sorted.
std::set<std::string> DatabasesOf(const Platform& platform);

// The shard of a database among `count`: the first 32 bits of the SHA-256 of
// its name, modulo `count`. Stable across processes, machines and versions.
int ShardOf(const std::string& database, int count);

// With --shard I/N: narrows `wanted` (all when empty) to the migrations on this
// shard's databases plus what they need; *external marks what they need on
// other shards' databases, which this run waits for instead of applying.
// Without --shard, leaves both alone.
void Shard(const MigrationGraph& graph, int shard, int shards, std::vector<bool>* wanted,
           std::vector<bool>* external);

// With --tenant: narrows `wanted` (all when empty) to the migrations on
// members of database sets (the selected ones are all that is left after
// loading) plus what they need, on plain databases too.
void OnlyMembers(const MigrationGraph& graph, std::vector<bool>* wanted);

// PostgreSQL databases from the platform's connections (${VAR} from `env`).
DatabaseFactory PostgresFactory(const Platform& platform, const Environment& env,
                                const std::string& run_id);

// options.databases when set, PostgresFactory otherwise.
DatabaseFactory MakeDatabases(const CommonOptions& options, const Platform& platform,
                              const std::string& run_id);

// Calls work(i) for i in [0, n): the first on the calling thread, the rest in
// parallel, at most `max_connections` at once (each opens one connection).
// libpqxx 6.4 fills a table of its own lazily, without a lock, on first use
// (ThreadSanitizer saw two readers race on it); after that it is only read.
void InParallel(size_t n, int max_connections, const std::function<void(size_t)>& work);

// The history of each of `names`, without locks: the first on the calling
// thread, the rest in parallel up to `max_connections` at once; a Status per
// name (Cancelled for those not begun once *stop is set). *rows by name.
// With `keep`, each database read is kept open there (by name's index),
// for its lane to take its lock on; else each connection is closed.
std::vector<Status> ReadHistoriesOf(const std::vector<std::string>& names,
                                    const DatabaseFactory& factory, int max_connections,
                                    const std::atomic<bool>* stop,
                                    std::vector<std::vector<HistoryRow>>* rows,
                                    std::vector<std::unique_ptr<Database>>* keep = nullptr);

// Reads the history of every database the platform's services use, without
// the lock. Returns what went wrong, a Status per database that could not be
// read (BadInput for configuration: an unset variable, a malformed URL).
std::vector<Status> ReadHistories(const Platform& platform, const DatabaseFactory& factory,
                                  std::map<std::string, std::vector<HistoryRow>>* histories);

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_ENGINE_DATABASES_H_
