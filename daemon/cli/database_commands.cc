// The commands that talk to the databases: apply, status, history.
#include <algorithm>
#include <iomanip>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "daemon/cli/commands.h"
#include "daemon/cli/context.h"
#include "daemon/cli/progress.h"
#include "daemon/engine/drift.h"
#include "daemon/engine/state.h"
#include "daemon/exit_codes.h"
#include "daemon/views/json_views.h"
#include "daemon/views/render.h"

namespace lockstep {
namespace {

using nlohmann::ordered_json;
using SteadyClock = std::chrono::steady_clock;

const char* StatusWord(const Status& s) {
  switch (s.code()) {
    case Status::Code::kOk:
      return "ok";
    case Status::Code::kFailed:
      return "failed";
    case Status::Code::kBadInput:
      return "bad_input";
    case Status::Code::kLockTimeout:
      return "lock_timeout";
    case Status::Code::kCancelled:
      return "cancelled";
  }
  return "failed";
}

}  // namespace

int RunApply(const CommonOptions& options, const ApplyOptions& apply, std::ostream& out, Log& log) {
  Loaded loaded = Load(options, log);
  if (!loaded.graph) return kExitBadInput;
  const MigrationGraph& graph = *loaded.graph;
  std::vector<bool> wanted;
  if (Status s = Select(graph, apply.targets, apply.services, &wanted); !s.ok())
    return OkOrSay(s, log);
  if (apply.dry_run) {
    PlanOptions plan;
    plan.targets = apply.targets;
    plan.services = apply.services;
    return RunPlan(options, plan, out, log);
  }
  const Platform& platform = *loaded.platform;
  std::string run_id = NewRunId();
  ExecutorOptions eo = ExecutorOptionsFor(platform.settings, run_id);
  eo.allow_out_of_order = apply.allow_out_of_order;
  Shard(graph, options.shard, options.shards, &wanted, &eo.external);
  log.set_run_id(run_id);
  ProgressPrinter progress(graph, log, *options.clock, options.live);
  Executor executor(graph, MakeDatabases(options, platform, run_id), &progress, eo);
  auto start = SteadyClock::now();
  log.info() << "lockstep: run " << run_id << " on " << platform.config_path << "\n";
  ExecutionResult result = executor.Run(wanted);
  auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start);

  for (const std::string& w : result.warnings) log.warning() << "lockstep: warning: " << w << "\n";
  if (!result.status.ok()) log.error() << "lockstep: " << result.status.message() << "\n";
  if (result.failed_databases.size() > 1) {
    std::string list;
    for (const std::string& db : result.failed_databases) list += (list.empty() ? "" : ", ") + db;
    log.error() << "lockstep: failed on " << result.failed_databases.size()
                << " databases (the others went on: settings.on_failure: continue): " << list
                << "\n";
  }
  // A run stopped before any migration began (configuration, a database out
  // of reach, a failed or edited migration) did not run: no summary that
  // reads as if it had.
  bool refused = !result.status.ok() && result.applied.empty() && result.failed < 0 &&
                 result.status.code() != Status::Code::kCancelled;
  if (!refused) {
    log.info() << "lockstep: applied " << result.applied.size() << ", already applied "
               << result.already_applied << ", failed "
               << std::max<size_t>(result.failed >= 0 ? 1 : 0, result.failed_databases.size())
               << ", not started " << result.not_started << " in " << Millis(wall) << "\n";
  }
  if (options.json) {
    ordered_json j;
    j["run_id"] = run_id;
    j["status"] = StatusWord(result.status);
    j["error"] = result.status.ok() ? ordered_json(nullptr) : ordered_json(result.status.message());
    j["applied"] = ordered_json::array();
    for (int m : result.applied) j["applied"].push_back(graph.IdOf(m));
    j["failed_databases"] = result.failed_databases;
    j["already_applied"] = result.already_applied;
    j["failed"] =
        result.failed >= 0 ? ordered_json(graph.IdOf(result.failed)) : ordered_json(nullptr);
    j["not_started"] = result.not_started;
    j["wall_ms"] = wall.count();
    out << j.dump(2) << "\n";
  }
  return ExitCodeOf(result.status);
}

int RunDrift(const CommonOptions& options, std::ostream& out, Log& log) {
  Loaded loaded = Load(options, log);
  if (!loaded.graph) return kExitBadInput;
  std::set<std::string> names = DatabasesOf(*loaded.platform);
  std::vector<DatabaseDrift> drift = CheckDrift(
      {names.begin(), names.end()}, MakeDatabases(options, *loaded.platform, NewRunId()));
  bool found = false, unreachable = false, misconfigured = false;
  for (const DatabaseDrift& d : drift) {
    found |= !d.items.empty();
    misconfigured |= d.misconfigured;
    unreachable |= d.state == DatabaseDrift::State::kUnreachable;
    if (options.json) continue;
    switch (d.state) {
      case DatabaseDrift::State::kNoSnapshot:
        out << "database " << d.database
            << ": no schema snapshot yet (nothing applied by this lockstep); run lockstep apply\n";
        continue;
      case DatabaseDrift::State::kBusy:
      case DatabaseDrift::State::kUnreachable:
        out << "database " << d.database << ": not checked: " << d.error << "\n";
        continue;
      case DatabaseDrift::State::kChecked:
        break;
    }
    if (d.items.empty()) {
      out << "database " << d.database << ": no drift\n";
      continue;
    }
    out << "database " << d.database << ": " << d.items.size()
        << (d.items.size() == 1 ? " difference" : " differences")
        << " from the schema its migrations made\n";
    for (const DriftItem& i : d.items) {
      out << "  " << std::left << std::setw(8) << KindName(i.kind) << " " << i.object << "\n";
      if (!i.before.empty()) out << "           was: " << i.before << "\n";
      if (!i.after.empty()) out << "           now: " << i.after << "\n";
    }
  }
  if (options.json) out << DriftJson(drift).dump(2) << "\n";
  if (misconfigured) return kExitBadInput;
  if (found) return kExitDrift;
  return unreachable ? kExitFailed : kExitOk;
}

}  // namespace lockstep
