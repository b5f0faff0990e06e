#include "daemon/views/json_views.h"

#include <algorithm>

namespace lockstep {

using nlohmann::ordered_json;

namespace {

ordered_json OrNull(const std::string& s) {
  return s.empty() ? ordered_json(nullptr) : ordered_json(s);
}

bool Contains(const std::vector<int>& list, int m) {
  return std::find(list.begin(), list.end(), m) != list.end();
}

}  // namespace

ordered_json MigrationJson(const MigrationGraph& g, int m) {
  const Migration& mig = g.model().migrations[m];
  ordered_json j;
  j["id"] = g.IdOf(m);
  j["service"] = g.model().services[mig.service].name;
  j["version"] = mig.version.text();
  j["name"] = mig.name;
  j["database"] = g.model().services[mig.service].database;
  j["up"] = mig.up_path;
  j["down"] = OrNull(mig.has_down ? mig.DownPath() : std::string());
  j["checksum"] = mig.checksum.hex();
  j["no_transaction"] = mig.no_transaction;
  return j;
}

ordered_json MigrationDetailJson(const MigrationGraph& g, const PlatformState& state, int m) {
  ordered_json j = MigrationJson(g, m);
  const HistoryRow* row = state.row_of[m];
  j["state"] = Contains(state.failed, m)          ? "failed"
               : Contains(state.running, m)       ? "running"
               : Contains(state.mismatched, m)    ? "checksum_mismatch"
               : !state.applied[m]                ? "pending"
               : row && row->status == "baseline" ? "baseline"
                                                  : "applied";
  j["requires"] = ordered_json::array();
  for (const Dependency& d : g.DependenciesOf(m)) {
    j["requires"].push_back({{"id", g.IdOf(d.migration)},
                             {"kind", d.kind == EdgeKind::kRequires ? "requires" : "parent"}});
  }
  j["dependents"] = ordered_json::array();
  for (int d : g.DependentsOf(m)) j["dependents"].push_back(g.IdOf(d));
  if (!row) {
    j["history"] = nullptr;
  } else {
    j["history"] = {{"status", row->status},
                    {"checksum", row->checksum},
                    {"started_at", OrNull(row->started_at)},
                    {"finished_at", OrNull(row->finished_at)},
                    {"execution_ms", row->execution_ms},
                    {"applied_by", row->applied_by},
                    {"run_id", row->run_id}};
  }
  return j;
}

nlohmann::ordered_json StatusJson(const MigrationGraph& graph, const PlatformState& state) {
  const Model& model = graph.model();
  bool dirty = false;
  std::vector<ServiceSummary> rows = Summarize(graph, state, &dirty);
  auto ids = [&](const std::vector<int>& list) {
    ordered_json a = ordered_json::array();
    for (int m : list) a.push_back(graph.IdOf(m));
    return a;
  };
  ordered_json j;
  j["services"] = ordered_json::array();
  for (size_t s = 0; s < rows.size(); ++s) {
    j["services"].push_back({{"service", model.services[s].name},
                             {"database", model.services[s].database},
                             {"applied", rows[s].applied},
                             {"total", rows[s].total},
                             {"pending", ids(rows[s].pending)},
                             {"running", ids(rows[s].running)},
                             {"failed", ids(rows[s].failed)},
                             {"checksum_mismatched", ids(rows[s].mismatched)},
                             {"out_of_order", ids(rows[s].out_of_order)}});
  }
  j["unknown_applied"] = ordered_json::array();
  for (const UnknownRow& u : state.unknown) {
    j["unknown_applied"].push_back({{"database", u.database},
                                    {"id", u.row.service + ":" + u.row.version},
                                    {"name", u.row.name}});
  }
  j["up_to_date"] = !dirty && state.unknown.empty();
  return j;
}

nlohmann::ordered_json DriftJson(const std::vector<DatabaseDrift>& drift) {
  ordered_json j = ordered_json::array();
  for (const DatabaseDrift& d : drift) {
    ordered_json items = ordered_json::array();
    for (const DriftItem& i : d.items) {
      items.push_back(
          {{"change", KindName(i.kind)},
           {"object", i.object},
           {"before", i.before.empty() ? ordered_json(nullptr) : ordered_json(i.before)},
           {"after", i.after.empty() ? ordered_json(nullptr) : ordered_json(i.after)}});
    }
    const char* state = d.state == DatabaseDrift::State::kChecked      ? "checked"
                        : d.state == DatabaseDrift::State::kNoSnapshot ? "no_snapshot"
                        : d.state == DatabaseDrift::State::kBusy       ? "busy"
                                                                       : "unreachable";
    j.push_back({{"database", d.database},
                 {"state", state},
                 {"compared_with", d.expected_built ? "scratch" : "snapshot"},
                 {"error", d.error.empty() ? ordered_json(nullptr) : ordered_json(d.error)},
                 {"drift", items}});
  }
  return j;
}

}  // namespace lockstep
