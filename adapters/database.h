// One database behind one small interface, as leveldb keeps the file system
// behind Env. Implementations: PostgreSQL (libpqxx), and in tests a fake and a
// fault-injecting wrapper.
//
// Thread rules: a Database is used by one thread at a time (the executor runs
// its calls on a pool, one call per database at once); Cancel() alone may be
// called from any thread, at any time.
#ifndef LOCKSTEP_ADAPTERS_DATABASE_H_
#define LOCKSTEP_ADAPTERS_DATABASE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "graph/model.h"
#include "graph/status.h"

namespace lockstep {

// One row of <history_schema>.history.
struct HistoryRow {
  std::string service;
  std::string version;  // as the file names it ("001")
  std::string name;
  std::string checksum;
  // "applied", "baseline", "failed", or "running": a no-transaction
  // migration whose run is alive (holds the lock). A `running` row whose run
  // is gone reads as "failed".
  std::string status;
  std::string started_at, finished_at;  // ISO 8601, UTC
  int64_t execution_ms = 0;
  std::string applied_by;
  std::string run_id;
};

// A row of lockstep.events: what happened to a migration (apply, rollback,
// baseline, repair), when and by whom.
struct EventRow {
  std::string action;  // "apply", "rollback", "baseline", "repair"
  std::string service, version, name;
  std::string status;  // "applied", "rolled back", "forgotten", "checksum accepted", ...
  std::string at;      // ISO 8601, UTC
  std::string actor, run_id, detail;
};

// Who holds the migration lock of a database, from pg_locks and
// pg_stat_activity.
struct LockHolder {
  int pid = 0;
  std::string application_name;
  std::string client_address;
  std::string since;

  // "pid 123 (lockstep/abc, from 10.0.0.5, since 2026-01-01 10:00:00+00)"
  std::string ToString() const;
};

// A database's schema as lockstep compares it: object ("column
// public.users.email") -> its definition ("character varying(255) NOT NULL").
using SchemaSnapshot = std::map<std::string, std::string>;

// A migration to run, with what the history row needs.
struct MigrationToRun {
  const Migration* migration = nullptr;
  std::string service;
  std::string schema;  // search_path for its statements; empty for the default
  std::string run_id;
  bool down = false;  // a rollback: run the down statements, delete the history row
  // CREATE SCHEMA IF NOT EXISTS `schema` first: a member of a database set
  // whose schema is its own ("app_{tenant}"), which no migration can name.
  bool create_schema = false;
  // Commit with the server's synchronous_commit (the default); false: with
  // synchronous_commit = off, durable only once a later commit of the same
  // connection is (Database::Flush): WAL is flushed in order.
  bool durable = true;
  // apply --atomic: one of several migrations in the database's one
  // transaction, which the first begins (atomic_begins) and PREPARE
  // TRANSACTION ends: no COMMIT of its own. A failure rolls the whole
  // transaction back.
  bool atomic = false;
  bool atomic_begins = false;
};

class Database {
 public:
  virtual ~Database() = default;

  // Connects, with application_name lockstep/<run id>.
  virtual Status Open() = 0;

  // One short, non-blocking attempt at the session-level advisory lock, never
  // inside a transaction. Sets *acquired; when not acquired, fills *holder as
  // well as it can.
  virtual Status TryLock(bool* acquired, LockHolder* holder) = 0;
  virtual Status Unlock() = 0;

  // Creates lockstep's schema and tables when they are missing. REQUIRES: the
  // lock is held, so that two runners never race on creating them.
  virtual Status EnsureSchema() = 0;

  // Every history row; none when lockstep's tables do not exist yet. Without
  // the lock it is a consistent snapshot, possibly already out of date.
  virtual Status ReadHistory(std::vector<HistoryRow>* rows) = 0;

  // What a run does once it holds the lock, before its migrations:
  // EnsureSchema, then InDoubt into *in_doubt, then ReadHistory into *rows
  // (the history as it is before any of those is resolved: read it again
  // after resolving one). The PostgreSQL adapter takes two round trips for
  // the three. REQUIRES: the lock is held.
  virtual Status Settle(std::vector<std::string>* in_doubt, std::vector<HistoryRow>* rows);

  // Runs the migration's up statements and records it: in one transaction
  // with its history row, or for no-transaction migrations statement by
  // statement, recorded `running` while they run and `failed` when one
  // fails. With run.down, runs the down statements and deletes the history row instead (an `events`
  // row either way). The error names file:line, SQLSTATE, message, detail and hint. REQUIRES: the
  // lock is held.
  virtual Status Apply(const MigrationToRun& run) = 0;

  // Called as each migration of a batch ends: its index and its outcome.
  using Ended = std::function<void(size_t index, const Status& status)>;
  // Applies `runs` in order, as Apply would one by one, and stops at the
  // first failure: `ended` is called for each migration that ran, as it
  // ends (the last call may be a failure), and the failure, if any, is
  // returned. The last call comes once this Database is free for the next
  // call, and is the last thing ApplyBatch does with it: from that call on,
  // the caller may use or destroy it on any thread. Once `cut` is set (any
  // thread), no further migration of the batch starts; the caller calls
  // CutBatch() too.
  //
  // The PostgreSQL adapter sends a batch of migrations that each run in a
  // transaction as one message, so that the server goes from one to the
  // next without waiting for this client. REQUIRES: the lock is held.
  virtual Status ApplyBatch(const std::vector<MigrationToRun>& runs, const Ended& ended,
                            const std::atomic<bool>& cut);
  // Any thread, during ApplyBatch: for an adapter whose server runs a batch
  // on its own, makes it start no further migration of it (the one running
  // finishes); those that do not start end as failures, as if cancelled.
  // Returns at once.
  virtual void CutBatch() {}

  // Reads the live schema from the catalog: tables, columns (type,
  // nullability, default), indexes, constraints, views, functions, triggers,
  // sequences, enum types and extensions of every schema but the system ones
  // and lockstep's own.
  virtual Status CaptureSchema(SchemaSnapshot* snapshot) = 0;
  // Stores `snapshot` as what the applied migrations made. REQUIRES: the lock.
  virtual Status SaveSnapshot(const SchemaSnapshot& snapshot, const std::string& run_id) = 0;

  // Returns once every commit of this connection so far is durable: a
  // commit with the server's synchronous_commit, which flushes the WAL up to
  // it and so every earlier commit with it. SaveSnapshot does as much.
  // REQUIRES: Open.
  virtual Status Flush() = 0;
  // The latest stored snapshot; *found is false when there is none. With a
  // null `snapshot`, only whether there is one (without reading it).
  virtual Status LoadSnapshot(SchemaSnapshot* snapshot, bool* found) = 0;

  // Records `rows` (status baseline: run nothing) with an events row each;
  // rows already recorded are left as they are. REQUIRES: the lock.
  virtual Status RecordBaseline(const std::vector<HistoryRow>& rows);
  // Resolves the `failed` row of service:version: deletes it (forget) or
  // marks it applied with `checksum`, with an events row. REQUIRES: the lock.
  virtual Status Repair(const std::string& service, const std::string& version, bool mark_applied,
                        const std::string& checksum, const std::string& run_id);
  // The events of these `actions`, oldest first; none when lockstep's tables
  // are not there (or, for a database without an events table, ever).
  virtual Status ReadEvents(const std::vector<std::string>& actions, std::vector<EventRow>* rows);
  // Accepts an intentional edit of an applied file (a comment): the
  // `applied` or `baseline` row of service:version gets `checksum`, with an
  // events row naming the old and the new. REQUIRES: the lock.
  virtual Status AcceptChecksum(const std::string& service, const std::string& version,
                                const std::string& checksum, const std::string& run_id);
  // Another tool's history in this database: flyway (successful versions),
  // golang-migrate (the current version; an error when dirty), dbmate
  // (versions), alembic (head revisions), sqitch (deployed change names).
  // *found is false when the tool's table is not there.
  virtual Status ReadForeignHistory(const std::string& tool, std::vector<std::string>* entries,
                                    bool* found);

  // Runs `statements` (the SQL that takes drifted objects back to the stored
  // snapshot) in one transaction with lock_timeout 5s, with an events row
  // (action "revert drift", `detail` naming the objects). REQUIRES: the lock.
  virtual Status RevertDrift(const std::vector<std::string>& statements, const std::string& run_id,
                             const std::string& detail);

  // apply --atomic. The gids of lockstep's prepared transactions ("lockstep/
  // <run id>/<coordinator>") left on this database; none for a database
  // that cannot have any.
  virtual Status InDoubt(std::vector<std::string>* gids);
  // Records, durably, that run `run_id` decided to commit its prepared
  // transactions (an events row, action "atomic decision"), on the run's
  // coordinator database. Not inside the atomic transaction.
  virtual Status RecordDecision(const std::string& run_id, const std::string& detail);
  // Whether run `run_id` recorded its decision to commit here.
  virtual Status HasDecision(const std::string& run_id, bool* found);

  // Runs one statement outside any transaction (CREATE DATABASE and the like,
  // for verify's scratch databases).
  virtual Status Execute(const std::string& sql);

  // Runs `sql` in a read-only transaction: the first column of every row as
  // text (the members of a database set from `tenants: { query }`).
  virtual Status QueryNames(const std::string& sql, std::vector<std::string>* names);

  // Asks the server to cancel what runs now. Any thread.
  virtual void Cancel() = 0;
};

// Makes the Database of a logical database name; nullptr with *error set when
// it cannot (an unset variable, say). Called from several threads at once (histories are read in
// parallel).
using DatabaseFactory =
    std::function<std::unique_ptr<Database>(const std::string& database, std::string* error)>;

}  // namespace lockstep

#endif  // LOCKSTEP_ADAPTERS_DATABASE_H_
