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
struct Loaded {
  std::unique_ptr<Platform> platform;
  std::optional<MigrationGraph> graph;  // set only when everything is valid
  Diagnostics diag;
};

// Loads and checks the platform file of `options` (-c when given, else
// $LOCKSTEP_CONFIG, else ./lockstep.yaml) and everything it names, reporting
// nothing: the diagnostics are in the result. `strict`: warnings are errors.
Loaded LoadAndCheck(const CommonOptions& options, bool strict = false);

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_ENGINE_LOADED_H_
