#include "daemon/engine/checks.h"

namespace lockstep {
namespace {

const std::string& DatabaseOf(const Model& model, int m) {
  return model.services[model.migrations[m].service].database;
}

Status CheckRecorded(const MigrationGraph& graph, const PlatformState& state,
                     const std::vector<bool>& in, const std::string& locked_database) {
  const Model& model = graph.model();
  for (int m : state.failed) {
    if (!in[m]) continue;
    const HistoryRow& row = *state.row_of[m];
    return Status::Failed(
        graph.IdOf(m) + " is recorded as failed on database '" + DatabaseOf(model, m) + "' (run " +
        row.run_id + ", started " + row.started_at +
        "): a no-transaction migration that failed or was interrupted half-way. Finish or "
        "undo its statements by hand, then run lockstep repair --service " +
        model.services[model.migrations[m].service].name +
        " --mark-applied (finished) or --forget (undone); lockstep stops at it until then");
  }
  for (int m : state.running) {
    // Under our lock no other run can be alive: its lock is not a lock (a
    // connection pooler in transaction mode hands sessions around). On any
    // other database it is a run at work; this run waits for that lock.
    if (!in[m] || DatabaseOf(model, m) != locked_database) continue;
    return Status::Failed(graph.IdOf(m) + " is recorded running in run " + state.row_of[m]->run_id +
                          ", which still holds the migration lock, while this run holds it too: "
                          "the advisory lock is not holding (a connection pooler in transaction "
                          "mode?); connect directly");
  }
  for (int m : state.mismatched) {
    if (!in[m]) continue;
    const Migration& mig = model.migrations[m];
    return Status::BadInput(mig.up_path + ": " + graph.IdOf(m) + " was applied with checksum " +
                            state.row_of[m]->checksum + " but the file now has " +
                            mig.checksum.hex() +
                            ": an applied migration must not change; restore the file and put "
                            "the change in a new migration");
  }
  return Status::Ok();
}

// A pending migration older than an applied one of its service came in late
// (a merged branch, a restored file): apply it only when asked.
Status CheckOrder(const MigrationGraph& graph, const PlatformState& state,
                  const std::vector<bool>& in) {
  const Model& model = graph.model();
  std::vector<int> latest(model.services.size(), -1);
  for (int m = 0; m < graph.size(); ++m) {
    int& l = latest[model.migrations[m].service];
    if (state.applied[m] && (l < 0 || model.migrations[l].version < model.migrations[m].version)) {
      l = m;
    }
  }
  std::string late;
  for (int m = 0; m < graph.size(); ++m) {
    int l = latest[model.migrations[m].service];
    if (!in[m] || state.applied[m] || state.row_of[m] || l < 0 ||
        !(model.migrations[m].version < model.migrations[l].version)) {
      continue;
    }
    late += (late.empty() ? "" : ", ") + graph.IdOf(m) + " (older than " + graph.IdOf(l) + ")";
  }
  if (late.empty()) return Status::Ok();
  return Status::BadInput("out of order: " + late +
                          " arrived after a later version was applied; check that it does not "
                          "conflict, then apply with --allow-out-of-order");
}

Status CheckRollback(const MigrationGraph& graph, const PlatformState& state,
                     const std::vector<bool>& in) {
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
    return Status::BadInput("cannot roll back: these migrations have no down file that can run:" +
                            no_down);
  }
  if (!outside.empty()) {
    return Status::BadInput("cannot roll back: " + outside +
                            " was applied meanwhile and depends on what would be rolled back; "
                            "plan the rollback again");
  }
  return Status::Ok();
}

}  // namespace

Status CheckBeforeRun(const MigrationGraph& graph, const PlatformState& state,
                      const std::vector<bool>& in, RunKind kind) {
  if (Status s = CheckRecorded(graph, state, in, kind.locked_database); !s.ok()) return s;
  if (kind.rollback) return CheckRollback(graph, state, in);
  return kind.allow_out_of_order ? Status::Ok() : CheckOrder(graph, state, in);
}

}  // namespace lockstep
