#include "daemon/engine/executor.h"

// Asio 1.18 uses std::exchange without including <utility>.
#include <utility>

#include <csignal>
#include <optional>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "daemon/engine/checks.h"
#include "daemon/engine/lock.h"

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

// The run's state lives on the io_context's one thread (the caller of Run):
// the Plan, the result and the lanes' flags need no mutex. Database calls run
// on a pool and post their outcome back.
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

  // Of the run in progress.
  std::optional<Plan> plan;
  ExecutionResult* result = nullptr;
  std::vector<bool> running_lane;
  bool stopping = false;
  std::optional<asio::thread_pool> pool;
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
        dbs(lanes.databases.size()),
        locked(lanes.databases.size(), false),
        running_lane(lanes.databases.size(), false) {}

  const std::string& DatabaseName(int lane) const { return lanes.databases[lane]; }

  // Connects, takes the lock, creates lockstep's tables when missing and
  // reads the history.
  Status Acquire(int lane, std::map<std::string, std::vector<HistoryRow>>* histories) {
    const std::string& name = DatabaseName(lane);
    std::string error;
    dbs[lane] = factory(name, &error);
    if (!dbs[lane]) return Status::BadInput(error);
    Database& db = *dbs[lane];
    if (Status s = db.Open(); !s.ok()) return s;
    auto asked = SteadyClock::now();
    auto waiting = [&](const LockHolder& holder) {
      if (observer) observer->LockWaiting(name, holder);
    };
    Status s = TakeLock(db, name, options.lock_timeout, *options.clock, waiting, &stop_requested);
    if (!s.ok()) return s;
    locked[lane] = true;
    if (observer) {
      observer->LockAcquired(
          name, std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - asked));
    }
    if (Status s = db.EnsureSchema(); !s.ok()) return s;
    return db.ReadHistory(&(*histories)[name]);
  }

  // The dependency scan: every touched database, locked in name order (the
  // lanes are sorted), so that two runs never wait on each other in a cycle.
  Status Scan(const std::vector<bool>& touched,
              std::map<std::string, std::vector<HistoryRow>>* histories) {
    for (size_t lane = 0; lane < touched.size(); ++lane) {
      if (!touched[lane]) continue;
      if (Status s = Acquire(static_cast<int>(lane), histories); !s.ok()) return s;
    }
    return Status::Ok();
  }

  // Fills free slots from the plan; lets io.run() return once nothing runs
  // and nothing more will start. REQUIRES: the io thread.
  void Fill() {
    if (stop_requested && !stopping) BeginStop();
    while (!stopping && plan->running() < options.jobs) {
      std::optional<int> next = plan->NextReady();
      if (!next) break;
      Start(*next);
    }
    if (plan->running() == 0 && (plan->done() || stopping)) {
      grace.reset();  // cancels its wait
      ticker.reset();
      signals->cancel();
      guard.reset();
    }
  }

  void Start(int m) {
    int lane = lanes.lane_of_migration[m];
    running_lane[lane] = true;
    const Migration& mig = graph.model().migrations[m];
    const Service& service = graph.model().services[mig.service];
    MigrationToRun run{&mig, service.name, service.schema, options.run_id, options.rollback};
    if (observer) observer->MigrationStarted(m, DatabaseName(lane));
    auto start = SteadyClock::now();
    asio::post(*pool, [this, db = dbs[lane].get(), run, m, lane, start] {
      Status status = db->Apply(run);
      asio::post(io, [this, status, m, lane, start] {
        Finished(m, lane, status, start);
        Fill();
      });
    });
  }

  void Finished(int m, int lane, const Status& status, SteadyClock::time_point start) {
    running_lane[lane] = false;
    plan->Finished(m, status.ok());
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start);
    if (observer) observer->MigrationFinished(m, DatabaseName(lane), status, took);
    if (status.ok()) {
      result->applied.push_back(m);
    } else if (result->status.ok()) {
      result->status = status;
      result->failed = m;
    }
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
  // queries are cancelled. REQUIRES: the io thread.
  void BeginStop() {
    if (stopping) return;
    stopping = true;
    grace.emplace(io, options.grace);
    grace->async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      for (size_t lane = 0; lane < running_lane.size(); ++lane) {
        if (running_lane[lane]) dbs[lane]->Cancel();
      }
    });
  }

  // Runs `todo` to the end, a stop, or the first failure.
  void Execute(const std::vector<bool>& todo, int lanes_used) {
    plan.emplace(graph, todo, lanes,
                 options.rollback ? Plan::Direction::kRollback : Plan::Direction::kApply);
    stopping = false;
    pool.emplace(std::max(1, std::min(options.jobs, lanes_used)));
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
    io.restart();
    pool.reset();
    signals.reset();
  }

  // Snapshots of the schema for `drift`, taken under the lock.
  void StoreSnapshots(const std::vector<bool>& touched) {
    std::vector<bool> applied(dbs.size(), false), failed(dbs.size(), false);
    for (int m : result->applied) applied[lanes.lane_of_migration[m]] = true;
    if (result->failed >= 0) failed[lanes.lane_of_migration[result->failed]] = true;
    for (size_t lane = 0; lane < dbs.size(); ++lane) {
      if (!touched[lane] || failed[lane] || !dbs[lane]) continue;
      bool found = false;
      if (!applied[lane] && (!dbs[lane]->LoadSnapshot(nullptr, &found).ok() || found)) continue;
      SchemaSnapshot live;
      Status s = dbs[lane]->CaptureSchema(&live);
      if (s.ok()) s = dbs[lane]->SaveSnapshot(live, options.run_id);
      if (!s.ok()) result->warnings.push_back(s.message());
    }
  }

  void ReleaseAll() {
    for (size_t lane = 0; lane < dbs.size(); ++lane) {
      if (dbs[lane] && locked[lane])
        dbs[lane]->Unlock();  // on failure the server frees it at disconnect
      locked[lane] = false;
      dbs[lane].reset();
    }
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
  std::vector<bool> in(graph.size(), wanted.empty());
  for (size_t m = 0; m < wanted.size(); ++m) in[m] = wanted[m];
  std::vector<bool> touched(x.lanes.databases.size(), false);
  for (int m = 0; m < graph.size(); ++m) {
    if (in[m]) touched[x.lanes.lane_of_migration[m]] = true;
  }

  std::map<std::string, std::vector<HistoryRow>> histories;  // outlives `state`
  PlatformState state;
  result.status = x.Scan(touched, &histories);
  if (result.status.ok()) {
    state = Reconcile(graph, histories);
    result.status =
        CheckBeforeRun(graph, state, in, {x.options.rollback, x.options.allow_out_of_order});
  }
  if (!result.status.ok()) {
    x.ReleaseAll();
    x.result = nullptr;
    return result;
  }

  std::vector<bool> todo(graph.size(), false);
  for (int m = 0; m < graph.size(); ++m) {
    bool want = x.options.rollback ? state.applied[m] : !state.applied[m];
    todo[m] = in[m] && want;
    result.already_applied += in[m] && !want;  // applied (or, rolling back, already gone)
  }
  if (x.observer)
    x.observer->RunPlanned(static_cast<int>(std::count(todo.begin(), todo.end(), true)));
  x.Execute(todo, static_cast<int>(std::count(touched.begin(), touched.end(), true)));
  result.not_started = x.plan->remaining();
  x.StoreSnapshots(touched);
  if (x.stopping && result.status.ok()) {
    result.status = Status::Cancelled("stopped by a signal; " + std::to_string(result.not_started) +
                                      " pending migrations were not started");
  }
  x.ReleaseAll();
  x.plan.reset();
  x.result = nullptr;
  return result;
}

}  // namespace lockstep
