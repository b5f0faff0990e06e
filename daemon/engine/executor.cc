#include "daemon/engine/executor.h"

#include "daemon/engine/atomic.h"

// Asio 1.18 uses std::exchange without including <utility>.
#include <utility>

#include <algorithm>
#include <csignal>
#include <memory>
#include <optional>
#include <set>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "daemon/engine/backoff.h"
#include "daemon/engine/checks.h"
#include "daemon/engine/databases.h"
#include "daemon/engine/lock.h"
#include "manifests/durations.h"

namespace lockstep {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

ExecutorOptions ExecutorOptionsFor(const Settings& settings, const std::string& run_id) {
  ExecutorOptions o;
  o.jobs = settings.jobs;
  o.batch = settings.lock == Settings::Lock::kLease ? 1 : o.batch;  // its fence: one at a time
  o.max_connections = settings.max_connections;
  o.connections_per_lane = settings.lock == Settings::Lock::kLease ? 2 : 1;
  o.continue_on_failure = settings.on_failure == Settings::OnFailure::kContinue;
  o.lock_timeout = settings.lock_timeout;
  o.grace = settings.shutdown_grace;
  o.run_id = run_id;
  o.history_schema = settings.history_schema;
  return o;
}

// A batch saves this process's time between migrations, which only counts
// when they are quick; slow ones go one at a time, so that each is reported
// (and made durable, about once a second) as it ends. The bound is on a
// batch's time, not a migration's: on a busy machine every migration takes a
// few times longer, and the batches shrink as much, not to one at a time.
size_t NextBatchSize(size_t last, std::chrono::nanoseconds took, size_t most) {
  constexpr std::chrono::nanoseconds kBatchTime = std::chrono::milliseconds(500);
  const auto each =
      std::max(took / static_cast<int64_t>(std::max<size_t>(last, 1)), std::chrono::nanoseconds(1));
  const size_t fits = static_cast<size_t>(kBatchTime / each);
  return std::max<size_t>(1, std::min({2 * last, most, fits}));
}

// The run's state lives on the io_context's one thread (the caller of Run):
// the Plan, the result, the lanes' states and the connection count need no
// mutex. Database calls run on a pool and post their outcome back.
struct Executor::Impl {
  // A lane's hold on its database: none, its lock being taken (connect,
  // lock, tables, history), held, or being let go (snapshot, unlock).
  enum class Hold { kNone, kTaking, kHeld, kLetting };
  // Connections a lane may use while it takes its lock: the lock's own and
  // a second (the advisory lock's pooler check, or the lease's renewer).
  static constexpr int kTakingConnections = 2;

  const MigrationGraph& graph;
  DatabaseFactory factory;
  ExecutionObserver* observer;
  ExecutorOptions options;
  Lanes lanes;
  std::vector<std::unique_ptr<Database>> dbs;  // by lane; open while taken or held
  // By lane: the connection its history was read on before the plan, kept
  // for the lane to take its lock on (counted in `connections`).
  std::vector<std::unique_ptr<Database>> kept;
  asio::io_context io;
  std::atomic<bool> stop_requested{false};

  // Of the run in progress.
  std::optional<Plan> plan;
  ExecutionResult* result = nullptr;
  std::vector<bool> in, todo;  // by migration: the selection, what it does
  std::vector<bool> skip;      // by migration: found done under the lock
  std::map<std::string, std::vector<HistoryRow>> histories;  // as last read, by database
  std::vector<Hold> hold;                                    // by lane
  std::vector<int> left;           // by lane: todo migrations not yet finished
  std::vector<bool> dirty;         // by lane: applied since its lock was taken
  std::vector<bool> broken;        // by lane: a migration failed there
  std::vector<bool> running_lane;  // by lane: a migration runs (for Cancel)
  std::vector<bool> hooked;        // by lane: its before_apply hook ran this run
  std::vector<bool> applied_here;  // by lane: this run applied something there
  // A migration's end as it will be reported, once its commit is durable.
  struct Ended {
    int m;
    Status status;
    std::chrono::milliseconds took;
  };
  // By lane: ended migrations not yet reported, the newest last. A commit
  // with synchronous_commit = off is reported once a later durable commit of
  // its lane (or a Flush) returns: WAL is flushed in order.
  std::vector<std::vector<Ended>> unreported;
  std::vector<SteadyClock::time_point> last_durable;  // by lane
  // By lane: the migrations sent together (the first started by the plan,
  // the others chained to it), and where they stand.
  struct Batch {
    std::vector<int> chain;
    std::vector<bool> durable;  // by position: committed with the server's synchronous_commit
    size_t next = 0;            // the first not yet ended
    uint64_t serial = 0;        // which of the lane's batches
    // Set once the run starts nothing new (a stop, a failure): the batch
    // starts nothing more (Database::CutBatch), and the next migration, which
    // the server may have begun before the cut took hold, is held back: not
    // started in the plan, and applied only if it commits.
    std::shared_ptr<std::atomic<bool>> cut;
    bool held_back = false;
    SteadyClock::time_point start;  // of the one running
    // How many the next batch may hold: 1 at first, then NextBatchSize.
    size_t size = 1;
    SteadyClock::time_point began;  // of the whole batch
  };
  std::vector<Batch> batches;
  uint64_t batch_serial = 0;  // of the latest batch, of any lane and run
  // By migration: something of another lane depends on it (computed once
  // per run: MustBeDurable asks for every migration).
  std::vector<bool> needed_elsewhere;
  int connections = 0;  // open now, counted as budgeted
  int letting = 0;      // lanes letting go now
  bool stopping = false;
  std::optional<asio::thread_pool> pool;      // migrations and locks being taken
  std::optional<asio::thread_pool> releaser;  // locks being let go
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
  std::optional<asio::signal_set> signals;
  std::optional<asio::steady_timer> grace;
  std::optional<asio::steady_timer> ticker;

  Impl(const MigrationGraph& g, DatabaseFactory f, ExecutionObserver* o, ExecutorOptions opts)
      : graph(g),
        factory(std::move(f)),
        observer(o),
        options(std::move(opts)),
        lanes(Lanes::Of(g)),
        dbs(lanes.databases.size()) {}

  const std::string& DatabaseName(int lane) const { return lanes.databases[lane]; }

  // Reads the history of every touched database without its lock, up to
  // max_connections at once; the first failure, if any. When every lane
  // could take its lock at once beside them (twice their number within the
  // budget), the connections stay open for the lanes: a database is then
  // connected to once per run, not twice (a backend's start, and with TLS
  // and SCRAM over a network a few round trips).
  Status ReadAll(const std::vector<bool>& touched) {
    std::vector<int> list;
    for (size_t lane = 0; lane < touched.size(); ++lane) {
      if (touched[lane]) list.push_back(static_cast<int>(lane));
    }
    std::vector<std::string> names;
    for (int lane : list) names.push_back(DatabaseName(lane));
    std::vector<std::vector<HistoryRow>> rows;
    std::vector<std::unique_ptr<Database>> opened;
    const bool keep = static_cast<int>(list.size()) * kTakingConnections <= Budget();
    std::vector<Status> status = ReadHistoriesOf(names, factory, options.max_connections,
                                                 &stop_requested, &rows, keep ? &opened : nullptr);
    kept.clear();
    kept.resize(lanes.databases.size());
    for (size_t i = 0; i < opened.size(); ++i) {
      if (opened[i]) ++connections;
      kept[list[i]] = std::move(opened[i]);
    }
    for (size_t i = 0; i < list.size(); ++i) {
      if (!status[i].ok()) return status[i];
      histories[DatabaseName(list[i])] = std::move(rows[i]);
    }
    return Status::Ok();
  }

  // Closes the kept connections of the lanes not `busy` (all without it).
  void DropKept(const std::vector<bool>& busy = {}) {
    for (size_t lane = 0; lane < kept.size(); ++lane) {
      if (kept[lane] && (busy.empty() || !busy[lane])) {
        kept[lane].reset();
        --connections;
      }
    }
  }

  // Pool thread: connects (or takes the connection the plan read on, `db`),
  // takes the lock, creates lockstep's tables when missing and reads the
  // history again. *out holds the database once its lock is taken, even
  // when what follows fails.
  Status Take(int lane, std::unique_ptr<Database> db, std::vector<HistoryRow>* rows,
              std::unique_ptr<Database>* out) {
    const std::string& name = DatabaseName(lane);
    auto connect = [&]() {
      std::string error;
      db = factory(name, &error);
      return db ? db->Open() : Status::BadInput(error);
    };
    const bool reused = db != nullptr;
    if (!reused) {
      if (Status s = connect(); !s.ok()) return s;
    }
    auto asked = SteadyClock::now();
    auto waiting = [this, name](const LockHolder& holder) {
      if (observer) asio::post(io, [this, name, holder] { observer->LockWaiting(name, holder); });
    };
    Status s = TakeLock(*db, name, options.lock_timeout, *options.clock, waiting, &stop_requested);
    if (reused && s.code() == Status::Code::kFailed) {
      // The kept connection ended while it waited (idle_session_timeout, a
      // pooler's idle timeout, a restart): a new one, as without it.
      if (s = connect(); s.ok()) {
        s = TakeLock(*db, name, options.lock_timeout, *options.clock, waiting, &stop_requested);
      }
    }
    if (!s.ok()) return s;
    auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - asked);
    if (observer) asio::post(io, [this, name, waited] { observer->LockAcquired(name, waited); });
    *out = std::move(db);
    std::vector<std::string> in_doubt;
    if (Status s = (*out)->Settle(&in_doubt, rows); !s.ok() || in_doubt.empty()) return s;
    // What an apply --atomic that died left prepared holds its locks: the
    // first run to hold this database's lock again resolves it, and reads
    // the history that changed.
    std::vector<std::string> resolved;
    if (Status s = ResolveInDoubt(**out, name, in_doubt, factory, &resolved); !s.ok()) return s;
    if (observer) {
      for (const std::string& line : resolved) {
        asio::post(io, [this, name, line] { observer->Note(name, line); });
      }
    }
    return (*out)->ReadHistory(rows);
  }

  // Under the lock again: what another run did meanwhile. Marks this lane's
  // migrations that are now done (or, rolling back, gone) to be skipped, and
  // checks the lane's part of the selection again.
  Status Recheck(int lane, std::vector<HistoryRow> rows) {
    histories[DatabaseName(lane)] = std::move(rows);
    PlatformState state = Reconcile(graph, histories);
    for (int m = 0; m < graph.size(); ++m) {
      if (!todo[m] || lanes.lane_of_migration[m] != lane) continue;
      bool want = options.rollback ? state.applied[m] : !state.applied[m];
      if (!want) skip[m] = true;
    }
    return CheckBeforeRun(graph, state, in,
                          {options.rollback, options.allow_out_of_order, DatabaseName(lane)});
  }

  int Budget() const { return std::max(options.max_connections, kTakingConnections); }
  // Connections a lane adds to take its lock: a kept one is the lock's own.
  int TakingCost(int lane) const { return kTakingConnections - (kept[lane] ? 1 : 0); }

  // Fills free slots from the plan; lets io.run() return once nothing runs,
  // nothing is let go and nothing more will start. REQUIRES: the io thread.
  void Fill() {
    if (stop_requested && !stopping) BeginStop();
    while (!stopping && plan->running() < options.jobs) {
      std::optional<int> next = plan->NextReady([this](int lane) {
        return (hold[lane] == Hold::kHeld && !running_lane[lane]) ||
               (hold[lane] == Hold::kNone && connections + TakingCost(lane) <= Budget());
      });
      if (!next) break;
      Start(*next);
    }
    // (A lane whose next migration is held back runs nothing in the plan,
    // but its batch is still in flight.)
    bool in_flight =
        std::find(running_lane.begin(), running_lane.end(), true) != running_lane.end();
    if (plan->running() == 0 && letting == 0 && !in_flight && (plan->done() || stopping)) {
      grace.reset();  // cancels its wait
      ticker.reset();
      signals->cancel();
      guard.reset();
    }
  }

  void Start(int m) {
    int lane = lanes.lane_of_migration[m];
    if (skip[m]) {
      asio::post(io, [this, m, lane] {
        Finished(m, lane, Status::Ok(), SteadyClock::now(), Outcome::kSkipped);
        Fill();
      });
      return;
    }
    if (IsExternal(m)) {
      WaitForOtherShard(m, lane);
      return;
    }
    if (hold[lane] == Hold::kHeld) {
      Apply(m, lane);
      return;
    }
    hold[lane] = Hold::kTaking;
    connections += TakingCost(lane);
    auto reuse = std::make_shared<std::unique_ptr<Database>>(std::move(kept[lane]));
    asio::post(*pool, [this, m, lane, reuse] {
      auto rows = std::make_shared<std::vector<HistoryRow>>();
      auto db = std::make_shared<std::unique_ptr<Database>>();
      Status status = Take(lane, std::move(*reuse), rows.get(), db.get());
      asio::post(io, [this, m, lane, status, rows, db] {
        Taken(m, lane, status, std::move(*rows), std::move(*db));
        Fill();
      });
    });
  }

  bool IsExternal(int m) const { return !options.external.empty() && options.external[m]; }

  // Another shard applies `m`: its history is read (no lock) until it is
  // applied there, up to lock_timeout.
  void WaitForOtherShard(int m, int lane) {
    ++connections;
    asio::post(*pool, [this, m, lane] {
      const Migration& mig = graph.model().migrations[m];
      const std::string& service = graph.model().services[mig.service].name;
      const std::string& name = DatabaseName(lane);
      auto deadline = options.clock->Now() + options.lock_timeout;
      Backoff delays(std::chrono::milliseconds(50), std::chrono::milliseconds(1000));
      Status status;
      for (;;) {
        std::string error, state;
        std::unique_ptr<Database> db = factory(name, &error);
        std::vector<HistoryRow> rows;
        status = db ? db->Open() : Status::BadInput(error);
        if (status.ok()) status = db->ReadHistory(&rows);
        if (!status.ok()) break;
        for (const HistoryRow& r : rows) {
          if (r.service == service && r.version == mig.version.text()) state = r.status;
        }
        if (state == "applied" || state == "baseline") break;
        if (state == "failed") {
          status = Status::Failed(graph.IdOf(m) + " failed on database '" + name +
                                  "', which another shard applies; this shard cannot go on");
          break;
        }
        if (stop_requested) {
          status = Status::Cancelled("stopped while waiting for " + graph.IdOf(m));
          break;
        }
        if (options.clock->Now() >= deadline) {
          status = Status::LockTimeout("waited " + FormatDuration(options.lock_timeout) + " for " +
                                       graph.IdOf(m) + " on database '" + name +
                                       "', which another shard applies (settings.lock_timeout)");
          break;
        }
        options.clock->SleepFor(delays.Next());
      }
      asio::post(io, [this, m, lane, status] {
        --connections;
        Finished(m, lane, status, SteadyClock::now(),
                 status.ok() ? Outcome::kSkipped : Outcome::kNotStarted);
        Fill();
      });
    });
  }

  void Taken(int m, int lane, const Status& taken, std::vector<HistoryRow> rows,
             std::unique_ptr<Database> db) {
    connections += options.connections_per_lane - kTakingConnections;
    dbs[lane] = std::move(db);
    last_durable[lane] = SteadyClock::now();
    // Without its lock the lane holds nothing; with it (even when what
    // followed failed) the lane lets it go as usual.
    hold[lane] = dbs[lane] ? Hold::kHeld : Hold::kNone;
    if (!dbs[lane]) connections -= options.connections_per_lane;
    Status status = taken.ok() ? Recheck(lane, std::move(rows)) : taken;
    if (!status.ok()) {
      Finished(m, lane, status, SteadyClock::now(), Outcome::kNotStarted);
    } else if (skip[m]) {
      Finished(m, lane, Status::Ok(), SteadyClock::now(), Outcome::kSkipped);
    } else {
      Apply(m, lane);
    }
  }

  bool Hooks() const { return options.hooks && !options.rollback; }

  // The services of the lane's database this run has migrations of, "a,b".
  std::string ServicesOf(int lane) const {
    std::set<std::string> names;
    for (int m = 0; m < graph.size(); ++m) {
      if (todo[m] && lanes.lane_of_migration[m] == lane) {
        names.insert(graph.model().services[graph.model().migrations[m].service].name);
      }
    }
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? "" : ",") + n;
    return out;
  }

  void Apply(int m, int lane) {
    running_lane[lane] = true;
    if (Hooks() && !hooked[lane]) {
      // settings.hooks.before_apply, once per database and run, under its
      // lock, before the first migration it applies; a failure stops it.
      hooked[lane] = true;
      asio::post(*pool, [this, m, lane, services = ServicesOf(lane)] {
        Status status = options.hooks(HookPhase::kBeforeApply, DatabaseName(lane), services);
        asio::post(io, [this, m, lane, status] {
          if (status.ok()) {
            Apply(m, lane);
          } else {
            Finished(m, lane, status, SteadyClock::now(), Outcome::kNotStarted);
          }
          Fill();
        });
      });
      return;
    }
    Batch& b = batches[lane];
    b.chain = Chain(m, b.size);
    b.durable.clear();
    b.next = 0;
    const uint64_t serial = b.serial = ++batch_serial;
    b.cut = std::make_shared<std::atomic<bool>>(false);
    b.held_back = false;
    std::vector<MigrationToRun> runs;
    for (size_t i = 0; i < b.chain.size(); ++i) {
      bool last = i + 1 == b.chain.size();
      b.durable.push_back(MustBeDurable(b.chain[i], lane, static_cast<int>(i), last));
      runs.push_back(RunOf(b.chain[i], b.durable.back()));
    }
    if (observer) observer->MigrationStarted(m, DatabaseName(lane));
    b.start = b.began = SteadyClock::now();
    asio::post(*pool,
               [this, db = dbs[lane].get(), runs = std::move(runs), lane, serial, cut = b.cut] {
                 Status status = db->ApplyBatch(
                     runs,
                     [this, lane](size_t i, const Status& ended) {
                       asio::post(io, [this, lane, i, ended] {
                         BatchEnded(lane, i, ended);
                         Fill();
                       });
                     },
                     *cut);
                 asio::post(io, [this, lane, status, serial] {
                   // Every migration ended (Database::ApplyBatch says so); should one
                   // not have, the lane must not wait for it. (Once they all did, the
                   // lane may have begun its next batch already.)
                   Batch& b = batches[lane];
                   if (b.serial == serial && b.next < b.chain.size()) {
                     BatchEnded(lane, b.next,
                                status.ok() ? Status::Failed("database '" + DatabaseName(lane) +
                                                             "': the batch ended before " +
                                                             graph.IdOf(b.chain[b.next]) + " did")
                                            : status);
                   }
                   Fill();
                 });
               });
  }

  // `m` and the migrations that can follow it on its lane, sent together:
  // each runs in a transaction of its own, is not found done, and is not
  // another shard's; up to `size` of them and kBatchBytes of SQL.
  static constexpr size_t kBatchBytes = 1 << 20;
  std::vector<int> Chain(int m, size_t size) {
    std::vector<int> chain{m};
    if (options.rollback || size <= 1 || graph.model().migrations[m].no_transaction) {
      return chain;
    }
    size_t bytes = SqlBytes(m);
    for (int next : plan->Chain(m, size - 1, [&](int c) {
           if (skip[c] || IsExternal(c) || graph.model().migrations[c].no_transaction) return false;
           bytes += SqlBytes(c);
           return bytes <= kBatchBytes;
         })) {
      chain.push_back(next);
    }
    return chain;
  }

  size_t SqlBytes(int m) const {
    size_t bytes = 0;
    for (const Statement& st : graph.model().migrations[m].up) bytes += st.sql.size();
    return bytes;
  }

  MigrationToRun RunOf(int m, bool durable) const {
    const Migration& mig = graph.model().migrations[m];
    const Service& service = graph.model().services[mig.service];
    MigrationToRun run{&mig, service.name, service.schema, options.run_id, options.rollback};
    run.create_schema = !service.member.empty() && !service.schema.empty() && !options.rollback;
    run.durable = durable;
    return run;
  }

  // The end of migration `i` of the lane's batch. The next one runs on the
  // server already: it starts here too, unless the run starts nothing new
  // now; then it is held back and cancelled. After a failure the rest of
  // the batch never runs, and goes back to the plan.
  void BatchEnded(int lane, size_t i, const Status& status) {
    Batch& b = batches[lane];
    if (i < b.next || i >= b.chain.size()) return;  // told twice
    int m = b.chain[i];
    b.next = i + 1;
    if (b.held_back) {
      b.held_back = false;
      if (!status.ok()) {
        // Cancelled (or failed) in its transaction: as if never started.
        for (size_t j = i; j < b.chain.size(); ++j) plan->Unchain(b.chain[j]);
        b.next = b.chain.size();
        running_lane[lane] = false;
        LetGoIfIdle(lane);
        return;
      }
      plan->StartChained(m);  // it committed before the cancel came: applied
      if (observer) observer->MigrationStarted(m, DatabaseName(lane));
    }
    if (!status.ok()) {
      for (size_t j = i + 1; j < b.chain.size(); ++j) plan->Unchain(b.chain[j]);
      b.next = b.chain.size();
    }
    bool goes_on = b.next < b.chain.size();
    if (!goes_on) {
      b.size = NextBatchSize(b.chain.size(), SteadyClock::now() - b.began,
                             static_cast<size_t>(options.batch));
    }
    if (status.ok() && b.durable[i]) last_durable[lane] = SteadyClock::now();
    Finished(m, lane, status, b.start, Outcome::kRan, b.durable[i], goes_on);
    if (!goes_on) return;
    b.start = SteadyClock::now();
    if (stopping || plan->failed()) {
      b.held_back = true;
      Cut(lane);
      return;
    }
    plan->StartChained(b.chain[b.next]);
    if (observer) observer->MigrationStarted(b.chain[b.next], DatabaseName(lane));
  }

  // The run starts nothing new: every batch in flight stops after the
  // migration it runs.
  void CutBatches() {
    for (size_t lane = 0; lane < batches.size(); ++lane) {
      const Batch& b = batches[lane];
      if (running_lane[lane] && b.next + 1 < b.chain.size()) Cut(static_cast<int>(lane));
    }
  }
  void Cut(int lane) {
    Batch& b = batches[lane];
    if (!b.cut || *b.cut) return;
    *b.cut = true;
    dbs[lane]->CutBatch();
  }

  // Whether `m`, `ahead` migrations after the lane's next one, must commit
  // with the server's synchronous_commit: the last of its lane in this run;
  // needed by a migration of another database (which must not start on a
  // commit a crash could lose); a rollback, or outside a transaction (each
  // statement its own commit); or, the last of its batch, a second since the
  // lane's last durable commit, so that progress is reported. Everything
  // else commits with synchronous_commit = off and is durable once a later
  // commit of its lane is: one WAL flush per lane, not one per migration.
  bool MustBeDurable(int m, int lane, int ahead, bool last_of_batch) const {
    const Migration& mig = graph.model().migrations[m];
    if (left[lane] - ahead <= 1 || options.rollback || mig.no_transaction) return true;
    if (last_of_batch && SteadyClock::now() - last_durable[lane] >= std::chrono::seconds(1)) {
      return true;
    }
    return needed_elsewhere[m];
  }

  // Reports the lane's unreported migrations, oldest first: their commits
  // are durable when `flushed` is ok; when not, those that committed are
  // failures of their own (the next run checks whether the server kept them).
  void ReportEnded(int lane, const Status& flushed) {
    for (const Ended& r : unreported[lane]) {
      Status status = r.status;
      if (status.ok() && !flushed.ok()) {
        status =
            Status::Failed(graph.IdOf(r.m) + " committed on database '" + DatabaseName(lane) +
                           "', but the server did not confirm it durable (" + flushed.message() +
                           "); the next run applies it again if the server lost it");
        result->failed_databases.push_back(DatabaseName(lane));
        if (result->status.ok()) {
          result->status = status;
          result->failed = r.m;
        }
      }
      if (observer) observer->MigrationFinished(r.m, DatabaseName(lane), status, r.took);
      if (status.ok()) result->applied.push_back(r.m);
    }
    unreported[lane].clear();
  }

  // kRan: Apply ran it; kSkipped: found done under the lock; kNotStarted:
  // its lane's lock (or the check under it) failed before it could start.
  enum class Outcome { kRan, kSkipped, kNotStarted };

  // `goes_on`: the lane runs the next migration of its batch already.
  void Finished(int m, int lane, const Status& status, SteadyClock::time_point start,
                Outcome outcome, bool durable = true, bool goes_on = false) {
    running_lane[lane] = goes_on;
    plan->Finished(m, status.ok());
    --left[lane];
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start);
    if (outcome == Outcome::kSkipped) {
      ++result->already_applied;
    } else if (outcome == Outcome::kRan) {
      // Reported once durable, after what the lane committed before it.
      unreported[lane].push_back({m, status, took});
      if (status.ok() && !durable && observer) observer->MigrationCommitted(m, DatabaseName(lane));
      if (status.ok() ? durable : unreported[lane].size() == 1) ReportEnded(lane, Status::Ok());
      (status.ok() ? dirty : broken)[lane] = true;
      if (status.ok()) applied_here[lane] = true;
    }
    if (!status.ok()) result->failed_databases.push_back(DatabaseName(lane));
    if (!status.ok() && result->status.ok()) {
      result->status = status;
      if (outcome == Outcome::kRan) result->failed = m;
    }
    // A failure may end every lane's work (on_failure: stop); anything else
    // concerns this lane only.
    if (!status.ok() && plan->failed()) CutBatches();
    if (!status.ok()) {
      for (size_t l = 0; l < hold.size(); ++l) LetGoIfIdle(static_cast<int>(l));
    } else {
      LetGoIfIdle(lane);
    }
  }

  // Lets a held lane's lock go when it has nothing left to do now: done, the
  // run failed or stops, or what it has left waits for another database.
  void LetGoIfIdle(int lane) {
    if (hold[lane] != Hold::kHeld || running_lane[lane]) return;
    if (left[lane] > 0 && !plan->failed() && !stopping && plan->ReadyOn(lane)) return;
    hold[lane] = Hold::kLetting;
    ++letting;
    if (Hooks() && left[lane] == 0 && applied_here[lane] && !broken[lane]) {
      // settings.hooks.after_apply, once the database's last migration of
      // the run is done, still under its lock (on the pool: it may take
      // minutes, and let-gos must not wait behind it).
      applied_here[lane] = false;
      asio::post(*pool, [this, lane, services = ServicesOf(lane)] {
        Status status = options.hooks(HookPhase::kAfterApply, DatabaseName(lane), services);
        asio::post(io, [this, lane, status] {
          if (!status.ok()) {
            result->failed_databases.push_back(DatabaseName(lane));
            if (result->status.ok()) result->status = status;
          }
          Release(lane);
        });
      });
      return;
    }
    Release(lane);
  }

  // Stores the lane's schema snapshot if it applied something without a
  // failure, then lets its lock go. REQUIRES: hold[lane] == kLetting.
  void Release(int lane) {
    bool snapshot = dirty[lane] && !broken[lane];
    bool flush = !unreported[lane].empty();
    dirty[lane] = false;
    // Its own threads: a let-go must never wait behind a lock being taken,
    // or two runs could each wait for the other's.
    asio::post(*releaser, [this, lane, snapshot, flush]() mutable {
      std::string warning;
      Status flushed;
      if (snapshot) {
        SchemaSnapshot live;
        Status s = dbs[lane]->CaptureSchema(&live);
        if (s.ok()) s = dbs[lane]->SaveSnapshot(live, options.run_id);  // a durable commit
        if (!s.ok()) warning = s.message();
        flush = flush && !s.ok();
      }
      // Before the lock goes: the next holder must find only durable rows.
      if (flush) flushed = dbs[lane]->Flush();
      dbs[lane]->Unlock();  // on failure the server frees it at disconnect
      dbs[lane].reset();
      asio::post(io, [this, lane, warning, flushed] {
        if (!warning.empty()) result->warnings.push_back(warning);
        ReportEnded(lane, flushed);
        hold[lane] = Hold::kNone;
        connections -= options.connections_per_lane;
        --letting;
        Fill();
      });
    });
  }

  void Tick() {
    ticker.emplace(io, options.tick);
    ticker->async_wait([this](const boost::system::error_code& ec) {
      if (ec || !ticker) return;
      observer->Tick();
      Tick();
    });
  }

  // No new migration starts; running ones get the grace period, then their
  // queries are cancelled. Idle lanes let go of their locks. REQUIRES: the
  // io thread.
  void BeginStop() {
    if (stopping) return;
    stopping = true;
    CutBatches();
    grace.emplace(io, options.grace);
    grace->async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      for (size_t lane = 0; lane < running_lane.size(); ++lane) {
        if (running_lane[lane] && dbs[lane]) dbs[lane]->Cancel();
      }
    });
    for (size_t l = 0; l < hold.size(); ++l) LetGoIfIdle(static_cast<int>(l));
  }

  // Runs `todo` to the end, a stop, or the first failure; every lock is let
  // go when it returns.
  void Execute(int lanes_used) {
    plan.emplace(graph, todo, lanes,
                 options.rollback ? Plan::Direction::kRollback : Plan::Direction::kApply,
                 options.continue_on_failure ? Plan::OnFailure::kContinue : Plan::OnFailure::kStop);
    stopping = false;
    size_t n = lanes.databases.size();
    hold.assign(n, Hold::kNone);
    left.assign(n, 0);
    dirty.assign(n, false);
    broken.assign(n, false);
    running_lane.assign(n, false);
    hooked.assign(n, false);
    applied_here.assign(n, false);
    unreported.assign(n, {});
    last_durable.assign(n, SteadyClock::now());
    batches.assign(n, {});
    skip.assign(graph.size(), false);
    needed_elsewhere.assign(graph.size(), false);
    for (int m = 0; m < graph.size(); ++m) {
      if (!todo[m]) continue;
      ++left[lanes.lane_of_migration[m]];
      for (int d : graph.DependentsOf(m)) {
        if (lanes.lane_of_migration[d] != lanes.lane_of_migration[m]) needed_elsewhere[m] = true;
      }
    }
    pool.emplace(std::max(1, std::min({options.jobs, lanes_used, Budget()})));
    releaser.emplace(std::min(2, lanes_used));
    guard.emplace(io.get_executor());
    signals.emplace(io);
    if (options.handle_signals) {
      signals->add(SIGINT);
      signals->add(SIGTERM);
    }
    signals->async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      BeginStop();
      Fill();
    });
    if (observer && options.tick.count() > 0) Tick();
    asio::post(io, [this] { Fill(); });
    io.run();
    pool->join();
    releaser->join();
    DropKept();  // of lanes that never started (a failure or a stop came first)
    io.restart();
    pool.reset();
    releaser.reset();
    signals.reset();
  }
};

Executor::Executor(const MigrationGraph& graph, DatabaseFactory factory,
                   ExecutionObserver* observer, ExecutorOptions options)
    : impl_(std::make_unique<Impl>(graph, std::move(factory), observer, std::move(options))) {}

Executor::~Executor() = default;

void Executor::Stop() {
  impl_->stop_requested = true;
  // A run in progress hears it at once; one still taking its locks sees the
  // flag, and a later one finds this queued and stops before it starts.
  asio::post(impl_->io, [impl = impl_.get()] {
    if (impl->plan && !impl->stopping) {
      impl->BeginStop();
      impl->Fill();
    }
  });
}

ExecutionResult Executor::Run(const std::vector<bool>& wanted) {
  Impl& x = *impl_;
  const MigrationGraph& graph = x.graph;
  ExecutionResult result;
  x.result = &result;
  x.histories.clear();
  x.in.assign(graph.size(), wanted.empty());
  for (size_t m = 0; m < wanted.size(); ++m) x.in[m] = wanted[m];
  std::vector<bool> touched(x.lanes.databases.size(), false);
  for (int m = 0; m < graph.size(); ++m) {
    if (x.in[m]) touched[x.lanes.lane_of_migration[m]] = true;
  }

  PlatformState state;
  result.status = x.ReadAll(touched);
  if (result.status.ok()) {
    state = Reconcile(graph, x.histories);
    result.status =
        CheckBeforeRun(graph, state, x.in,
                       {x.options.rollback, x.options.allow_out_of_order, /*locked_database=*/""});
  }
  if (!result.status.ok()) {
    x.DropKept();
    x.result = nullptr;
    return result;
  }

  x.todo.assign(graph.size(), false);
  std::vector<bool> busy(x.lanes.databases.size(), false);
  for (int m = 0; m < graph.size(); ++m) {
    bool want = x.options.rollback ? state.applied[m] : !state.applied[m];
    x.todo[m] = x.in[m] && want;
    result.already_applied += x.in[m] && !want;  // applied (or, rolling back, already gone)
    if (x.todo[m]) busy[x.lanes.lane_of_migration[m]] = true;
  }
  x.DropKept(busy);  // databases with nothing to do are not held open
  int planned = static_cast<int>(std::count(x.todo.begin(), x.todo.end(), true));
  if (x.observer) x.observer->RunPlanned(planned);
  if (planned > 0) {
    x.Execute(static_cast<int>(std::count(busy.begin(), busy.end(), true)));
    result.not_started = x.plan->remaining();
  }
  std::sort(result.failed_databases.begin(), result.failed_databases.end());
  result.failed_databases.erase(
      std::unique(result.failed_databases.begin(), result.failed_databases.end()),
      result.failed_databases.end());
  if (x.stopping && result.status.ok()) {
    result.status = Status::Cancelled("stopped by a signal; " + std::to_string(result.not_started) +
                                      " pending migrations were not started");
  }
  x.plan.reset();
  x.result = nullptr;
  return result;
}

}  // namespace lockstep
