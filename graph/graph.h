// The DAG of every migration of every service. Built once from a Model, then
// read-only: safe to share between threads after Build() returns.
//
// Edges point from a dependency to its dependent (apply order): from a
// migration's parents (by default the previous version of its service;
// `-- lockstep:parents` overrides) and from what it `requires`.
#ifndef LOCKSTEP_GRAPH_GRAPH_H_
#define LOCKSTEP_GRAPH_GRAPH_H_

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "graph/diagnostic.h"
#include "graph/model.h"

namespace lockstep {

enum class EdgeKind { kParent, kRequires };

struct Dependency {
  int migration;  // what must be applied first
  EdgeKind kind;
  int line;  // directive line in the dependent's up file; 0 if implicit
};

class MigrationGraph {
 public:
  // Builds the graph over `model`, which must outlive it. Reports to `diag`:
  // duplicate versions, references to unknown migrations (with a "did you
  // mean"), cycles with their path, and branches (several heads in one
  // service) as warnings. The graph is usable for queries only when no error
  // was reported.
  static MigrationGraph Build(const Model& model, Diagnostics* diag);

  const Model& model() const { return *model_; }
  int size() const { return static_cast<int>(model_->migrations.size()); }
  std::string IdOf(int m) const { return model_->IdOf(m); }

  // What `m` needs applied first, parents before requirements.
  std::vector<Dependency> DependenciesOf(int m) const;
  // What needs `m`.
  std::vector<int> DependentsOf(int m) const;
  int ParentCount(int m) const;
  bool IsMerge(int m) const { return ParentCount(m) >= 2; }

  // Migrations of a service, in version order (duplicates left out).
  const std::vector<int>& MigrationsOf(int service) const { return by_service_[service]; }
  // Migrations of `service` that nothing else of that service depends on.
  std::vector<int> Heads(int service) const;
  // Index of the service whose key() is `key` ("billing-service", or
  // "billing-service@tenant/acme" for a member's copy), or -1. A service on a
  // database set with exactly one member is also found by its bare name.
  int FindService(std::string_view key) const;
  // Every service named `name` (each member's copy of a service on a set);
  // with "name@member", that copy only. Empty when there is none.
  std::vector<int> ServicesNamed(std::string_view name) const;

  // Resolves "service:version" or "service:version_name", with "@member" for
  // a member's copy of a service on a database set. Without "@member", a
  // `referrer` on a member means that member's copy. On failure returns -1
  // and sets *error to "unknown migration 'x' (did you mean 'y'?)", never
  // suggesting `referrer` (the migration whose directive names `ref`).
  int Resolve(std::string_view ref, std::string* error, int referrer = -1) const;
  // Like Resolve, but a service on a database set named without "@member"
  // (and not from a member's own migration) means every member's copy.
  std::vector<int> ResolveAll(std::string_view ref, std::string* error, int referrer = -1) const;

  // `targets` and everything they need, directly or transitively.
  std::vector<bool> Closure(const std::vector<int>& targets) const;

  // Everything that depends on `targets`, directly or transitively (the
  // targets themselves not included unless one depends on another).
  std::vector<bool> Dependents(const std::vector<int>& targets) const;

  // What takes m's service back to m (`rollback --to`): the migrations of its
  // service after m that m does not need, and everything that depends on
  // those. What depends only on m and what came before stays.
  std::vector<bool> BackTo(int m) const;

  // Every migration, dependencies before dependents; among the ready ones,
  // lower index first. REQUIRES: the graph is acyclic.
  std::vector<int> TopologicalOrder() const;

 private:
  // The Boost.Graph adjacency list, kept out of this header (graph.cc): a
  // user of the graph does not compile Boost.Graph. Read-only once built,
  // so copies of a graph share it.
  struct Edges;

  explicit MigrationGraph(const Model& model);
  void IndexMigrations(Diagnostics* diag);
  void AddEdges(Diagnostics* diag);
  void AddReferenceEdges(int m, const std::vector<Reference>& refs, EdgeKind kind,
                         Diagnostics* diag);
  void FindCycles(Diagnostics* diag) const;
  void ReportBranches(Diagnostics* diag) const;
  int ResolveVersion(int service, std::string_view rest, std::string_view ref, std::string* error,
                     int referrer) const;
  std::string Suggest(int service, std::string_view version, int referrer) const;

  const Model* model_;
  std::shared_ptr<Edges> edges_;
  std::unordered_map<std::string, int> by_key_;  // "service:versionkey"
  std::vector<std::vector<int>> by_service_;
  std::unordered_map<std::string, int> service_index_;       // by Service::key()
  std::unordered_map<std::string, std::vector<int>> named_;  // by Service::name
  std::vector<bool> duplicate_;
};

}  // namespace lockstep

#endif  // LOCKSTEP_GRAPH_GRAPH_H_
