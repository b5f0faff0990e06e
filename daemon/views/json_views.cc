#include "daemon/views/json_views.h"

namespace lockstep {

using nlohmann::ordered_json;

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
                 {"error", d.error.empty() ? ordered_json(nullptr) : ordered_json(d.error)},
                 {"drift", items}});
  }
  return j;
}

}  // namespace lockstep
