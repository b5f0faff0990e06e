// lockstep serve: a long-running process that keeps a fleet of databases at
// their desired state, serves an HTTP API, metrics and a status page, and
// runs scheduled rounds.
//
// Threads: the io thread serves HTTP, timers and signals and never blocks on
// a database; one worker thread does every database job (refresh, runs,
// rounds, reloads) one after another. Shared state sits behind mu_.
#ifndef LOCKSTEP_DAEMON_SERVER_DAEMON_H_
#define LOCKSTEP_DAEMON_SERVER_DAEMON_H_

// Asio 1.18 uses std::exchange without including <utility>.
#include <utility>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "daemon/engine/backoff.h"
#include "daemon/engine/databases.h"
#include "daemon/engine/drift.h"
#include "daemon/engine/executor.h"
#include "daemon/engine/loaded.h"
#include "daemon/engine/state.h"
#include "daemon/log.h"
#include "daemon/options.h"
#include "daemon/server/coordinator.h"
#include "daemon/server/http_server.h"
#include "daemon/server/metrics.h"

namespace lockstep {

struct ServeOptions {
  std::string listen = "127.0.0.1:8080";
  std::string token_file;   // else LOCKSTEP_API_TOKEN
  bool open_reads = false;  // read endpoints open to every client, not only loopback
  std::chrono::milliseconds refresh{30'000};  // how often state and drift are re-read
  int max_connections = 256;                  // HTTP clients served at once; past it, 503
};

int RunServe(const CommonOptions& options, const ServeOptions& serve, std::ostream& out, Log& log);

struct MigrationProgress {
  std::string id, database;
  std::string state;  // running, applied, failed
  int64_t duration_ms = -1;
  std::string error;  // why it failed
};

struct RunRecord {
  std::string id, action, target, trigger;  // trigger: api or schedule
  std::string state = "queued";             // queued, running, succeeded, failed, cancelled
  std::string created_at, started_at, finished_at;
  std::vector<MigrationProgress> migrations;
  std::vector<std::string> log;
  std::string error;
  int applied = 0, already_applied = 0;
};

// What the last refresh saw; immutable once published.
struct Observed {
  std::shared_ptr<const Loaded> platform;  // the platform it was read for
  std::map<std::string, std::vector<HistoryRow>> histories;
  PlatformState state;                             // points into histories
  std::map<std::string, std::string> unreachable;  // database -> error
  std::vector<DatabaseDrift> drift;
  std::string at;  // ISO 8601, UTC
};

class Daemon {
 public:
  Daemon(CommonOptions options, ServeOptions serve, Log& log);
  ~Daemon();

  // Serves until SIGTERM/SIGINT, then drains. Exit code.
  int Run(std::ostream& out);

  // The HTTP API; io thread. Defined in api.cc.
  HttpResponse Handle(const HttpRequest& request);

 private:
  // Worker jobs.
  void Refresh();
  // Reads the platform from disk again; keeps the one it has when the new
  // one does not validate. `quiet`: log only failures and changes.
  bool Reload(bool quiet = false);
  void Round();
  // settings.schedule.correct_drift: revert, for the drift `obs` saw.
  void CorrectDrift(const Observed& obs);
  void Execute(std::shared_ptr<RunRecord> run);

  // io thread.
  void ScheduleRefresh(std::chrono::milliseconds after);
  void ScheduleRound();
  void WaitForSignals();
  void Drain();
  std::shared_ptr<RunRecord> Enqueue(const std::string& action, const std::string& target,
                                     const std::string& trigger);

  // Loads and checks the platform, its diagnostics to `log`.
  Loaded Load(Log& log) const;

  // API helpers (daemon_api.cc).
  bool Authorized(const HttpRequest& request, bool change, HttpResponse* refusal) const;
  HttpResponse PostRun(const HttpRequest& request);
  HttpResponse Ready() const;
  HttpResponse GetGraph(std::string format) const;
  HttpResponse GetRuns() const;
  HttpResponse GetRun(const std::string& id) const;
  HttpResponse GetPlan(const Observed& obs) const;
  HttpResponse GetStatus(const Observed& obs) const;
  HttpResponse GetMigration(const Observed& obs, const std::string& id) const;

  std::shared_ptr<const Loaded> platform() const;
  std::shared_ptr<const Observed> observed() const;

  // settings.coordination: elects this replica leader or follower.
  void StartCoordinator(const Platform& platform);
  // "standalone" (no settings.coordination), "leader" or "follower".
  std::string Role() const;
  bool Leads() const { return !coordinator_ || coordinator_->leading(); }

  CommonOptions options_;
  ServeOptions serve_;
  Log& log_;
  std::string token_;

  boost::asio::io_context io_;
  boost::asio::thread_pool worker_{1};
  HttpServer server_;
  boost::asio::steady_timer refresh_timer_;
  boost::asio::steady_timer round_timer_;
  boost::asio::signal_set signals_;
  // A refresh that could not read every database is retried sooner: 1 s,
  // 2 s, ... up to the refresh interval.
  Backoff refresh_backoff_;
  Metrics metrics_;
  // The coordination database, alone, with the leader's lock of its own (a
  // history schema <history_schema>_leader: its own advisory key or lease).
  std::unique_ptr<Platform> coordination_;
  std::unique_ptr<Coordinator> coordinator_;

  mutable std::mutex mu_;
  std::shared_ptr<const Loaded> platform_;
  std::string reload_error_;
  std::shared_ptr<const Observed> observed_;
  std::deque<std::shared_ptr<RunRecord>> runs_;  // newest first, at most kKeptRuns
  Executor* current_ = nullptr;                  // the run in progress, if any
  bool draining_ = false;
};

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_SERVER_DAEMON_H_
