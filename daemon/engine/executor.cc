#include "daemon/engine/executor.h"

// Asio 1.18 uses std::exchange without including <utility>.
#include <utility>

#include <csignal>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "manifests/durations.h"

namespace lockstep {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

ExecutorOptions ExecutorOptionsFor(const Settings& settings, const std::string& run_id) {
  ExecutorOptions o;
  o.jobs = settings.jobs;
  o.lock_timeout = settings.lock_timeout;
  o.grace = settings.shutdown_grace;
  o.run_id = run_id;
  o.history_schema = settings.history_schema;
  return o;
}

Status TakeLock(Database& db, const std::string& name, std::chrono::milliseconds timeout,
                ExecutionObserver* observer, const std::atomic<bool>* stop) {
  auto asked = SteadyClock::now();
  auto deadline = asked + timeout;
  auto delay = std::chrono::milliseconds(50);
  bool told = false;
  for (;;) {
    bool acquired = false;
    LockHolder holder;
    if (Status s = db.TryLock(&acquired, &holder); !s.ok()) return s;
    if (acquired) break;
    if (stop && *stop) return Status::Cancelled("stopped while waiting for the lock of database '" + name + "'");
    auto now = SteadyClock::now();
    if (now >= deadline) {
      return Status::LockTimeout("database '" + name + "': the migration lock is held by " +
                                 holder.ToString() + "; gave up after " + FormatDuration(timeout) +
                                 " (settings.lock_timeout, LOCKSTEP_LOCK_TIMEOUT)");
    }
    if (!told && observer) observer->LockWaiting(name, holder);
    told = true;
    std::this_thread::sleep_for(std::min<SteadyClock::duration>(delay, deadline - now));
    delay = std::min(delay * 2, std::chrono::milliseconds(1000));
  }
  if (observer) {
    observer->LockAcquired(name, std::chrono::duration_cast<std::chrono::milliseconds>(
                                     SteadyClock::now() - asked));
  }
  return Status::Ok();
}

struct Executor::Impl {
  const MigrationGraph& graph;
  DatabaseFactory factory;
  ExecutionObserver* observer;
  ExecutorOptions options;
  Lanes lanes;
  std::vector<std::unique_ptr<Database>> dbs;  // by lane; null when untouched
  std::vector<bool> locked;                    // by lane
  asio::io_context io;
  std::atomic<bool> stop_requested{false};

  Impl(const MigrationGraph& g, DatabaseFactory f, ExecutionObserver* o, ExecutorOptions opts)
      : graph(g), factory(std::move(f)), observer(o), options(std::move(opts)),
        lanes(Lanes::Of(g)), dbs(lanes.databases.size()), locked(lanes.databases.size(), false) {}

  const std::string& DatabaseName(int lane) const { return lanes.databases[lane]; }

  // Connects, takes the lock (TakeLock), creates lockstep's tables when
  // missing and reads the history.
  Status Acquire(int lane, std::map<std::string, std::vector<HistoryRow>>* histories) {
    const std::string& name = DatabaseName(lane);
    std::string error;
    dbs[lane] = factory(name, &error);
    if (!dbs[lane]) return Status::BadInput(error);
    Database& db = *dbs[lane];
    if (Status s = db.Open(); !s.ok()) return s;
    if (Status s = TakeLock(db, name, options.lock_timeout, observer, &stop_requested); !s.ok()) {
      return s;
    }
    locked[lane] = true;
    if (Status s = db.EnsureSchema(); !s.ok()) return s;
    return db.ReadHistory(&(*histories)[name]);
  }

  // Snapshots of the schema for `drift`, taken under the lock.
  void StoreSnapshots(const std::vector<bool>& touched, const ExecutionResult& result,
                      ExecutionResult* out) {
    std::vector<bool> applied(dbs.size(), false), failed(dbs.size(), false);
    for (int m : result.applied) applied[lanes.lane_of_migration[m]] = true;
    if (result.failed >= 0) failed[lanes.lane_of_migration[result.failed]] = true;
    for (size_t lane = 0; lane < dbs.size(); ++lane) {
      if (!touched[lane] || failed[lane] || !dbs[lane]) continue;
      bool found = false;
      if (!applied[lane] && (!dbs[lane]->LoadSnapshot(nullptr, &found).ok() || found)) continue;
      SchemaSnapshot live;
      Status s = dbs[lane]->CaptureSchema(&live);
      if (s.ok()) s = dbs[lane]->SaveSnapshot(live, options.run_id);
      if (!s.ok()) out->warnings.push_back(s.message());
    }
  }

  void ReleaseAll() {
    for (size_t lane = 0; lane < dbs.size(); ++lane) {
      if (dbs[lane] && locked[lane]) dbs[lane]->Unlock();  // on failure the server frees it at disconnect
      locked[lane] = false;
      dbs[lane].reset();
    }
  }

  // Refuses to go on past what a human must look at first.
  Status CheckState(const PlatformState& state, const std::vector<bool>& in) {
    const Model& model = graph.model();
    for (int m : state.failed) {
      if (!in[m]) continue;
      const HistoryRow& row = *state.row_of[m];
      return Status::Failed(
          graph.IdOf(m) + " is recorded as failed on database '" +
          model.services[model.migrations[m].service].database + "' (run " + row.run_id +
          ", started " + row.started_at +
          "): a no-transaction migration that failed or was interrupted half-way. Finish or "
          "undo its statements by hand, then run lockstep repair --service " +
          model.services[model.migrations[m].service].name +
          " --mark-applied (finished) or --forget (undone); lockstep stops at it until then");
    }
    for (int m : state.running) {
      // Under our lock no other run can be alive: its lock is not a lock (a
      // connection pooler in transaction mode hands sessions around).
      if (!in[m]) continue;
      return Status::Failed(graph.IdOf(m) + " is recorded running in run " +
                            state.row_of[m]->run_id +
                            ", which still holds the migration lock, while this run holds it too: "
                            "the advisory lock is not holding (a connection pooler in transaction "
                            "mode?); connect directly");
    }
    for (int m : state.mismatched) {
      if (!in[m]) continue;
      const Migration& mig = model.migrations[m];
      return Status::BadInput(mig.up_path + ": " + graph.IdOf(m) + " was applied with checksum " +
                              state.row_of[m]->checksum + " but the file now has " + mig.checksum +
                              ": an applied migration must not change; restore the file and put "
                              "the change in a new migration");
    }
    return options.rollback ? CheckRollback(state, in) : CheckOrder(state, in);
  }

  // A pending migration older than an applied one of its service came in
  // late (a merged branch, a restored file): apply it only when asked.
  Status CheckOrder(const PlatformState& state, const std::vector<bool>& in) {
    const Model& model = graph.model();
    if (options.allow_out_of_order) return Status::Ok();
    std::vector<const Version*> latest(model.services.size(), nullptr);
    std::vector<int> latest_id(model.services.size(), -1);
    for (int m = 0; m < graph.size(); ++m) {
      const Migration& mig = model.migrations[m];
      if (state.applied[m] && (!latest[mig.service] || *latest[mig.service] < mig.version)) {
        latest[mig.service] = &mig.version;
        latest_id[mig.service] = m;
      }
    }
    std::string late;
    for (int m = 0; m < graph.size(); ++m) {
      const Migration& mig = model.migrations[m];
      if (!in[m] || state.applied[m] || state.row_of[m] || !latest[mig.service] ||
          !(mig.version < *latest[mig.service])) {
        continue;
      }
      late += (late.empty() ? "" : ", ") + graph.IdOf(m) + " (older than " +
              graph.IdOf(latest_id[mig.service]) + ")";
    }
    if (late.empty()) return Status::Ok();
    return Status::BadInput("out of order: " + late +
                            " arrived after a later version was applied; check that it does not "
                            "conflict, then apply with --allow-out-of-order");
  }

  Status CheckRollback(const PlatformState& state, const std::vector<bool>& in) {
    std::string outside;
    std::vector<int> rolled_back;
    for (int m = 0; m < graph.size(); ++m) {
      if (!in[m] || !state.applied[m]) continue;
      rolled_back.push_back(m);
      for (int d : graph.DependentsOf(m)) {
        if (state.applied[d] && !in[d]) outside += (outside.empty() ? "" : ", ") + graph.IdOf(d);
      }
    }
    std::string no_down = DownFileProblems(graph, rolled_back);
    if (!no_down.empty()) {
      return Status::BadInput("cannot roll back: these migrations have no down file that can run:" + no_down);
    }
    if (!outside.empty()) {
      return Status::BadInput("cannot roll back: " + outside +
                              " was applied meanwhile and depends on what would be rolled back; "
                              "plan the rollback again");
    }
    return Status::Ok();
  }
};

Executor::Executor(const MigrationGraph& graph, DatabaseFactory factory,
                   ExecutionObserver* observer, ExecutorOptions options)
    : impl_(std::make_unique<Impl>(graph, std::move(factory), observer, std::move(options))) {}

Executor::~Executor() = default;

void Executor::Stop() {
  impl_->stop_requested = true;
}

ExecutionResult Executor::Run(const std::vector<bool>& wanted) {
  Impl& x = *impl_;
  const MigrationGraph& graph = x.graph;
  ExecutionResult result;
  std::vector<bool> in(graph.size(), wanted.empty());
  for (size_t m = 0; m < wanted.size(); ++m) in[m] = wanted[m];

  // The dependency scan: every touched database, locked in name order (the
  // lanes are sorted), so that two runs never wait on each other in a cycle.
  std::vector<bool> touched(x.lanes.databases.size(), false);
  for (int m = 0; m < graph.size(); ++m) {
    if (in[m]) touched[x.lanes.lane_of_migration[m]] = true;
  }
  std::map<std::string, std::vector<HistoryRow>> histories;
  for (size_t lane = 0; lane < touched.size() && result.status.ok(); ++lane) {
    if (touched[lane]) result.status = x.Acquire(static_cast<int>(lane), &histories);
  }
  PlatformState state;
  if (result.status.ok()) {
    state = Reconcile(graph, histories);
    result.status = x.CheckState(state, in);
  }
  if (!result.status.ok()) {
    x.ReleaseAll();
    return result;
  }
  std::vector<bool> todo(graph.size(), false);
  for (int m = 0; m < graph.size(); ++m) {
    if (x.options.rollback) {
      todo[m] = in[m] && state.applied[m];
      result.already_applied += in[m] && !state.applied[m];  // already rolled back
    } else {
      todo[m] = in[m] && !state.applied[m];
      result.already_applied += in[m] && state.applied[m];
    }
  }
  Plan plan(graph, todo, x.lanes,
            x.options.rollback ? Plan::Direction::kRollback : Plan::Direction::kApply);
  int lanes_used = static_cast<int>(std::count(touched.begin(), touched.end(), true));
  asio::thread_pool pool(std::max(1, std::min(x.options.jobs, lanes_used)));
  auto guard = asio::make_work_guard(x.io);
  asio::signal_set signals(x.io);
  if (x.options.handle_signals) {
    signals.add(SIGINT);
    signals.add(SIGTERM);
  }
  asio::steady_timer grace(x.io);
  std::vector<bool> running_lane(x.lanes.databases.size(), false);
  asio::steady_timer poll(x.io);  // notices Stop() from other threads
  bool stopping = false;

  std::function<void()> fill;
  auto stop = [&] {
    if (stopping) return;
    stopping = true;
    grace.expires_after(x.options.grace);
    grace.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      for (size_t lane = 0; lane < running_lane.size(); ++lane) {
        if (running_lane[lane]) x.dbs[lane]->Cancel();
      }
    });
    fill();
  };
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) stop();
  });
  fill = [&] {
    if (x.stop_requested && !stopping) return stop();
    while (!stopping && plan.running() < x.options.jobs) {
      std::optional<int> next = plan.NextReady();
      if (!next) break;
      int m = *next, lane = x.lanes.lane_of_migration[m];
      running_lane[lane] = true;
      const Migration& mig = graph.model().migrations[m];
      const Service& service = graph.model().services[mig.service];
      MigrationToRun run{&mig, service.name, service.schema, x.options.run_id, x.options.rollback};
      if (x.observer) x.observer->MigrationStarted(m, x.DatabaseName(lane));
      auto start = SteadyClock::now();
      Database* db = x.dbs[lane].get();
      asio::post(pool, [&x, &plan, &result, &running_lane, &fill, db, run, m, lane, start] {
        Status status = db->Apply(run);
        asio::post(x.io, [&, status, m, lane, start] {
          running_lane[lane] = false;
          plan.Finished(m, status.ok());
          auto took = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start);
          if (x.observer) x.observer->MigrationFinished(m, x.DatabaseName(lane), status, took);
          if (status.ok()) {
            result.applied.push_back(m);
          } else if (result.status.ok()) {
            result.status = status;
            result.failed = m;
          }
          fill();
        });
      });
    }
    if (plan.running() == 0 && (plan.done() || stopping)) {
      grace.cancel();
      signals.cancel();
      poll.cancel();
      guard.reset();
    }
  };
  asio::post(x.io, fill);
  std::function<void(const boost::system::error_code&)> watch = [&](const boost::system::error_code& ec) {
    if (ec || plan.done()) return;
    if (x.stop_requested && !stopping) stop();
    poll.expires_after(std::chrono::milliseconds(100));
    poll.async_wait(watch);
  };
  poll.expires_after(std::chrono::milliseconds(100));
  poll.async_wait(watch);
  x.io.run();
  pool.join();
  x.io.restart();

  result.not_started = plan.remaining();
  x.StoreSnapshots(touched, result, &result);
  if (stopping && result.status.ok()) {
    result.status = Status::Cancelled("stopped by a signal; " + std::to_string(result.not_started) +
                                      " pending migrations were not started");
  }
  x.ReleaseAll();
  return result;
}

}  // namespace lockstep
