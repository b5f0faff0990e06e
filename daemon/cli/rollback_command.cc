// lockstep rollback: down migrations, dependents first, across services and
// databases, after the plan was shown and confirmed.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "daemon/cli/commands.h"
#include "daemon/cli/context.h"
#include "daemon/engine/state.h"

namespace lockstep {
namespace {

using nlohmann::ordered_json;

// The migrations a rollback selects: --to SERVICE:VERSION brings that service
// back to VERSION (its migrations after VERSION that VERSION does not need,
// and what depends on those); --target rolls back the target and what depends
// on it; --steps N takes the N most recently applied (of --service), and
// everything that depends on them.
Status SelectRollback(const MigrationGraph& graph, const PlatformState& state,
                      const RollbackOptions& o, std::vector<bool>* chosen) {
  int selectors = !o.to.empty() + !o.target.empty() + (o.steps > 0);
  if (selectors != 1) {
    return Status::BadInput(
        "rollback: give exactly one of --to SERVICE:VERSION, --target ID, "
        "--steps N");
  }
  std::vector<int> roots;
  std::string error;
  if (!o.to.empty() || !o.target.empty()) {
    const std::string& id = o.to.empty() ? o.target : o.to;
    int m = graph.Resolve(id, &error);
    if (m < 0) return Status::BadInput("rollback: " + error);
    if (!o.to.empty()) {
      *chosen = graph.BackTo(m);
    } else {
      *chosen = graph.Dependents({m});
      (*chosen)[m] = true;
    }
    return Status::Ok();
  }
  int service = -1;
  if (!o.service.empty()) {
    if (Status s = FindService(graph, o.service, "rollback", &service); !s.ok()) return s;
  }
  std::vector<int> applied;
  for (int m = 0; m < graph.size(); ++m) {
    if (state.applied[m] && (service < 0 || graph.model().migrations[m].service == service)) {
      applied.push_back(m);
    }
  }
  // Most recent first; for rows of one instant, later in the graph first.
  std::vector<int> order = graph.TopologicalOrder();
  std::vector<int> rank(graph.size());
  for (size_t i = 0; i < order.size(); ++i) rank[order[i]] = static_cast<int>(i);
  std::sort(applied.begin(), applied.end(), [&](int a, int b) {
    const std::string& fa = state.row_of[a]->finished_at;
    const std::string& fb = state.row_of[b]->finished_at;
    return fa != fb ? fa > fb : rank[a] > rank[b];
  });
  applied.resize(std::min<size_t>(applied.size(), o.steps));
  *chosen = graph.Dependents(applied);
  for (int m : applied) (*chosen)[m] = true;
  return Status::Ok();
}

// What is applied of `chosen`, dependents first.
std::vector<int> RollbackOrder(const MigrationGraph& graph, const PlatformState& state,
                               const std::vector<bool>& chosen) {
  std::vector<int> order = graph.TopologicalOrder();
  std::reverse(order.begin(), order.end());
  std::vector<int> plan;
  for (int m : order) {
    if (chosen[m] && state.applied[m]) plan.push_back(m);
  }
  return plan;
}

void PrintPlan(const MigrationGraph& graph, const std::vector<int>& plan, bool json,
               std::ostream& out) {
  const Model& model = graph.model();
  if (json) {
    ordered_json j = ordered_json::array();
    for (int m : plan) {
      const Migration& mig = model.migrations[m];
      j.push_back({{"id", graph.IdOf(m)},
                   {"database", model.services[mig.service].database},
                   {"down", mig.has_down ? ordered_json(mig.DownPath()) : ordered_json(nullptr)}});
    }
    out << j.dump(2) << "\n";
    return;
  }
  if (plan.empty()) {
    out << "nothing to roll back: none of the selected migrations is applied\n";
    return;
  }
  out << "rollback: " << Count(plan.size(), "migration", "migrations") << ", dependents first\n";
  for (int m : plan) {
    const Migration& mig = model.migrations[m];
    out << "  " << model.services[mig.service].database << "  " << graph.IdOf(m) << "  " << mig.name
        << (mig.has_down ? "" : "  (NO DOWN FILE)") << "\n";
  }
}

// A person said yes, or --yes did. BadInput otherwise, nothing touched.
Status Confirm(const RollbackOptions& rollback, size_t migrations) {
  if (rollback.yes) return Status::Ok();
  std::string what = "roll back " + Count(migrations, "migration", "migrations") +
                     " (their down files run; what they drop is lost)";
  if (!rollback.confirm) {
    return Status::BadInput("rollback: would " + what +
                            "; nothing was touched. Run it again with --yes to go ahead, or "
                            "--dry-run to only see the plan");
  }
  if (!rollback.confirm("lockstep: " + what + "?")) {
    return Status::BadInput("rollback: not confirmed; nothing was touched");
  }
  return Status::Ok();
}

int Execute(const Loaded& loaded, const DatabaseFactory& factory, const std::string& run_id,
            const std::vector<bool>& chosen, size_t planned, bool json, std::ostream& out,
            Log& log) {
  const MigrationGraph& graph = *loaded.graph;
  ExecutorOptions eo = ExecutorOptionsFor(loaded.platform->settings, run_id);
  eo.rollback = true;
  log.set_run_id(run_id);
  Executor executor(graph, factory, nullptr, eo);
  log.info() << "lockstep: run " << run_id << ": rolling back " << planned << " migrations\n";
  ExecutionResult result = executor.Run(chosen);
  for (int m : result.applied) log.info() << "  rolled back  " << graph.IdOf(m) << "\n";
  if (!result.status.ok()) log.error() << "lockstep: " << result.status.message() << "\n";
  log.info() << "lockstep: rolled back " << result.applied.size() << ", not started "
             << result.not_started << "\n";
  if (json) {
    ordered_json j;
    j["run_id"] = run_id;
    j["rolled_back"] = ordered_json::array();
    for (int m : result.applied) j["rolled_back"].push_back(graph.IdOf(m));
    j["error"] = result.status.ok() ? ordered_json(nullptr) : ordered_json(result.status.message());
    out << j.dump(2) << "\n";
  }
  return ExitCodeOf(result.status);
}

}  // namespace

int RunRollback(const CommonOptions& options, const RollbackOptions& rollback, std::ostream& out,
                Log& log) {
  Loaded loaded = Load(options, log);
  if (!loaded.graph) return kExitBadInput;
  const MigrationGraph& graph = *loaded.graph;
  std::map<std::string, std::vector<HistoryRow>> histories;
  std::string run_id = NewRunId();
  DatabaseFactory factory = MakeDatabases(options, *loaded.platform, run_id);
  if (int code = ReadHistoriesOrSay(*loaded.platform, factory, &histories, log)) return code;
  PlatformState state = Reconcile(graph, histories);
  std::vector<bool> chosen;
  Status status = SelectRollback(graph, state, rollback, &chosen);
  std::vector<int> plan = status.ok() ? RollbackOrder(graph, state, chosen) : std::vector<int>{};
  std::string no_down = DownFileProblems(graph, plan);
  if (status.ok() && !no_down.empty()) {
    status = Status::BadInput("cannot roll back: these migrations have no down file that can run:" +
                              no_down);
  }
  if (status.ok() && rollback.sql) {
    status = PrintSqlScripts(loaded, plan, /*rollback=*/true, rollback.database, out);
    return OkOrSay(status, log);
  }
  if (status.ok() || !no_down.empty()) {
    if (!options.json || rollback.dry_run) PrintPlan(graph, plan, options.json, out);
  }
  if (status.ok() && !rollback.dry_run && !plan.empty()) status = Confirm(rollback, plan.size());
  if (!status.ok()) return OkOrSay(status, log);
  if (rollback.dry_run || plan.empty()) return kExitOk;
  return Execute(loaded, factory, run_id, chosen, plan.size(), options.json, out, log);
}

}  // namespace lockstep
