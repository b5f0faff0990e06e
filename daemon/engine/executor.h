// Runs a plan against the databases: ninja's scheduler for migrations. One
// lane per database (one migration at a time there), lanes in parallel up to
// `jobs`; blocking database calls run on a bounded Asio thread pool and post
// their results back to the one thread that owns the Plan.
#ifndef LOCKSTEP_DAEMON_ENGINE_EXECUTOR_H_
#define LOCKSTEP_DAEMON_ENGINE_EXECUTOR_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "adapters/database.h"
#include "daemon/engine/state.h"
#include "graph/graph.h"
#include "graph/plan.h"
#include "manifests/platform.h"

namespace lockstep {

struct ExecutorOptions {
  int jobs = 8;                                 // migrations running at once, at most
  std::chrono::milliseconds lock_timeout{60'000};
  std::chrono::milliseconds grace{10'000};      // after Stop(), before cancelling
  std::string run_id;
  std::string history_schema = "lockstep";      // named in messages
  bool handle_signals = true;  // SIGINT/SIGTERM stop the run (the CLI); a daemon calls Stop()
  bool rollback = false;        // run down migrations, dependents first
  bool allow_out_of_order = false;  // apply a migration older than its service's latest applied
};

// The executor's options from the platform's settings, for run `run_id`.
ExecutorOptions ExecutorOptionsFor(const Settings& settings, const std::string& run_id);

// What the executor reports as it goes. Called on the executor's thread.
class ExecutionObserver {
 public:
  virtual ~ExecutionObserver() = default;
  virtual void LockWaiting(const std::string& /*database*/, const LockHolder& /*holder*/) {}
  virtual void LockAcquired(const std::string& /*database*/, std::chrono::milliseconds /*waited*/) {}
  virtual void MigrationStarted(int /*migration*/, const std::string& /*database*/) {}
  virtual void MigrationFinished(int /*migration*/, const std::string& /*database*/,
                                 const Status& /*status*/, std::chrono::milliseconds /*took*/) {}
};

// Takes the migration lock of `db` (the logical database `name`): short
// pg_try_advisory_lock polls with backoff (50 ms doubling to 1 s), never a
// blocking wait inside a transaction, which would hold a snapshot that
// CREATE INDEX CONCURRENTLY in the holder's run waits on forever. After
// `timeout` a LockTimeout naming the holder; Cancelled when *stop turns true.
Status TakeLock(Database& db, const std::string& name, std::chrono::milliseconds timeout,
                ExecutionObserver* observer, const std::atomic<bool>* stop);

struct ExecutionResult {
  Status status;  // the first failure, a lock timeout, or a stop
  std::vector<int> applied;     // applied by this run, in finishing order
  int already_applied = 0;      // of the selection, before this run
  int failed = -1;              // the migration that failed, or -1
  int not_started = 0;          // pending ones this run did not start
  std::vector<std::string> warnings;  // e.g. a schema snapshot that could not be stored
};

class Executor {
 public:
  Executor(const MigrationGraph& graph, DatabaseFactory factory, ExecutionObserver* observer,
           ExecutorOptions options);
  ~Executor();

  // Takes the lock of every database the selection touches, in one global
  // order (database name)... With options.rollback, `wanted` is the set to
  // roll back: of it, what is applied is rolled back, dependents first, and
  // the run refuses (exit 2) when something applied depends on it from
  // outside the set, or when one of them has no down file.
  //
  // order (database name), waiting up to lock_timeout for each; reads their
  // histories; refuses to go on past a migration recorded failed or an
  // applied file whose checksum changed; then applies what is pending in
  // `wanted` (all when empty). Then, still under the locks, stores a schema
  // snapshot of each database that applied something in this run without a
  // failure, or that has none yet (what `drift` compares with). Releases
  // every lock before it returns.
  ExecutionResult Run(const std::vector<bool>& wanted);

  // Any thread: no new migration starts; running ones get the grace period
  // and are then cancelled.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_ENGINE_EXECUTOR_H_
