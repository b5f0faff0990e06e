// Runs a plan against the databases: ninja's scheduler for migrations. One
// lane per database (one migration at a time there), lanes in parallel up to
// `jobs` and within `max_connections`; blocking database calls run on a
// bounded Asio thread pool and post their results back to the one thread
// that owns the Plan.
#ifndef LOCKSTEP_DAEMON_ENGINE_EXECUTOR_H_
#define LOCKSTEP_DAEMON_ENGINE_EXECUTOR_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "adapters/clock.h"
#include "adapters/database.h"
#include "daemon/engine/hooks.h"
#include "daemon/engine/state.h"
#include "graph/graph.h"
#include "graph/plan.h"
#include "manifests/platform.h"

namespace lockstep {

struct ExecutorOptions {
  int jobs = 8;  // migrations running at once, at most
  // Migrations of one database sent to it together, at most: ready ones that
  // follow each other on its lane, each in its own transaction (Database::
  // ApplyBatch), so that the server goes from one to the next without
  // waiting for this process. A lane's batches start at 1 and double while
  // they stay short (NextBatchSize); migrations of a quarter second or more
  // go one at a time. A failure stops the batch there; a stop, or a failure
  // elsewhere, lets its running migration finish and begins no other
  // (Database::CutBatch). 1: one at a time.
  int batch = 32;
  // Connections open at once, at most: histories are read in parallel up to
  // it, and a lane's lock is taken only while it leaves room.
  int max_connections = 32;
  // Connections a lane holds while it has its lock: 2 with a lease (its
  // renewing connection), else 1.
  int connections_per_lane = 1;
  // settings.on_failure: continue lets the other databases go on after one
  // fails.
  bool continue_on_failure = false;
  std::chrono::milliseconds lock_timeout{60'000};
  std::chrono::milliseconds grace{10'000};  // after Stop(), before cancelling
  std::string run_id;
  std::string history_schema = "lockstep";  // named in messages
  bool handle_signals = true;       // SIGINT/SIGTERM stop the run (the CLI); a daemon calls Stop()
  bool rollback = false;            // run down migrations, dependents first
  bool allow_out_of_order = false;  // apply a migration older than its service's latest applied
  // By migration (empty: none): applied by another shard's run; this run
  // waits (up to lock_timeout) until its history says so, and never applies
  // it or takes its database's lock.
  std::vector<bool> external;
  // settings.hooks (none when empty): before_apply runs under a database's
  // lock before its first migration of the run (a failure stops that
  // database), after_apply once its last one is done (a failure fails the
  // run; what was applied stays applied). Not run when rolling back.
  HookRunner hooks;
  Clock* clock = Clock::Real();          // for lock polling
  std::chrono::milliseconds tick{1000};  // how often the observer's Tick() is called
};

// The executor's options from the platform's settings, for run `run_id`.
ExecutorOptions ExecutorOptionsFor(const Settings& settings, const std::string& run_id);

// How many migrations a lane's next batch may hold, after one of `last`
// migrations that took `took` (from sending it to its last commit): twice
// as many, at most `most`, and no more than that pace fits into half a
// second: 1 after migrations of a quarter second or more each.
size_t NextBatchSize(size_t last, std::chrono::nanoseconds took, size_t most);

// What the executor reports as it goes. Called on the executor's thread.
class ExecutionObserver {
 public:
  virtual ~ExecutionObserver() = default;
  // Once the histories are read: how many migrations this run will start.
  virtual void RunPlanned(int /*migrations*/) {}
  // Every options.tick while migrations run (progress displays, "still running").
  virtual void Tick() {}
  virtual void LockWaiting(const std::string& /*database*/, const LockHolder& /*holder*/) {}
  // Something done on `database` beside migrations, worth a line: a prepared
  // transaction of an apply --atomic that died, resolved.
  virtual void Note(const std::string& /*database*/, const std::string& /*line*/) {}
  virtual void LockAcquired(const std::string& /*database*/, std::chrono::milliseconds /*waited*/) {
  }
  virtual void MigrationStarted(int /*migration*/, const std::string& /*database*/) {}
  // Its transaction committed with synchronous_commit = off: it no longer
  // runs; MigrationFinished follows once the commit is durable.
  virtual void MigrationCommitted(int /*migration*/, const std::string& /*database*/) {}
  // Applied (durably), or failed.
  virtual void MigrationFinished(int /*migration*/, const std::string& /*database*/,
                                 const Status& /*status*/, std::chrono::milliseconds /*took*/) {}
};

struct ExecutionResult {
  Status status;                              // the first failure, a lock timeout, or a stop
  std::vector<int> applied;                   // applied by this run, in finishing order
  int already_applied = 0;                    // of the selection, before this run
  int failed = -1;                            // the migration that failed, or -1
  std::vector<std::string> failed_databases;  // where something failed, sorted
  int not_started = 0;                        // pending ones this run did not start
  std::vector<std::string> warnings;          // e.g. a schema snapshot that could not be stored
};

class Executor {
 public:
  Executor(const MigrationGraph& graph, DatabaseFactory factory, ExecutionObserver* observer,
           ExecutorOptions options);
  ~Executor();

  // Reads the history of every database the selection touches, in parallel
  // (up to max_connections) and without their locks: a consistent snapshot
  // is enough to see what is pending. Runs CheckBeforeRun (checks.h) on it: a
  // migration recorded failed, an applied file whose checksum changed,
  // out-of-order migrations, and for a rollback missing down files and
  // dependents outside the set refuse the run before anything starts. A
  // database with nothing to do is not touched again. Then applies what is
  // pending in `wanted` (all when empty) or, with options.rollback, rolls
  // back what is applied of it, dependents first: a lane takes its
  // database's lock just before its first migration (waiting up to
  // lock_timeout), creates lockstep's tables when missing, reads the history
  // again and checks again under the lock (what another run applied
  // meanwhile is skipped), and lets the lock go when it has nothing left to
  // do — or when what it has left waits for another database, so that two
  // runs can never wait on each other; it takes the lock again, and reads
  // again, when that is done. Before letting go of a lock it stores a schema
  // snapshot of a database that applied something without a failure (what
  // `drift` compares with). REQUIRES: one Run at a time.
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
