#include "graph/graph.h"

#include <algorithm>
#include <functional>
#include <queue>
#include <set>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/depth_first_search.hpp>

#include "graph/suggest.h"

namespace lockstep {

struct EdgeInfo {
  EdgeKind kind = EdgeKind::kParent;
  int line = 0;
};

struct MigrationGraph::Edges {
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS,
                                      boost::no_property, EdgeInfo>;
  explicit Edges(size_t vertices) : g(vertices) {}
  Graph g;
};

namespace {

constexpr int kMaxCyclesReported = 10;

// Records the DFS tree and every back edge; each back edge closes a cycle.
struct CycleRecorder : public boost::default_dfs_visitor {
  std::vector<int>* predecessor;
  std::vector<std::pair<int, int>>* back_edges;

  template <typename Edge, typename G>
  void tree_edge(Edge e, const G& g) {
    (*predecessor)[boost::target(e, g)] = static_cast<int>(boost::source(e, g));
  }
  template <typename Edge, typename G>
  void back_edge(Edge e, const G& g) {
    back_edges->emplace_back(boost::source(e, g), boost::target(e, g));
  }
};

}  // namespace

MigrationGraph::MigrationGraph(const Model& model)
    : model_(&model), edges_(std::make_shared<Edges>(model.migrations.size())) {}

MigrationGraph MigrationGraph::Build(const Model& model, Diagnostics* diag) {
  MigrationGraph g(model);
  int errors_before = diag->error_count();
  g.IndexMigrations(diag);
  g.AddEdges(diag);
  g.FindCycles(diag);
  // Heads of a graph with broken references are not worth a warning.
  if (diag->error_count() == errors_before) g.ReportBranches(diag);
  return g;
}

void MigrationGraph::IndexMigrations(Diagnostics* diag) {
  const auto& services = model_->services;
  const auto& migrations = model_->migrations;
  for (int s = 0; s < static_cast<int>(services.size()); ++s) {
    service_index_.emplace(services[s].key(), s);
    named_[services[s].name].push_back(s);
  }
  by_service_.resize(services.size());
  duplicate_.assign(migrations.size(), false);
  std::vector<std::vector<int>> all(services.size());
  for (int m = 0; m < size(); ++m) all[migrations[m].service].push_back(m);
  for (auto& list : all) {
    std::stable_sort(list.begin(), list.end(), [&](int a, int b) {
      const auto& ma = migrations[a];
      const auto& mb = migrations[b];
      if (ma.version != mb.version) return ma.version < mb.version;
      return ma.up_path < mb.up_path;
    });
    for (int m : list) {
      const Migration& mig = migrations[m];
      std::string key = services[mig.service].key() + ":" + mig.version.key();
      auto [it, inserted] = by_key_.emplace(key, m);
      if (!inserted) {
        duplicate_[m] = true;
        diag->Error(mig.up_path, 0,
                    "duplicate version '" + mig.version.text() + "' in service '" +
                        services[mig.service].name + "': '" + migrations[it->second].up_path +
                        "' has the same version; give one of them another "
                        "version");
        continue;
      }
      by_service_[mig.service].push_back(m);
    }
  }
}

void MigrationGraph::AddEdges(Diagnostics* diag) {
  for (const auto& list : by_service_) {
    for (size_t i = 0; i < list.size(); ++i) {
      int m = list[i];
      const Migration& mig = model_->migrations[m];
      if (mig.has_parents_directive) {
        AddReferenceEdges(m, mig.parent_refs, EdgeKind::kParent, diag);
      } else if (i > 0) {
        boost::add_edge(list[i - 1], m, EdgeInfo{EdgeKind::kParent, 0}, edges_->g);
      }
      AddReferenceEdges(m, mig.requires_refs, EdgeKind::kRequires, diag);
    }
  }
}

void MigrationGraph::AddReferenceEdges(int m, const std::vector<Reference>& refs, EdgeKind kind,
                                       Diagnostics* diag) {
  const Migration& mig = model_->migrations[m];
  const std::string& own = model_->services[mig.service].name;
  for (const Reference& ref : refs) {
    std::string error;
    int target = -1;
    if (kind == EdgeKind::kParent) {
      size_t colon = ref.text.find(':');
      if (colon != std::string::npos && ref.text.substr(0, colon) != own) {
        diag->Error(mig.up_path, ref.line,
                    "parents names '" + ref.text +
                        "' of another service; parents are versions of '" + own +
                        "', use '-- lockstep:requires' for other services",
                    ref.column);
        continue;
      }
      std::string full = colon == std::string::npos ? own + ":" + ref.text : ref.text;
      target = Resolve(full, &error, m);
      if (target < 0) error = "parents names " + error;
    } else {
      // A requirement on a service of a database set, from a migration that
      // is not on that set, holds on every member.
      std::vector<int> targets = ResolveAll(ref.text, &error, m);
      if (targets.empty()) {
        diag->Error(mig.up_path, ref.line, "requires " + error, ref.column);
      }
      for (int t : targets) boost::add_edge(t, m, EdgeInfo{kind, ref.line}, edges_->g);
      continue;
    }
    if (target < 0) {
      diag->Error(mig.up_path, ref.line, error, ref.column);
      continue;
    }
    boost::add_edge(target, m, EdgeInfo{kind, ref.line}, edges_->g);
  }
}

int MigrationGraph::FindService(std::string_view key) const {
  auto it = service_index_.find(std::string(key));
  if (it != service_index_.end()) return it->second;
  auto named = named_.find(std::string(key));
  if (named != named_.end() && named->second.size() == 1) return named->second[0];
  return -1;
}

std::vector<int> MigrationGraph::ServicesNamed(std::string_view name) const {
  if (name.find('@') != std::string_view::npos) {
    int s = FindService(name);
    return s < 0 ? std::vector<int>{} : std::vector<int>{s};
  }
  auto it = named_.find(std::string(name));
  return it == named_.end() ? std::vector<int>{} : it->second;
}

std::vector<int> MigrationGraph::ResolveAll(std::string_view ref, std::string* error,
                                            int referrer) const {
  size_t colon = ref.find(':');
  bool on_member =
      referrer >= 0 && !model_->services[model_->migrations[referrer].service].member.empty();
  if (colon != std::string_view::npos && ref.find('@') == std::string_view::npos && !on_member) {
    std::vector<int> copies = ServicesNamed(ref.substr(0, colon));
    if (copies.size() > 1 || (copies.size() == 1 && !model_->services[copies[0]].member.empty())) {
      std::vector<int> out;
      for (int s : copies) {
        int m = ResolveVersion(s, ref.substr(colon + 1), ref, error, referrer);
        if (m < 0) return {};
        out.push_back(m);
      }
      return out;
    }
  }
  int m = Resolve(ref, error, referrer);
  return m < 0 ? std::vector<int>{} : std::vector<int>{m};
}

int MigrationGraph::Resolve(std::string_view ref, std::string* error, int referrer) const {
  size_t colon = ref.find(':');
  if (colon == std::string_view::npos) {
    *error = "'" + std::string(ref) + "', which is not a migration id; write 'service:version'";
    return -1;
  }
  std::string_view service_name = ref.substr(0, colon);
  std::string_view rest = ref.substr(colon + 1);
  std::string member;  // "@tenant/acme" at the end names a member's copy
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    member = std::string(rest.substr(at));
    rest = rest.substr(0, at);
  } else if (referrer >= 0) {
    const std::string& own = model_->services[model_->migrations[referrer].service].member;
    if (!own.empty() && service_index_.count(std::string(service_name) + "@" + own)) {
      member = "@" + own;
    }
  }
  int service = FindService(std::string(service_name) + member);
  if (service >= 0) return ResolveVersion(service, rest, ref, error, referrer);
  if (member.empty() && named_.count(std::string(service_name))) {
    const std::vector<int>& copies = named_.at(std::string(service_name));
    *error = "'" + std::string(ref) + "' names a service on every member of a database set (" +
             std::to_string(copies.size()) + " members); name one, e.g. '" + std::string(ref) +
             "@" + model_->services[copies[0]].member + "', or pick one with --tenant";
    return -1;
  }

  *error = "unknown migration '" + std::string(ref) + "'";
  std::vector<std::string_view> names;
  for (const Service& s : model_->services) names.push_back(s.name);
  int best = ClosestMatch(service_name, names);
  if (best >= 0) {
    std::string ignored;
    int m = ResolveVersion(best, rest, ref, &ignored, referrer);
    std::string guess = m >= 0 ? IdOf(m) : model_->services[best].name;
    *error += " (did you mean '" + guess + "'?)";
  }
  return -1;
}

int MigrationGraph::ResolveVersion(int service, std::string_view rest, std::string_view ref,
                                   std::string* error, int referrer) const {
  size_t consumed = 0;
  auto version = Version::ParsePrefix(rest, &consumed, /*need_name=*/false);
  std::string_view name = rest.substr(version ? consumed : 0);
  bool well_formed = version && (name.empty() || (name.size() > 1 && name[0] == '_'));
  if (!well_formed) {
    *error = "'" + std::string(ref) + "', which is not a migration id; write 'service:version'";
    return -1;
  }
  auto it = by_key_.find(model_->services[service].key() + ":" + version->key());
  if (it != by_key_.end() &&
      (name.empty() || model_->migrations[it->second].name == name.substr(1))) {
    return it->second;
  }
  *error = "unknown migration '" + std::string(ref) + "'";
  std::string guess = Suggest(service, version->text(), referrer);
  if (!guess.empty()) *error += " (did you mean '" + guess + "'?)";
  return -1;
}

std::string MigrationGraph::Suggest(int service, std::string_view written, int referrer) const {
  // Compared with the version as written; ties go to the later version, as a
  // reference one past the end most often means the latest migration.
  std::vector<std::string_view> versions;
  std::vector<int> ids;
  for (int m : by_service_[service]) {
    if (m == referrer) continue;
    versions.push_back(model_->migrations[m].version.text());
    ids.push_back(m);
  }
  int best = ClosestMatch(written, versions);
  return best < 0 ? "" : IdOf(ids[best]);
}

void MigrationGraph::FindCycles(Diagnostics* diag) const {
  std::vector<int> predecessor(size(), -1);
  std::vector<std::pair<int, int>> back_edges;
  CycleRecorder recorder;
  recorder.predecessor = &predecessor;
  recorder.back_edges = &back_edges;
  std::vector<boost::default_color_type> colors(size());
  boost::depth_first_search(edges_->g,
                            boost::visitor(recorder).color_map(boost::make_iterator_property_map(
                                colors.begin(), boost::get(boost::vertex_index, edges_->g))));

  std::set<std::string> reported;
  int extra = 0;
  for (auto [from, to] : back_edges) {
    // Apply order along the tree: to -> ... -> from, and the back edge closes
    // it. Printed in "needs" order: each migration needs the next one.
    std::vector<int> apply_order;
    for (int v = from; v != to; v = predecessor[v]) apply_order.push_back(v);
    apply_order.push_back(to);
    std::reverse(apply_order.begin(), apply_order.end());
    std::vector<int> needs{apply_order[0]};
    needs.insert(needs.end(), apply_order.rbegin(), apply_order.rend() - 1);

    auto line_of = [&](size_t i) {
      int next = needs[(i + 1) % needs.size()];
      return edges_->g[boost::edge(next, needs[i], edges_->g).first].line;
    };
    size_t start = 0;
    for (size_t i = 0; i < needs.size(); ++i) {
      bool explicit_i = line_of(i) > 0, explicit_start = line_of(start) > 0;
      if (explicit_i != explicit_start ? explicit_i : needs[i] < needs[start]) {
        start = i;
      }
    }
    std::rotate(needs.begin(), needs.begin() + start, needs.end());
    std::string path;
    for (int v : needs) path += IdOf(v) + " -> ";
    path += IdOf(needs[0]);
    if (!reported.insert(path).second) continue;
    if (static_cast<int>(reported.size()) > kMaxCyclesReported) {
      ++extra;
      continue;
    }
    int line = edges_->g[boost::edge(needs[1 % needs.size()], needs[0], edges_->g).first].line;
    diag->Error(model_->migrations[needs[0]].up_path, line, "dependency cycle: " + path);
  }
  if (extra > 0) {
    diag->Error("", 0, "and " + std::to_string(extra) + " more dependency cycles");
  }
}

std::vector<int> MigrationGraph::Heads(int service) const {
  std::vector<int> heads;
  for (int m : by_service_[service]) {
    bool has_child = false;
    for (auto e : boost::make_iterator_range(boost::out_edges(m, edges_->g))) {
      int child = static_cast<int>(boost::target(e, edges_->g));
      if (model_->migrations[child].service == service && !duplicate_[child]) {
        has_child = true;
        break;
      }
    }
    if (!has_child) heads.push_back(m);
  }
  return heads;
}

void MigrationGraph::ReportBranches(Diagnostics* diag) const {
  for (int s = 0; s < static_cast<int>(by_service_.size()); ++s) {
    auto heads = Heads(s);
    if (heads.size() < 2) continue;
    const Service& service = model_->services[s];
    std::string ids, versions;
    for (int m : heads) {
      ids += (ids.empty() ? "" : ", ") + IdOf(m);
      versions += (versions.empty() ? "" : " ") + model_->migrations[m].version.text();
    }
    diag->Warning(service.manifest_path, service.line,
                  "service '" + service.name + "' has " + std::to_string(heads.size()) +
                      " heads (" + ids +
                      "); merge them with a migration that starts with "
                      "'-- lockstep:parents " +
                      versions + "'");
  }
}

std::vector<Dependency> MigrationGraph::DependenciesOf(int m) const {
  std::vector<Dependency> deps;
  for (auto e : boost::make_iterator_range(boost::in_edges(m, edges_->g))) {
    const EdgeInfo& info = edges_->g[e];
    deps.push_back({static_cast<int>(boost::source(e, edges_->g)), info.kind, info.line});
  }
  std::stable_partition(deps.begin(), deps.end(),
                        [](const Dependency& d) { return d.kind == EdgeKind::kParent; });
  return deps;
}

std::vector<int> MigrationGraph::DependentsOf(int m) const {
  std::vector<int> out;
  for (auto e : boost::make_iterator_range(boost::out_edges(m, edges_->g))) {
    out.push_back(static_cast<int>(boost::target(e, edges_->g)));
  }
  return out;
}

int MigrationGraph::ParentCount(int m) const {
  int n = 0;
  for (auto e : boost::make_iterator_range(boost::in_edges(m, edges_->g))) {
    if (edges_->g[e].kind == EdgeKind::kParent) ++n;
  }
  return n;
}

std::vector<bool> MigrationGraph::Closure(const std::vector<int>& targets) const {
  std::vector<bool> in(size(), false);
  std::vector<int> stack;
  for (int t : targets) {
    if (!in[t]) in[t] = true, stack.push_back(t);
  }
  while (!stack.empty()) {
    int m = stack.back();
    stack.pop_back();
    for (auto e : boost::make_iterator_range(boost::in_edges(m, edges_->g))) {
      int dep = static_cast<int>(boost::source(e, edges_->g));
      if (!in[dep]) in[dep] = true, stack.push_back(dep);
    }
  }
  return in;
}

std::vector<bool> MigrationGraph::BackTo(int m) const {
  const Migration& kept = model_->migrations[m];
  std::vector<bool> needed = Closure({m});
  std::vector<int> later;
  for (int x : MigrationsOf(kept.service)) {
    if (!needed[x] && kept.version < model_->migrations[x].version) later.push_back(x);
  }
  std::vector<bool> out = Dependents(later);
  for (int x : later) out[x] = true;
  return out;
}

std::vector<bool> MigrationGraph::Dependents(const std::vector<int>& targets) const {
  std::vector<bool> in(size(), false);
  std::vector<int> stack(targets.begin(), targets.end());
  while (!stack.empty()) {
    int m = stack.back();
    stack.pop_back();
    for (auto e : boost::make_iterator_range(boost::out_edges(m, edges_->g))) {
      int child = static_cast<int>(boost::target(e, edges_->g));
      if (!in[child]) in[child] = true, stack.push_back(child);
    }
  }
  return in;
}

std::vector<int> MigrationGraph::TopologicalOrder() const {
  std::vector<int> missing(size());
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (int m = 0; m < size(); ++m) {
    missing[m] = static_cast<int>(boost::in_degree(m, edges_->g));
    if (missing[m] == 0) ready.push(m);
  }
  std::vector<int> order;
  order.reserve(size());
  while (!ready.empty()) {
    int m = ready.top();
    ready.pop();
    order.push_back(m);
    for (auto e : boost::make_iterator_range(boost::out_edges(m, edges_->g))) {
      int child = static_cast<int>(boost::target(e, edges_->g));
      if (--missing[child] == 0) ready.push(child);
    }
  }
  return order;
}

}  // namespace lockstep
