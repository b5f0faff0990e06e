#include "daemon/engine/state.h"

namespace lockstep {

PlatformState Reconcile(const MigrationGraph& graph,
                        const std::map<std::string, std::vector<HistoryRow>>& histories) {
  const Model& model = graph.model();
  PlatformState state;
  state.applied.assign(graph.size(), false);
  state.row_of.assign(graph.size(), nullptr);
  for (const auto& [database, rows] : histories) {
    // A member of a database set ("tenant/acme") holds its copies' rows.
    std::string member = database.find('/') == std::string::npos ? "" : "@" + database;
    for (const HistoryRow& row : rows) {
      std::string error;
      int m = graph.Resolve(row.service + ":" + row.version + member, &error);
      if (m < 0 || model.services[model.migrations[m].service].database != database) {
        state.unknown.push_back({database, row});
        continue;
      }
      state.row_of[m] = &row;
      if (row.status == "failed") {
        state.failed.push_back(m);
        continue;
      }
      if (row.status == "running") {
        state.running.push_back(m);
        continue;
      }
      state.applied[m] = true;
      if (row.status == "applied" && !model.migrations[m].checksum.Is(row.checksum)) {
        state.mismatched.push_back(m);
      }
    }
  }
  return state;
}

std::string DownFileProblems(const MigrationGraph& graph, const std::vector<int>& migrations) {
  std::string out;
  for (int m : migrations) {
    const Migration& mig = graph.model().migrations[m];
    std::string id = "\n  " + graph.IdOf(m) + ": ";
    if (!mig.has_down) {
      out += id + "no down file (" + mig.DownPath() + ")";
    } else if (!mig.down_problems.empty()) {
      for (const std::string& p : mig.down_problems) out += id + "its down file cannot run: " + p;
    } else if (mig.down_empty) {
      out += id + "its down file holds no SQL statement: irreversible (" + mig.DownPath() + ")";
    }
  }
  return out;
}

std::vector<ServiceSummary> Summarize(const MigrationGraph& graph, const PlatformState& state,
                                      bool* dirty) {
  const Model& model = graph.model();
  std::vector<ServiceSummary> rows(model.services.size());
  for (int m = 0; m < graph.size(); ++m) {
    ServiceSummary& r = rows[model.migrations[m].service];
    ++r.total;
    if (state.applied[m]) {
      ++r.applied;
    } else if (!state.row_of[m]) {
      r.pending.push_back(m);
    }
  }
  std::vector<const Version*> latest(model.services.size(), nullptr);
  for (int m = 0; m < graph.size(); ++m) {
    const Migration& mig = model.migrations[m];
    if (state.applied[m] && (!latest[mig.service] || *latest[mig.service] < mig.version)) {
      latest[mig.service] = &mig.version;
    }
  }
  for (ServiceSummary& r : rows) {
    for (int m : r.pending) {
      const Migration& mig = model.migrations[m];
      if (latest[mig.service] && mig.version < *latest[mig.service]) r.out_of_order.push_back(m);
    }
  }
  for (int m : state.failed) rows[model.migrations[m].service].failed.push_back(m);
  for (int m : state.running) rows[model.migrations[m].service].running.push_back(m);
  for (int m : state.mismatched) rows[model.migrations[m].service].mismatched.push_back(m);
  *dirty = !state.failed.empty() || !state.mismatched.empty();
  for (const ServiceSummary& r : rows) *dirty |= !r.pending.empty();
  return rows;
}

}  // namespace lockstep
