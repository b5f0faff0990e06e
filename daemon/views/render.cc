#include "daemon/views/render.h"

#include <algorithm>
#include <iomanip>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "daemon/views/json_views.h"

namespace lockstep {
namespace {

using nlohmann::ordered_json;

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

const Migration& MigrationAt(const MigrationGraph& g, int m) { return g.model().migrations[m]; }

const std::string& DatabaseOf(const MigrationGraph& g, int m) {
  return g.model().services[MigrationAt(g, m).service].database;
}

std::vector<bool> HeadMask(const MigrationGraph& g) {
  std::vector<bool> head(g.size(), false);
  for (int s = 0; s < static_cast<int>(g.model().services.size()); ++s) {
    for (int m : g.Heads(s)) head[m] = true;
  }
  return head;
}

}  // namespace

void RenderDot(const MigrationGraph& g, std::ostream& out) {
  const Model& model = g.model();
  out << "digraph lockstep {\n  rankdir=LR;\n"
         "  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n";
  for (int s = 0; s < static_cast<int>(model.services.size()); ++s) {
    const Service& service = model.services[s];
    out << "  subgraph " << Quote("cluster_" + service.name) << " {\n"
        << "    label=" << Quote(service.name + " (" + service.database + ")") << ";\n";
    for (int m : g.MigrationsOf(s)) {
      const Migration& mig = model.migrations[m];
      out << "    " << Quote(g.IdOf(m))
          << " [label=" << Quote(mig.version.text() + "\\n" + mig.name)
          << (g.IsMerge(m) ? ", peripheries=2" : "") << "];\n";
    }
    out << "  }\n";
  }
  for (int m : g.TopologicalOrder()) {
    for (const Dependency& d : g.DependenciesOf(m)) {
      out << "  " << Quote(g.IdOf(d.migration)) << " -> " << Quote(g.IdOf(m))
          << (d.kind == EdgeKind::kRequires ? " [style=dashed, label=\"requires\"]" : "") << ";\n";
    }
  }
  out << "}\n";
}

void RenderMermaid(const MigrationGraph& g, std::ostream& out) {
  const Model& model = g.model();
  out << "flowchart LR\n";
  for (int s = 0; s < static_cast<int>(model.services.size()); ++s) {
    const Service& service = model.services[s];
    out << "  subgraph s" << s << "[\"" << service.name << " (" << service.database << ")\"]\n";
    for (int m : g.MigrationsOf(s)) {
      const Migration& mig = model.migrations[m];
      out << "    m" << m << (g.IsMerge(m) ? "{{\"" : "[\"") << mig.version.text() << " "
          << mig.name << (g.IsMerge(m) ? "\"}}" : "\"]") << "\n";
    }
    out << "  end\n";
  }
  for (int m : g.TopologicalOrder()) {
    for (const Dependency& d : g.DependenciesOf(m)) {
      out << "  m" << d.migration
          << (d.kind == EdgeKind::kRequires ? " -.->|requires| m" : " --> m") << m << "\n";
    }
  }
}

void RenderGraphJson(const MigrationGraph& g, std::ostream& out) {
  const Model& model = g.model();
  std::vector<bool> head = HeadMask(g);
  ordered_json j;
  j["services"] = ordered_json::array();
  for (int s = 0; s < static_cast<int>(model.services.size()); ++s) {
    const Service& service = model.services[s];
    ordered_json heads = ordered_json::array();
    for (int m : g.Heads(s)) heads.push_back(g.IdOf(m));
    j["services"].push_back(
        {{"name", service.name},
         {"database", service.database},
         {"schema", service.schema.empty() ? ordered_json(nullptr) : ordered_json(service.schema)},
         {"manifest", service.manifest_path},
         {"heads", heads}});
  }
  j["migrations"] = ordered_json::array();
  j["edges"] = ordered_json::array();
  for (int m : g.TopologicalOrder()) {
    ordered_json mj = MigrationJson(g, m);
    mj["head"] = static_cast<bool>(head[m]);
    mj["merge"] = g.IsMerge(m);
    j["migrations"].push_back(std::move(mj));
    for (const Dependency& d : g.DependenciesOf(m)) {
      j["edges"].push_back({{"from", g.IdOf(d.migration)},
                            {"to", g.IdOf(m)},
                            {"kind", d.kind == EdgeKind::kRequires ? "requires" : "parent"}});
    }
  }
  out << j.dump(2) << "\n";
}

namespace {

constexpr size_t kPlanInFull = 100;  // migrations listed one by one without --all
constexpr size_t kPlanRows = 20;     // rows of each summary table

// A plan too long to read line by line: waves as counts, then the services
// and databases with the most to do.
void RenderPlanSummary(const PlanView& plan, const std::vector<int>& per_lane, std::ostream& out) {
  const MigrationGraph& g = *plan.graph;
  out << "(summarised past " << kPlanInFull
      << " migrations: --all lists every one; --service NAME or --target ID narrows)\n\nwaves\n";
  for (size_t w = 0; w < plan.waves.size() && w < kPlanRows; ++w) {
    std::set<int> lanes;
    for (int m : plan.waves[w]) lanes.insert(plan.lanes->lane_of_migration[m]);
    out << "  wave " << std::left << std::setw(5) << w + 1 << plan.waves[w].size()
        << (plan.waves[w].size() == 1 ? " migration on " : " migrations on ") << lanes.size()
        << (lanes.size() == 1 ? " database\n" : " databases\n");
  }
  if (plan.waves.size() > kPlanRows)
    out << "  and " << plan.waves.size() - kPlanRows << " more waves\n";

  std::map<int, std::vector<int>> by_service;
  for (const auto& w : plan.waves) {
    for (int m : w) by_service[MigrationAt(g, m).service].push_back(m);
  }
  std::vector<std::pair<int, std::vector<int>>> services(by_service.begin(), by_service.end());
  std::stable_sort(services.begin(), services.end(),
                   [](const auto& a, const auto& b) { return a.second.size() > b.second.size(); });
  size_t name_width = 7;
  for (size_t i = 0; i < services.size() && i < kPlanRows; ++i)
    name_width = std::max(name_width, g.model().services[services[i].first].name.size());
  out << "\nservices" << (services.size() > kPlanRows ? " with the most to do" : "") << "\n  "
      << std::left << std::setw(name_width + 2) << "service" << std::setw(6) << "count"
      << "versions\n";
  for (size_t i = 0; i < services.size() && i < kPlanRows; ++i) {
    const auto& [s, list] = services[i];
    std::vector<int> sorted = list;
    std::sort(sorted.begin(), sorted.end(),
              [&](int a, int b) { return MigrationAt(g, a).version < MigrationAt(g, b).version; });
    out << "  " << std::left << std::setw(name_width + 2) << g.model().services[s].name
        << std::setw(6) << list.size() << MigrationAt(g, sorted.front()).version.text()
        << (sorted.size() > 1 ? " .. " + MigrationAt(g, sorted.back()).version.text() : "") << "\n";
  }
  if (services.size() > kPlanRows)
    out << "  and " << services.size() - kPlanRows << " more services\n";

  std::vector<size_t> lanes;
  for (size_t lane = 0; lane < per_lane.size(); ++lane) {
    if (per_lane[lane] > 0) lanes.push_back(lane);
  }
  std::stable_sort(lanes.begin(), lanes.end(),
                   [&](size_t a, size_t b) { return per_lane[a] > per_lane[b]; });
  out << "\ndatabases" << (lanes.size() > kPlanRows ? " with the most to do" : "")
      << " (each applies its migrations one at a time)\n";
  for (size_t i = 0; i < lanes.size() && i < kPlanRows; ++i) {
    out << "  " << std::left << std::setw(20) << plan.lanes->databases[lanes[i]]
        << per_lane[lanes[i]] << (per_lane[lanes[i]] == 1 ? " migration\n" : " migrations\n");
  }
  if (lanes.size() > kPlanRows) out << "  and " << lanes.size() - kPlanRows << " more databases\n";
}

}  // namespace

void RenderPlanText(const PlanView& plan, std::ostream& out) {
  const MigrationGraph& g = *plan.graph;
  size_t total = 0;
  for (const auto& w : plan.waves) total += w.size();
  if (total == 0) {
    out << "nothing to do: every selected migration is applied\n";
    return;
  }
  std::vector<int> per_lane(plan.lanes->databases.size(), 0);
  size_t db_width = 0, id_width = 0;
  for (const auto& w : plan.waves) {
    for (int m : w) {
      ++per_lane[plan.lanes->lane_of_migration[m]];
      db_width = std::max(db_width, DatabaseOf(g, m).size());
      id_width = std::max(id_width, g.IdOf(m).size());
    }
  }
  int databases = static_cast<int>(
      std::count_if(per_lane.begin(), per_lane.end(), [](int n) { return n > 0; }));
  out << (plan.offline ? "plan (offline, as if nothing were applied): " : "plan: ") << total
      << (total == 1 ? " migration" : " migrations") << " on " << databases
      << (databases == 1 ? " database" : " databases") << " in " << plan.waves.size()
      << (plan.waves.size() == 1 ? " wave\n" : " waves\n");
  if (total > kPlanInFull && !plan.all) {
    RenderPlanSummary(plan, per_lane, out);
    return;
  }
  for (size_t w = 0; w < plan.waves.size(); ++w) {
    out << "\nwave " << w + 1 << "\n";
    for (int m : plan.waves[w]) {
      const Migration& mig = MigrationAt(g, m);
      std::string db = DatabaseOf(g, m), id = g.IdOf(m);
      out << "  " << db << std::string(db_width - db.size() + 2, ' ') << id
          << std::string(id_width - id.size() + 2, ' ') << mig.name
          << (mig.no_transaction ? "  (no-transaction)" : "") << "\n";
    }
  }
  out << "\ndatabases (each applies its migrations one at a time, in this order)\n";
  for (size_t lane = 0; lane < per_lane.size(); ++lane) {
    if (per_lane[lane] == 0) continue;
    const std::string& db = plan.lanes->databases[lane];
    out << "  " << db << std::string(db_width - db.size() + 2, ' ') << per_lane[lane]
        << (per_lane[lane] == 1 ? " migration\n" : " migrations\n");
  }
}

void RenderPlanJson(const PlanView& plan, std::ostream& out) {
  // Streamed one migration at a time: a plan of 100,000 migrations as one
  // JSON document in memory would cost hundreds of megabytes.
  const MigrationGraph& g = *plan.graph;
  size_t total = 0;
  for (const auto& w : plan.waves) total += w.size();
  out << "{\n  \"offline\": " << (plan.offline ? "true" : "false") << ",\n  \"pending\": " << total
      << ",\n  \"waves\": [";
  std::vector<std::vector<int>> by_lane(plan.lanes->databases.size());
  for (size_t w = 0; w < plan.waves.size(); ++w) {
    out << (w == 0 ? "\n    [" : ",\n    [");
    for (size_t i = 0; i < plan.waves[w].size(); ++i) {
      int m = plan.waves[w][i];
      ordered_json mj = MigrationJson(g, m);
      ordered_json deps = ordered_json::array();
      for (const Dependency& d : g.DependenciesOf(m)) deps.push_back(g.IdOf(d.migration));
      mj["needs"] = std::move(deps);
      out << (i == 0 ? "\n      " : ",\n      ") << mj.dump();
      by_lane[plan.lanes->lane_of_migration[m]].push_back(m);
    }
    out << "\n    ]";
  }
  out << (plan.waves.empty() ? "],\n" : "\n  ],\n") << "  \"databases\": {";
  bool first = true;
  for (size_t lane = 0; lane < by_lane.size(); ++lane) {
    if (by_lane[lane].empty()) continue;
    ordered_json ids = ordered_json::array();
    for (int m : by_lane[lane]) ids.push_back(g.IdOf(m));
    out << (first ? "\n    " : ",\n    ") << ordered_json(plan.lanes->databases[lane]).dump()
        << ": " << ids.dump();
    first = false;
  }
  out << (first ? "}\n}\n" : "\n  }\n}\n");
}

std::vector<std::string> HookOutputLines(const std::string& database, HookPhase phase,
                                         const std::string& output) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < output.size()) {
    size_t end = output.find('\n', start);
    if (end == std::string::npos) end = output.size();
    lines.push_back(std::string("lockstep: ") + HookName(phase) + " hook for " + database + ": " +
                    output.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

}  // namespace lockstep
