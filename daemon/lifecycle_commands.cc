// The life of a migration after its first apply: rollback, baseline, repair.
#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "daemon/commands.h"
#include "daemon/exit_codes.h"
#include "daemon/session.h"
#include "daemon/state.h"

namespace lockstep {
namespace {

using nlohmann::ordered_json;

// The migrations a rollback selects: --to keeps the target and rolls back
// what depends on it; --target rolls back the target too; --steps N takes the
// N most recently applied (of --service), and everything that depends on them.
bool SelectRollback(const MigrationGraph& graph, const PlatformState& state,
                    const RollbackOptions& o, std::vector<bool>* chosen, Log& log) {
  int selectors = !o.to.empty() + !o.target.empty() + (o.steps > 0);
  if (selectors != 1) {
    log.error() << "lockstep: rollback: give exactly one of --to ID, --target ID, --steps N\n";
    return false;
  }
  std::vector<int> roots;
  std::string error;
  if (!o.to.empty() || !o.target.empty()) {
    const std::string& id = o.to.empty() ? o.target : o.to;
    int m = graph.Resolve(id, &error);
    if (m < 0) {
      log.error() << "lockstep: rollback: " << error << "\n";
      return false;
    }
    *chosen = graph.Dependents({m});
    (*chosen)[m] = !o.target.empty();
    return true;
  }
  int service = -1;
  if (!o.service.empty() && (service = graph.FindService(o.service)) < 0) {
    log.error() << "lockstep: rollback: unknown service '" << o.service << "'\n";
    return false;
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
  return true;
}

}  // namespace

int RunRollback(const CommonOptions& options, const RollbackOptions& rollback, std::ostream& out,
                Log& log) {
  Loaded loaded = Load(options, log);
  if (!loaded.graph) return kExitBadInput;
  const MigrationGraph& graph = *loaded.graph;
  const Model& model = graph.model();
  std::map<std::string, std::vector<HistoryRow>> histories;
  std::string run_id = NewRunId();
  DatabaseFactory factory = PostgresFactory(*loaded.platform, options, run_id);
  if (!ReadHistories(*loaded.platform, factory, &histories, log)) return kExitFailed;
  PlatformState state = Reconcile(graph, histories);
  std::vector<bool> chosen;
  if (!SelectRollback(graph, state, rollback, &chosen, log)) return kExitBadInput;

  // The plan, dependents first, before anything is touched.
  std::vector<int> order = graph.TopologicalOrder();
  std::reverse(order.begin(), order.end());
  std::vector<int> plan;
  for (int m : order) {
    if (chosen[m] && state.applied[m]) plan.push_back(m);
  }
  std::string missing_down;
  for (int m : plan) {
    if (!model.migrations[m].down_path.empty()) continue;
    const std::string& up = model.migrations[m].up_path;
    missing_down += "\n  " + graph.IdOf(m) + ": no down file (" + up.substr(0, up.size() - 7) +
                    ".down.sql)";
  }
  if (options.json && rollback.dry_run) {
    ordered_json j = ordered_json::array();
    for (int m : plan) {
      j.push_back({{"id", graph.IdOf(m)},
                   {"database", model.services[model.migrations[m].service].database},
                   {"down", model.migrations[m].down_path.empty()
                                ? ordered_json(nullptr)
                                : ordered_json(model.migrations[m].down_path)}});
    }
    out << j.dump(2) << "\n";
  } else if (!options.json) {
    if (plan.empty()) {
      out << "nothing to roll back: none of the selected migrations is applied\n";
      return kExitOk;
    }
    out << "rollback: " << plan.size() << (plan.size() == 1 ? " migration" : " migrations")
        << ", dependents first\n";
    for (int m : plan) {
      const Migration& mig = model.migrations[m];
      out << "  " << model.services[mig.service].database << "  " << graph.IdOf(m) << "  "
          << mig.name << (mig.down_path.empty() ? "  (NO DOWN FILE)" : "") << "\n";
    }
  }
  if (!missing_down.empty()) {
    log.error() << "lockstep: cannot roll back: these migrations have no down file:" << missing_down
                << "\n";
    return kExitBadInput;
  }
  if (rollback.dry_run || plan.empty()) return kExitOk;

  const Settings& settings = loaded.platform->settings;
  ExecutorOptions eo;
  eo.jobs = settings.jobs;
  eo.lock_timeout = settings.lock_timeout;
  eo.grace = settings.shutdown_grace;
  eo.run_id = run_id;
  eo.history_schema = settings.history_schema;
  eo.rollback = true;
  log.set_run_id(run_id);
  Executor executor(graph, factory, nullptr, eo);
  log.info() << "lockstep: run " << run_id << ": rolling back " << plan.size() << " migrations\n";
  ExecutionResult result = executor.Run(chosen);
  for (int m : result.applied) log.info() << "  rolled back  " << graph.IdOf(m) << "\n";
  if (!result.status.ok()) log.error() << "lockstep: " << result.status.message() << "\n";
  log.info() << "lockstep: rolled back " << result.applied.size() << ", not started "
             << result.not_started << "\n";
  if (options.json) {
    ordered_json j;
    j["run_id"] = run_id;
    j["rolled_back"] = ordered_json::array();
    for (int m : result.applied) j["rolled_back"].push_back(graph.IdOf(m));
    j["error"] = result.status.ok() ? ordered_json(nullptr) : ordered_json(result.status.message());
    out << j.dump(2) << "\n";
  }
  return ExitCodeOf(result.status);
}

}  // namespace lockstep
