#include "daemon/state.h"

namespace lockstep {

PlatformState Reconcile(const MigrationGraph& graph,
                        const std::map<std::string, std::vector<HistoryRow>>& histories) {
  const Model& model = graph.model();
  PlatformState state;
  state.applied.assign(graph.size(), false);
  state.row_of.assign(graph.size(), nullptr);
  for (const auto& [database, rows] : histories) {
    for (const HistoryRow& row : rows) {
      std::string error;
      int m = graph.Resolve(row.service + ":" + row.version, &error);
      if (m < 0 || model.services[model.migrations[m].service].database != database) {
        state.unknown.push_back({database, row});
        continue;
      }
      state.row_of[m] = &row;
      if (row.status == "failed") {
        state.failed.push_back(m);
        continue;
      }
      state.applied[m] = true;
      if (row.status == "applied" && row.checksum != model.migrations[m].checksum) {
        state.mismatched.push_back(m);
      }
    }
  }
  return state;
}

}  // namespace lockstep
