#include "graph/plan.h"

#include <algorithm>
#include <cassert>
#include <map>

namespace lockstep {

Lanes Lanes::Of(const MigrationGraph& graph) {
  const Model& model = graph.model();
  std::map<std::string, int> index;
  for (const Service& s : model.services) index.emplace(s.database, 0);
  Lanes lanes;
  for (auto& [name, lane] : index) {
    lane = static_cast<int>(lanes.databases.size());
    lanes.databases.push_back(name);
  }
  lanes.lane_of_migration.reserve(model.migrations.size());
  for (const Migration& m : model.migrations) {
    lanes.lane_of_migration.push_back(index[model.services[m.service].database]);
  }
  return lanes;
}

std::vector<bool> PendingSet(const MigrationGraph& graph, const std::vector<bool>& wanted,
                             const std::vector<bool>& applied) {
  std::vector<bool> pending(graph.size(), false);
  for (int m = 0; m < graph.size(); ++m) {
    bool want = wanted.empty() || wanted[m];
    bool done = !applied.empty() && applied[m];
    pending[m] = want && !done;
  }
  return pending;
}

std::vector<std::vector<int>> Waves(const MigrationGraph& graph, const std::vector<bool>& pending,
                                    const Lanes& lanes) {
  std::vector<int> order = graph.TopologicalOrder();
  std::vector<int> rank(graph.size());
  std::vector<int> wave(graph.size(), 0);
  std::vector<std::vector<int>> waves;
  for (size_t i = 0; i < order.size(); ++i) {
    int m = order[i];
    rank[m] = static_cast<int>(i);
    if (!pending[m]) continue;
    for (const Dependency& d : graph.DependenciesOf(m)) {
      if (pending[d.migration]) wave[m] = std::max(wave[m], wave[d.migration] + 1);
    }
    if (wave[m] >= static_cast<int>(waves.size())) waves.resize(wave[m] + 1);
    waves[wave[m]].push_back(m);
  }
  for (auto& w : waves) {
    std::stable_sort(w.begin(), w.end(), [&](int a, int b) {
      int la = lanes.lane_of_migration[a], lb = lanes.lane_of_migration[b];
      return la != lb ? la < lb : rank[a] < rank[b];
    });
  }
  return waves;
}

Plan::Plan(const MigrationGraph& graph, std::vector<bool> pending, Lanes lanes, Direction direction,
           OnFailure on_failure)
    : graph_(graph),
      direction_(direction),
      pending_(std::move(pending)),
      lanes_(std::move(lanes)),
      rank_(graph.size()),
      missing_(graph.size(), 0),
      chained_(graph.size(), false),
      on_failure_(on_failure),
      lane_busy_(lanes_.databases.size(), false),
      lane_dead_(lanes_.databases.size(), false) {
  std::vector<int> order = graph.TopologicalOrder();
  if (direction_ == Direction::kRollback) std::reverse(order.begin(), order.end());
  for (size_t i = 0; i < order.size(); ++i) rank_[order[i]] = static_cast<int>(i);
  for (int m = 0; m < graph.size(); ++m) {
    if (!pending_[m]) continue;
    ++remaining_;
    for (int before : Before(m)) {
      if (pending_[before]) ++missing_[m];
    }
    if (missing_[m] == 0) ready_.emplace(rank_[m], m);
  }
}

std::vector<int> Plan::Before(int m) const {
  if (direction_ == Direction::kRollback) return graph_.DependentsOf(m);
  std::vector<int> out;
  for (const Dependency& d : graph_.DependenciesOf(m)) out.push_back(d.migration);
  return out;
}

std::vector<int> Plan::After(int m) const {
  if (direction_ == Direction::kApply) return graph_.DependentsOf(m);
  std::vector<int> out;
  for (const Dependency& d : graph_.DependenciesOf(m)) out.push_back(d.migration);
  return out;
}

std::optional<int> Plan::NextReady() {
  return NextReady([](int) { return true; });
}

std::optional<int> Plan::NextReady(const std::function<bool(int lane)>& may_start) {
  if (failed_) return std::nullopt;
  for (auto it = ready_.begin(); it != ready_.end(); ++it) {
    int m = it->second;
    int lane = lanes_.lane_of_migration[m];
    if (lane_busy_[lane] || lane_dead_[lane] || !may_start(lane)) continue;
    ready_.erase(it);
    lane_busy_[lane] = true;
    ++running_;
    return m;
  }
  return std::nullopt;
}

void Plan::Finished(int migration, bool ok) {
  assert(lane_busy_[lanes_.lane_of_migration[migration]]);
  lane_busy_[lanes_.lane_of_migration[migration]] = false;
  --running_;
  --remaining_;
  if (!ok) {
    if (on_failure_ == OnFailure::kStop) {
      failed_ = true;
    } else {
      lane_dead_[lanes_.lane_of_migration[migration]] = true;
    }
    return;
  }
  for (int next : After(migration)) {
    if (pending_[next] && --missing_[next] == 0 && !chained_[next]) {
      ready_.emplace(rank_[next], next);
    }
  }
}

std::vector<int> Plan::Chain(int m, size_t max,
                             const std::function<bool(int migration)>& may_join) {
  const int lane = lanes_.lane_of_migration[m];
  std::set<std::pair<int, int>> candidates;  // (rank, migration): ready once the chain ran
  for (const auto& [rank, r] : ready_) {
    if (lanes_.lane_of_migration[r] == lane) candidates.emplace(rank, r);
  }
  std::map<int, int> missing;  // what the chain so far leaves missing, where it changed
  std::vector<int> chain;
  for (int last = m; chain.size() < max;) {
    for (int next : After(last)) {
      if (!pending_[next] || lanes_.lane_of_migration[next] != lane || chained_[next]) continue;
      auto it = missing.emplace(next, missing_[next]).first;
      if (--it->second == 0) candidates.emplace(rank_[next], next);
    }
    if (candidates.empty() || !may_join(candidates.begin()->second)) break;
    last = candidates.begin()->second;
    candidates.erase(candidates.begin());
    ready_.erase({rank_[last], last});
    chained_[last] = true;
    chain.push_back(last);
  }
  return chain;
}

void Plan::StartChained(int m) {
  assert(chained_[m] && missing_[m] == 0 && !lane_busy_[lanes_.lane_of_migration[m]]);
  chained_[m] = false;
  lane_busy_[lanes_.lane_of_migration[m]] = true;
  ++running_;
}

void Plan::Unchain(int m) {
  chained_[m] = false;
  if (missing_[m] == 0) ready_.emplace(rank_[m], m);
}

bool Plan::ReadyOn(int lane) const {
  if (lane_dead_[lane]) return false;
  for (const auto& [rank, m] : ready_) {
    if (lanes_.lane_of_migration[m] == lane) return true;
  }
  return false;
}

bool Plan::done() const {
  if (running_ > 0) return false;
  if (failed_) return true;
  for (const auto& [rank, m] : ready_) {
    if (!lane_dead_[lanes_.lane_of_migration[m]]) return false;
  }
  return true;
}

}  // namespace lockstep
