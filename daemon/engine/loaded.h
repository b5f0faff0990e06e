// A platform and its graph, loaded from disk and checked: what every command
// and the daemon start from.
#ifndef LOCKSTEP_DAEMON_ENGINE_LOADED_H_
#define LOCKSTEP_DAEMON_ENGINE_LOADED_H_

#include <memory>
#include <optional>
#include <string>

#include "daemon/options.h"
#include "graph/diagnostic.h"
#include "graph/graph.h"
#include "manifests/platform.h"

namespace lockstep {

// The graph points into the platform's model, so both live together behind
// stable addresses.
//
// With database sets, `platform` and `graph` are expanded (a database and a
// copy of each service on the set per member: manifests/tenants.h), and
// `templates` holds the platform as written, with its graph: one service per
// manifest, whatever the members (`new` writes into its folders).
struct Loaded {
  std::unique_ptr<Platform> platform;
  std::optional<MigrationGraph> graph;  // set only when everything is valid
  Diagnostics diag;
  struct Templates {
    std::unique_ptr<Platform> platform;
    std::optional<MigrationGraph> graph;
  };
  std::unique_ptr<Templates> templates;  // only when the platform has sets
  // Sets whose members come from a query that was not run (see
  // CommonOptions::read_tenant_queries): they have no member here.
  std::vector<std::string> unread_sets;
  // What loading found worth telling that is no problem (a set's query that
  // found no table yet), a line each.
  std::vector<std::string> notes;

  // The platform and graph as written: `templates` when there are sets.
  const Platform& written_platform() const { return templates ? *templates->platform : *platform; }
  const MigrationGraph& written_graph() const { return templates ? *templates->graph : *graph; }
};

// Loads and checks the platform file of `options` (-c when given, else
// $LOCKSTEP_CONFIG, else ./lockstep.yaml) and everything it names, reporting
// nothing: the diagnostics are in the result. `strict`: warnings are errors.
// The graph is checked as written (each problem reported once, not once per
// member), then the sets are expanded: their members read (a query on
// another database of the platform, unless options.read_tenant_queries is
// false) and narrowed to options.tenants.
// The platform file: -c FILE, else $LOCKSTEP_CONFIG, else ./lockstep.yaml.
std::string ConfigPath(const std::string& flag, const Environment& env);

Loaded LoadAndCheck(const CommonOptions& options, bool strict = false);

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_ENGINE_LOADED_H_
