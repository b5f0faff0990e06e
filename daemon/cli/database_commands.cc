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

// ANSI colours for states; only with --color (a terminal, no NO_COLOR).
constexpr const char* kGreen = "32";
constexpr const char* kYellow = "33";
constexpr const char* kRed = "31";
constexpr const char* kCyan = "36";

std::string Paint(const std::string& text, const char* color, bool on) {
  return on ? "\033[" + std::string(color) + "m" + text + "\033[0m" : text;
}

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
  log.set_run_id(run_id);
  ProgressPrinter progress(graph, log, *options.clock, options.live);
  Executor executor(graph, MakeDatabases(options, platform, run_id), &progress, eo);
  auto start = SteadyClock::now();
  log.info() << "lockstep: run " << run_id << " on " << platform.config_path << "\n";
  ExecutionResult result = executor.Run(wanted);
  auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start);

  for (const std::string& w : result.warnings) log.warning() << "lockstep: warning: " << w << "\n";
  if (!result.status.ok()) log.error() << "lockstep: " << result.status.message() << "\n";
  // A run stopped before any migration began (configuration, a database out
  // of reach, a failed or edited migration) did not run: no summary that
  // reads as if it had.
  bool refused = !result.status.ok() && result.applied.empty() && result.failed < 0 &&
                 result.status.code() != Status::Code::kCancelled;
  if (!refused) {
    log.info() << "lockstep: applied " << result.applied.size() << ", already applied "
               << result.already_applied << ", failed " << (result.failed >= 0 ? 1 : 0)
               << ", not started " << result.not_started << " in " << Millis(wall) << "\n";
  }
  if (options.json) {
    ordered_json j;
    j["run_id"] = run_id;
    j["status"] = StatusWord(result.status);
    j["error"] = result.status.ok() ? ordered_json(nullptr) : ordered_json(result.status.message());
    j["applied"] = ordered_json::array();
    for (int m : result.applied) j["applied"].push_back(graph.IdOf(m));
    j["already_applied"] = result.already_applied;
    j["failed"] =
        result.failed >= 0 ? ordered_json(graph.IdOf(result.failed)) : ordered_json(nullptr);
    j["not_started"] = result.not_started;
    j["wall_ms"] = wall.count();
    out << j.dump(2) << "\n";
  }
  return ExitCodeOf(result.status);
}

int RunStatus(const CommonOptions& options, bool check, std::ostream& out, Log& log) {
  Loaded loaded = Load(options, log);
  if (!loaded.graph) return kExitBadInput;
  const MigrationGraph& graph = *loaded.graph;
  const Model& model = graph.model();
  std::map<std::string, std::vector<HistoryRow>> histories;
  DatabaseFactory factory = MakeDatabases(options, *loaded.platform, NewRunId());
  if (int code = ReadHistoriesOrSay(*loaded.platform, factory, &histories, log)) return code;
  PlatformState state = Reconcile(graph, histories);

  bool dirty = false;
  std::vector<ServiceSummary> rows = Summarize(graph, state, &dirty);
  if (options.json) {
    out << StatusJson(graph, state).dump(2) << "\n";
  } else {
    size_t width = 7;
    for (const Service& s : model.services) width = std::max(width, s.name.size());
    out << std::left << std::setw(width + 2) << "service" << std::setw(12) << "database"
        << "applied  state\n";
    for (size_t s = 0; s < rows.size(); ++s) {
      const ServiceSummary& r = rows[s];
      std::string what;
      auto list = [&](const char* label, const std::vector<int>& l, const char* color) {
        if (l.empty()) return;
        if (!what.empty()) what += "; ";
        std::string part = label;
        for (int m : l) part += " " + model.migrations[m].version.text();
        what += Paint(part, color, options.color);
      };
      list("pending", r.pending, kYellow);
      list("running", r.running, kCyan);
      list("FAILED", r.failed, kRed);
      list("CHECKSUM MISMATCH", r.mismatched, kRed);
      list("OUT OF ORDER", r.out_of_order, kYellow);
      if (what.empty()) what = Paint("up to date", kGreen, options.color);
      out << std::setw(width + 2) << model.services[s].name << std::setw(12)
          << model.services[s].database << std::setw(9)
          << (std::to_string(r.applied) + "/" + std::to_string(r.total)) << what << "\n";
    }
    for (const UnknownRow& u : state.unknown) {
      out << "unknown-applied on " << u.database << ": " << u.row.service << ":" << u.row.version
          << " " << u.row.name << " (recorded, but no such migration file)\n";
    }
  }
  return check && dirty ? kExitDrift : kExitOk;
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

int RunHistory(const CommonOptions& options, std::ostream& out, Log& log) {
  Loaded loaded = Load(options, log);
  if (!loaded.graph) return kExitBadInput;
  std::map<std::string, std::vector<HistoryRow>> histories;
  DatabaseFactory factory = MakeDatabases(options, *loaded.platform, NewRunId());
  if (int code = ReadHistoriesOrSay(*loaded.platform, factory, &histories, log)) return code;
  std::vector<std::pair<std::string, const HistoryRow*>> all;
  for (const auto& [db, rows] : histories) {
    for (const HistoryRow& r : rows) all.emplace_back(db, &r);
  }
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a.second->started_at < b.second->started_at;
  });
  if (options.json) {
    ordered_json j = ordered_json::array();
    for (const auto& [db, r] : all) {
      j.push_back({{"database", db},
                   {"id", r->service + ":" + r->version},
                   {"name", r->name},
                   {"status", r->status},
                   {"started_at", r->started_at},
                   {"finished_at", r->finished_at},
                   {"execution_ms", r->execution_ms},
                   {"applied_by", r->applied_by},
                   {"run_id", r->run_id},
                   {"checksum", r->checksum}});
    }
    out << j.dump(2) << "\n";
    return kExitOk;
  }
  for (const auto& [db, r] : all) {
    out << r->started_at << "  " << std::left << std::setw(10) << db << std::setw(28)
        << (r->service + ":" + r->version) << std::setw(9) << r->status << std::right
        << std::setw(9) << Millis(std::chrono::milliseconds(r->execution_ms)) << "  "
        << r->applied_by << "  run " << r->run_id << "  " << r->name << "\n";
  }
  if (all.empty()) out << "no migration has been applied\n";
  return kExitOk;
}

}  // namespace lockstep
