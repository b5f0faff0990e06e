// JSON views shared by the CLI's --json output and the daemon's API.
#ifndef LOCKSTEP_DAEMON_VIEWS_JSON_VIEWS_H_
#define LOCKSTEP_DAEMON_VIEWS_JSON_VIEWS_H_

#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/engine/drift.h"
#include "daemon/engine/state.h"
#include "graph/graph.h"

namespace lockstep {

// {"services": [...], "unknown_applied": [...], "up_to_date": bool}
nlohmann::ordered_json StatusJson(const MigrationGraph& graph, const PlatformState& state);

// [{"database", "state", "error", "drift": [{"change", "object", "before", "after"}]}]
nlohmann::ordered_json DriftJson(const std::vector<DatabaseDrift>& drift);

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_VIEWS_JSON_VIEWS_H_
