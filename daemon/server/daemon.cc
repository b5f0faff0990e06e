#include "daemon/server/daemon.h"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <ctime>
#include <set>

#include <boost/asio/post.hpp>

#include "daemon/exit_codes.h"
#include "daemon/views/render.h"
#include "manifests/migration_files.h"

namespace lockstep {
namespace {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

constexpr size_t kKeptRuns = 50;
constexpr size_t kKeptLogLines = 500;

std::string NowIso() {
  std::time_t t = std::time(nullptr);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buffer;
}

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Feeds a run's progress into its record and the metrics. Executor thread.
class RunObserver : public ExecutionObserver {
 public:
  RunObserver(std::mutex* mu, RunRecord* run, Metrics* metrics, const MigrationGraph& graph)
      : mu_(mu), run_(run), metrics_(metrics), graph_(graph) {}

  void LockWaiting(const std::string& database, const LockHolder& holder) override {
    Log("waiting for the migration lock of database '" + database + "', held by " +
        holder.ToString());
  }
  void Note(const std::string&, const std::string& line) override { Log(line); }
  void LockAcquired(const std::string&, std::chrono::milliseconds waited) override {
    metrics_->LockWaited(waited.count() / 1000.0);
  }
  void MigrationStarted(int m, const std::string& database) override {
    std::lock_guard<std::mutex> lock(*mu_);
    run_->migrations.push_back({graph_.IdOf(m), database, "running", -1, ""});
    AddLog("start " + database + " " + graph_.IdOf(m));
  }
  void MigrationFinished(int m, const std::string& database, const Status& status,
                         std::chrono::milliseconds took) override {
    (status.ok() ? metrics_->MigrationApplied(took.count() / 1000.0)
                 : metrics_->MigrationFailed(took.count() / 1000.0));
    std::lock_guard<std::mutex> lock(*mu_);
    for (MigrationProgress& p : run_->migrations) {
      if (p.id != graph_.IdOf(m)) continue;
      p.state = status.ok() ? "applied" : "failed";
      p.duration_ms = took.count();
      p.error = status.message();
    }
    AddLog((status.ok() ? "done " : "FAILED ") + database + " " + graph_.IdOf(m) + " " +
           std::to_string(took.count()) + " ms");
  }

 private:
  void Log(const std::string& line) {
    std::lock_guard<std::mutex> lock(*mu_);
    AddLog(line);
  }
  void AddLog(const std::string& line) {  // REQUIRES: *mu_ held
    if (run_->log.size() < kKeptLogLines) run_->log.push_back(line);
  }

  std::mutex* mu_;
  RunRecord* run_;
  Metrics* metrics_;
  const MigrationGraph& graph_;
};

}  // namespace

int RunServe(const CommonOptions& options, const ServeOptions& serve, std::ostream& out, Log& log) {
  Daemon daemon(options, serve, log);
  return daemon.Run(out);
}

Daemon::Daemon(CommonOptions options, ServeOptions serve, Log& log)
    : options_(std::move(options)),
      serve_(std::move(serve)),
      log_(log),
      server_(
          io_, [this](const HttpRequest& r) { return Handle(r); }, serve_.max_connections),
      refresh_timer_(io_),
      round_timer_(io_),
      signals_(io_, SIGINT, SIGTERM, SIGHUP),
      refresh_backoff_(std::chrono::milliseconds(1000), serve_.refresh) {}

Daemon::~Daemon() { worker_.join(); }

Loaded Daemon::Load(Log& log) const {
  Loaded loaded = LoadAndCheck(options_);
  LogDiagnostics(loaded.diag, options_.verbose, log);
  for (const std::string& note : loaded.notes) log.info() << "lockstep: " << note << "\n";
  return loaded;
}

std::shared_ptr<const Loaded> Daemon::platform() const {
  std::lock_guard<std::mutex> lock(mu_);
  return platform_;
}

std::shared_ptr<const Observed> Daemon::observed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return observed_;
}

int Daemon::Run(std::ostream& out) {
  if (!serve_.token_file.empty()) {
    std::string error;
    if (!ReadWholeFile(serve_.token_file, &token_, &error)) {
      log_.error() << "lockstep: --token-file " << serve_.token_file << ": " << error << "\n";
      return kExitBadInput;
    }
    while (!token_.empty() && isspace(static_cast<unsigned char>(token_.back()))) token_.pop_back();
  } else {
    token_ = options_.env("LOCKSTEP_API_TOKEN").value_or("");
  }
  Loaded loaded = Load(log_);
  if (!loaded.graph) return kExitBadInput;
  platform_ = std::make_shared<const Loaded>(std::move(loaded));
  if (Status s = server_.Listen(serve_.listen); !s.ok()) {
    log_.error() << "lockstep: " << s.message() << "\n";
    return ExitCodeOf(s);
  }
  std::string host = serve_.listen.substr(0, serve_.listen.rfind(':'));
  out << "listening on " << host << ":" << server_.port() << "\n" << std::flush;
  log_.info() << "lockstep: serving " << platform_->platform->config_path << " on http://" << host
              << ":" << server_.port() << "/"
              << (token_.empty() ? " (no API token: changes through the API are refused)" : "")
              << "\n";
  if (!platform_->platform->settings.coordination.empty()) {
    StartCoordinator(*platform_->platform);
  }
  WaitForSignals();
  ScheduleRefresh(std::chrono::milliseconds(0));
  ScheduleRound();
  io_.run();
  worker_.join();
  log_.info() << "lockstep: stopped\n";
  return kExitOk;
}

void Daemon::WaitForSignals() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      log_.info() << "lockstep: SIGHUP: reloading " << platform()->platform->config_path << "\n";
      asio::post(worker_, [this] { Reload(); });
      WaitForSignals();
      return;
    }
    Drain();
  });
}

void Daemon::Drain() {
  log_.info() << "lockstep: draining: no new runs; the running one gets its grace period\n";
  server_.Stop();
  refresh_timer_.cancel();
  round_timer_.cancel();
  // Let another replica lead now; the run in progress keeps its databases'
  // own locks until it ends.
  if (coordinator_) coordinator_->Stop();
  {
    std::lock_guard<std::mutex> lock(mu_);
    draining_ = true;
    if (current_) current_->Stop();
  }
  // After the worker's last job (the run in progress), stop the io thread.
  asio::post(worker_, [this] { asio::post(io_, [this] { io_.stop(); }); });
}

void Daemon::ScheduleRefresh(std::chrono::milliseconds after) {
  refresh_timer_.expires_after(after);
  refresh_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) asio::post(worker_, [this] { Refresh(); });
  });
}

void Daemon::ScheduleRound() {
  std::chrono::milliseconds interval = platform()->platform->settings.schedule.interval;
  if (interval.count() == 0) return;
  round_timer_.expires_after(interval);
  round_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) asio::post(worker_, [this] { Round(); });
  });
}

void Daemon::Refresh() {
  std::shared_ptr<const Loaded> p = platform();
  auto obs = std::make_shared<Observed>();
  obs->platform = p;
  DatabaseFactory factory = MakeDatabases(options_, *p->platform, NewRunId());
  std::set<std::string> all = DatabasesOf(*p->platform);
  std::vector<std::string> names(all.begin(), all.end()), reachable;
  std::vector<std::vector<HistoryRow>> histories;
  int max_connections = p->platform->settings.max_connections;
  std::vector<Status> read = ReadHistoriesOf(names, factory, max_connections, nullptr, &histories);
  std::map<std::string, bool> up;
  for (size_t i = 0; i < names.size(); ++i) {
    up[names[i]] = read[i].ok();
    if (read[i].ok()) {
      reachable.push_back(names[i]);
      obs->histories[names[i]] = std::move(histories[i]);
    } else {
      obs->unreachable[names[i]] = read[i].message();
    }
  }
  obs->state = Reconcile(*p->graph, obs->histories);
  obs->drift = CheckDrift(reachable, factory, max_connections);
  obs->at = NowIso();

  bool dirty = false;
  std::vector<ServiceSummary> rows = Summarize(*p->graph, obs->state, &dirty);
  std::map<std::string, int> pending, running, failed, drift;
  for (size_t s = 0; s < rows.size(); ++s) {
    // The labels: a member's copy of a service is told apart by its member.
    const Service& service = p->graph->model().services[s];
    std::string name = "service=\"" + service.name + "\"";
    if (!service.member.empty()) name += ",database=\"" + service.member + "\"";
    pending[name] = static_cast<int>(rows[s].pending.size());
    running[name] = static_cast<int>(rows[s].running.size());
    failed[name] = static_cast<int>(rows[s].failed.size());
  }
  for (const DatabaseDrift& d : obs->drift) drift[d.database] = static_cast<int>(d.items.size());
  metrics_.SetRecorded(std::move(pending), std::move(running), std::move(failed));
  metrics_.SetDrift(std::move(drift));
  metrics_.SetReachable(std::move(up));
  for (const auto& [db, error] : obs->unreachable) {
    log_.warning() << "lockstep: database '" << db << "' unreachable: " << error << "\n";
  }
  bool ok = obs->unreachable.empty();
  {
    std::lock_guard<std::mutex> lock(mu_);
    observed_ = std::move(obs);
  }
  // A database that went away is retried with backoff: 1 s, 2 s, ... up to
  // the refresh interval.
  std::chrono::milliseconds next = serve_.refresh;
  if (!ok) {
    next = refresh_backoff_.Next();
  } else {
    refresh_backoff_.Reset();
  }
  asio::post(io_, [this, next] {
    if (!draining_) ScheduleRefresh(next);
  });
}

bool Daemon::Reload(bool quiet) {
  Log silent(log_.format(), /*discard=*/true);  // a quiet reload reports only what went wrong
  Loaded loaded = Load(quiet ? silent : log_);
  if (!loaded.graph) {
    if (quiet) {
      for (const Diagnostic& d : loaded.diag.all()) {
        if (d.severity == Diagnostic::Severity::kError) log_.error() << d.ToString() << "\n";
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    reload_error_ = "the last reload (" + NowIso() + ") failed with " +
                    std::to_string(loaded.diag.error_count()) +
                    " errors (see the log); still serving the platform loaded before";
    log_.error() << "lockstep: " << reload_error_ << "\n";
    return false;
  }
  std::shared_ptr<const Loaded> before = platform();
  bool changed =
      loaded.platform->model.migrations.size() != before->platform->model.migrations.size();
  for (size_t m = 0; !changed && m < loaded.platform->model.migrations.size(); ++m) {
    changed = loaded.platform->model.migrations[m].checksum !=
              before->platform->model.migrations[m].checksum;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    platform_ = std::make_shared<const Loaded>(std::move(loaded));
    reload_error_.clear();
  }
  if (!quiet || changed) {
    log_.info() << "lockstep: reloaded: " << platform_->platform->model.services.size()
                << " services, " << platform_->platform->model.migrations.size() << " migrations\n";
  }
  if (quiet) return true;
  Refresh();
  asio::post(io_, [this] {
    round_timer_.cancel();
    if (!draining_) ScheduleRound();
  });
  return true;
}

void Daemon::StartCoordinator(const Platform& platform) {
  const Settings& settings = platform.settings;
  coordination_ = std::make_unique<Platform>();
  coordination_->config_path = platform.config_path;
  coordination_->root = platform.root;
  coordination_->settings = settings;
  DatabaseConfig db = *platform.FindDatabase(settings.coordination);
  db.history_schema = settings.history_schema + "_leader";
  coordination_->databases.push_back(db);
  char host[64] = "";
  gethostname(host, sizeof host - 1);
  std::string name = "serve-" + std::string(host).substr(0, 30) + "-" + std::to_string(getpid());
  // Taking over takes at most 4 intervals (coordinator.h): 2/3 of lock_timeout.
  auto interval = std::clamp<std::chrono::milliseconds>(
      settings.lock_timeout / 6, std::chrono::milliseconds(100), std::chrono::milliseconds(1000));
  DatabaseFactory factory = MakeDatabases(options_, *coordination_, name);
  coordinator_ = std::make_unique<Coordinator>(
      [factory, db_name = db.name]() {
        std::string error;
        return factory(db_name, &error);
      },
      interval, settings.lock == Settings::Lock::kLease,
      [this](bool leading) {
        log_.info() << "lockstep: " << (leading ? "leading" : "no longer leading")
                    << ": this replica " << (leading ? "runs" : "stops starting")
                    << " scheduled rounds and API runs\n";
      });
  log_.info() << "lockstep: following until elected leader on database '" << db.name << "' (as "
              << name << ")\n";
  coordinator_->Start();
}

std::string Daemon::Role() const {
  if (!coordinator_) return "standalone";
  return coordinator_->leading() ? "leader" : "follower";
}

void Daemon::Round() {
  if (!Leads()) {  // the leader runs rounds; a follower's pages stay fresh by refreshes
    asio::post(io_, [this] {
      if (!draining_) ScheduleRound();
    });
    return;
  }
  Reload(/*quiet=*/true);  // a round checks what is on disk now
  Refresh();
  std::shared_ptr<const Observed> obs = observed();
  std::shared_ptr<const Loaded> p = obs->platform;
  const Schedule& schedule = p->platform->settings.schedule;
  bool dirty = false;
  std::vector<ServiceSummary> rows = Summarize(*p->graph, obs->state, &dirty);
  size_t pending = 0, drifted = 0;
  for (const ServiceSummary& r : rows) pending += r.pending.size();
  for (const DatabaseDrift& d : obs->drift) drifted += d.items.size();
  log_.info() << "lockstep: round: " << pending << " pending, " << obs->state.failed.size()
              << " failed, " << obs->state.mismatched.size() << " checksum-mismatched, " << drifted
              << " drifted objects, " << obs->unreachable.size() << " unreachable databases\n";
  if (schedule.revert_drift && drifted > 0) CorrectDrift(*obs);
  if (schedule.apply_pending && pending > 0 && obs->state.failed.empty() &&
      obs->state.mismatched.empty()) {
    auto run = std::make_shared<RunRecord>();
    run->id = NewRunId();
    run->action = "apply";
    run->trigger = "schedule";
    run->created_at = NowIso();
    {
      std::lock_guard<std::mutex> lock(mu_);
      runs_.push_front(run);
      if (runs_.size() > kKeptRuns) runs_.pop_back();
    }
    Execute(run);
  } else if (pending > 0 || !obs->state.failed.empty() || !obs->state.mismatched.empty()) {
    log_.warning() << "lockstep: round: not applying ("
                   << (!schedule.apply_pending ? "settings.schedule.apply_pending is false"
                                               : "a failed or checksum-mismatched migration needs "
                                                 "a person first")
                   << ")\n";
  }
  asio::post(io_, [this] {
    if (!draining_) ScheduleRound();
  });
}

void Daemon::CorrectDrift(const Observed& obs) {
  std::string run_id = NewRunId();
  const Platform& platform = *obs.platform->platform;
  std::vector<DriftCorrection> done =
      RevertDrift(obs.drift, MakeDatabases(options_, platform, run_id),
                  platform.settings.max_connections, run_id);
  auto list = [](const std::vector<std::string>& objects) {
    std::string out;
    for (const std::string& o : objects) out += (out.empty() ? "" : ", ") + o;
    return out;
  };
  for (const DriftCorrection& c : done) {
    metrics_.DriftCorrected(c.database, static_cast<int>(c.reverted.size()),
                            static_cast<int>(c.reported.size()));
    if (!c.reverted.empty()) {
      log_.info() << "lockstep: round: reverted " << c.reverted.size() << " drifted "
                  << (c.reverted.size() == 1 ? "object" : "objects") << " on " << c.database
                  << " (run " << run_id << "): " << list(c.reverted) << "\n";
    }
    if (!c.error.empty()) {
      log_.warning() << "lockstep: round: could not revert the drift on " << c.database << ": "
                     << c.error << "\n";
    }
    if (!c.reported.empty()) {
      log_.warning() << "lockstep: round: drift on " << c.database
                     << " left for a person (correct_drift reverts only indexes, comments, "
                        "views, functions and triggers; lockstep drift --write-migration "
                        "adopts it, --revert-sql undoes it): "
                     << list(c.reported) << "\n";
    }
  }
  // The page and /metrics show what is left; nothing to re-read when no
  // revert went through.
  bool changed = false;
  for (const DriftCorrection& c : done) changed |= !c.reverted.empty();
  if (changed) Refresh();
}

std::shared_ptr<RunRecord> Daemon::Enqueue(const std::string& action, const std::string& target,
                                           const std::string& trigger) {
  auto run = std::make_shared<RunRecord>();
  run->id = NewRunId();
  run->action = action;
  run->target = target;
  run->trigger = trigger;
  run->created_at = NowIso();
  {
    std::lock_guard<std::mutex> lock(mu_);
    runs_.push_front(run);
    if (runs_.size() > kKeptRuns) runs_.pop_back();
  }
  asio::post(worker_, [this, run] { Execute(run); });
  return run;
}

void Daemon::Execute(std::shared_ptr<RunRecord> run) {
  std::shared_ptr<const Loaded> p = platform();
  const MigrationGraph& graph = *p->graph;
  std::vector<bool> wanted;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (draining_) {
      run->state = "cancelled";
      run->error = "the daemon is shutting down";
      run->finished_at = NowIso();
      return;
    }
    run->state = "running";
    run->started_at = NowIso();
    if (!run->target.empty()) {
      std::string error;
      std::vector<int> targets = graph.ResolveAll(run->target, &error);  // each member's copy
      if (targets.empty()) {
        run->state = "failed";
        run->error = "target: " + error;
        run->finished_at = NowIso();
        return;
      }
      // apply: the target and what it needs; rollback: the target's service
      // back to the target (as `lockstep rollback --to`).
      wanted = run->action == "rollback" ? std::vector<bool>(graph.size(), false)
                                         : graph.Closure(targets);
      for (int m : run->action == "rollback" ? targets : std::vector<int>{}) {
        std::vector<bool> back = graph.BackTo(m);
        for (int x = 0; x < graph.size(); ++x) wanted[x] = wanted[x] || back[x];
      }
    }
  }
  const Settings& settings = p->platform->settings;
  ExecutorOptions eo = ExecutorOptionsFor(settings, run->id);
  eo.handle_signals = false;
  eo.rollback = run->action == "rollback";
  eo.hooks =
      MakeHookRunner(*p->platform, options_.env, run->id,
                     [this](const std::string& db, HookPhase phase, const std::string& output) {
                       for (const std::string& line : HookOutputLines(db, phase, output))
                         log_.info() << line << "\n";
                     });
  RunObserver observer(&mu_, run.get(), &metrics_, graph);
  Executor executor(graph, MakeDatabases(options_, *p->platform, run->id), &observer, eo);
  {
    std::lock_guard<std::mutex> lock(mu_);
    current_ = &executor;
  }
  log_.info() << "lockstep: run " << run->id << " (" << run->trigger << "): " << run->action
              << (run->target.empty()
                      ? ""
                      : (run->action == "rollback" ? " --to " : " --target ") + run->target)
              << "\n";
  ExecutionResult result = executor.Run(wanted);
  {
    std::lock_guard<std::mutex> lock(mu_);
    current_ = nullptr;
    run->applied = static_cast<int>(result.applied.size());
    run->already_applied = result.already_applied;
    run->error = result.status.message();
    run->state = result.status.ok()                                 ? "succeeded"
                 : result.status.code() == Status::Code::kCancelled ? "cancelled"
                                                                    : "failed";
    run->finished_at = NowIso();
    for (const std::string& w : result.warnings) run->log.push_back("warning: " + w);
  }
  if (result.status.ok()) metrics_.RunSucceeded(UnixNow());
  metrics_.RunFinished(run->trigger, result.status.code() == Status::Code::kLockTimeout
                                         ? "lock_timeout"
                                         : run->state);
  (result.status.ok() ? log_.info() : log_.error())
      << "lockstep: run " << run->id << ": applied " << result.applied.size()
      << ", already applied " << result.already_applied
      << (result.status.ok() ? "" : ": " + result.status.message()) << "\n";
  Refresh();
}

}  // namespace lockstep
