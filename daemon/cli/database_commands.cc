// The commands that talk to the databases: apply, status, history.
#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "daemon/cli/commands.h"
#include "daemon/cli/context.h"
#include "daemon/cli/progress.h"
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

// One executor run of `wanted` (`what`: "" or "canary (...)"), with its
// warnings, failure and summary logged; the result's JSON in *json.
ExecutionResult RunPhase(const CommonOptions& options, const Platform& platform,
                         const MigrationGraph& graph, const ExecutorOptions& eo,
                         const std::vector<bool>& wanted, const std::string& what, Log& log,
                         ordered_json* json) {
  ProgressPrinter progress(graph, log, *options.clock, options.live);
  Executor executor(graph, MakeDatabases(options, platform, eo.run_id), &progress, eo);
  auto start = SteadyClock::now();
  log.info() << "lockstep: run " << eo.run_id << (what.empty() ? "" : " ") << what << " on "
             << platform.config_path << "\n";
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
    log.info() << "lockstep: " << (what.empty() ? "" : what + ": ") << "applied "
               << result.applied.size() << ", already applied " << result.already_applied
               << ", failed "
               << std::max<size_t>(result.failed >= 0 ? 1 : 0, result.failed_databases.size())
               << ", not started " << result.not_started << " in " << Millis(wall) << "\n";
  }
  ordered_json& j = *json;
  j["run_id"] = eo.run_id;
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
  return result;
}

// `apply --canary N`: the first N members of database sets in name order
// (among those `wanted` touches), and what their migrations need, in
// *canary; *rest keeps the rest of `wanted` (all when empty). *names lists
// the canaries. BadInput when there is no member to pick.
Status SplitCanary(const MigrationGraph& graph, int count, const std::vector<bool>& wanted,
                   std::vector<bool>* canary, std::vector<bool>* rest,
                   std::vector<std::string>* names) {
  const Model& model = graph.model();
  auto database_of = [&](int m) -> const std::string& {
    return model.services[model.migrations[m].service].database;
  };
  std::set<std::string> members;
  for (int m = 0; m < graph.size(); ++m) {
    if (!model.services[model.migrations[m].service].member.empty() &&
        (wanted.empty() || wanted[m])) {
      members.insert(database_of(m));
    }
  }
  if (members.empty()) {
    return Status::BadInput(
        "--canary: no member of a database set to start with; canaries are members of a set "
        "(a 'databases:' entry with 'tenants:')");
  }
  names->assign(members.begin(), members.end());
  if (static_cast<int>(names->size()) > count) names->resize(count);
  std::set<std::string> chosen(names->begin(), names->end());
  std::vector<int> targets;
  rest->assign(graph.size(), false);
  for (int m = 0; m < graph.size(); ++m) {
    if (!wanted.empty() && !wanted[m]) continue;
    if (chosen.count(database_of(m))) {
      targets.push_back(m);
    } else {
      (*rest)[m] = true;
    }
  }
  *canary = graph.Closure(targets);
  return Status::Ok();
}

// apply --steps N --service S (Alembic's upgrade +N): the ids of the next N
// pending migrations of S (of each member's copy on a database set), read
// from the histories without locks; the executor checks again under them.
int NextSteps(const CommonOptions& options, const Loaded& loaded, const std::string& service,
              int steps, std::vector<std::string>* ids, Log& log) {
  const MigrationGraph& graph = *loaded.graph;
  std::vector<int> copies = graph.ServicesNamed(service);
  if (copies.empty()) {
    std::vector<bool> keep;
    return OkOrSay(ServiceFilter(graph, {service}, "", &keep), log);
  }
  std::map<std::string, std::vector<HistoryRow>> histories;
  DatabaseFactory factory = MakeDatabases(options, *loaded.platform, NewRunId());
  if (int code = ReadHistoriesOrSay(*loaded.platform, factory, &histories, log); code != 0) {
    return code;
  }
  PlatformState state = Reconcile(graph, histories);
  std::map<int, int> taken;  // service copy -> steps chosen
  for (int m : graph.TopologicalOrder()) {
    int copy = graph.model().migrations[m].service;
    if (state.applied[m] || std::find(copies.begin(), copies.end(), copy) == copies.end()) continue;
    if (taken[copy]++ < steps) ids->push_back(graph.IdOf(m));
  }
  return kExitOk;
}

}  // namespace

int RunApply(const CommonOptions& options, const ApplyOptions& given, std::ostream& out, Log& log) {
  ApplyOptions apply = given;
  if (apply.canary == 0 || apply.canary < -1) {
    log.error() << "lockstep: --canary: give how many members go first, 1 or more\n";
    return kExitBadInput;
  }
  if (apply.steps != -1 &&
      (apply.steps < 1 || apply.services.size() != 1 || !apply.targets.empty())) {
    log.error() << "lockstep: --steps N needs N of 1 or more and exactly one --service (and no "
                   "--target), e.g. 'lockstep apply --service billing --steps 1'\n";
    return kExitBadInput;
  }
  Loaded loaded = Load(options, log);
  if (!loaded.graph) return kExitBadInput;
  const MigrationGraph& graph = *loaded.graph;
  if (apply.steps != -1) {
    std::vector<std::string> ids;
    if (int code = NextSteps(options, loaded, apply.services[0], apply.steps, &ids, log);
        code != kExitOk) {
      return code;
    }
    if (ids.empty()) {
      log.info() << "lockstep: nothing pending for " << apply.services[0] << "\n";
      if (options.json) out << "{\"applied\": [], \"already_applied\": 0}\n";
      return kExitOk;
    }
    std::string list;
    for (const std::string& id : ids) list += (list.empty() ? "" : ", ") + id;
    log.info() << "lockstep: --steps " << apply.steps << ": " << list << "\n";
    apply.targets = std::move(ids);
    apply.services.clear();
  }
  std::vector<bool> wanted;
  if (Status s = Select(graph, apply.targets, apply.services, &wanted); !s.ok())
    return OkOrSay(s, log);
  if (apply.dry_run) {
    PlanOptions plan;
    plan.targets = apply.targets;
    plan.services = apply.services;
    return RunPlan(options, plan, out, log);
  }
  if (apply.atomic) {
    if (apply.canary > 0 || options.shards > 1) {
      return OkOrSay(Status::BadInput("apply --atomic is all or nothing: it takes neither "
                                      "--canary nor --shard"),
                     log);
    }
    if (!options.tenants.empty()) OnlyMembers(graph, &wanted);
    return RunAtomic(options, loaded, std::move(wanted), out, log);
  }
  const Platform& platform = *loaded.platform;
  std::string run_id = NewRunId();
  ExecutorOptions eo = ExecutorOptionsFor(platform.settings, run_id);
  eo.allow_out_of_order = apply.allow_out_of_order;
  eo.hooks = LoggedHooks(platform, options, run_id, log);
  if (!options.tenants.empty()) OnlyMembers(graph, &wanted);
  Shard(graph, options.shard, options.shards, &wanted, &eo.external);
  log.set_run_id(run_id);
  ordered_json j;
  if (apply.canary > 0) {
    std::vector<bool> canary, rest;
    std::vector<std::string> names;
    if (Status s = SplitCanary(graph, apply.canary, wanted, &canary, &rest, &names); !s.ok()) {
      return OkOrSay(s, log);
    }
    std::string list;
    for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
    ordered_json& phase = j["canary"];
    phase["members"] = names;
    ExecutionResult first =
        RunPhase(options, platform, graph, eo, canary, "canary (" + list + ")", log, &phase);
    if (!first.status.ok()) {
      log.error() << "lockstep: the canary failed; the other members were not started\n";
      if (options.json) out << j.dump(2) << "\n";
      return ExitCodeOf(first.status);
    }
    wanted = std::move(rest);
  }
  ExecutionResult result =
      RunPhase(options, platform, graph, eo, wanted, apply.canary > 0 ? "the rest" : "", log, &j);
  if (options.json) out << j.dump(2) << "\n";
  return ExitCodeOf(result.status);
}

}  // namespace lockstep
