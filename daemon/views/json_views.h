// JSON views shared by the CLI's --json output and the daemon's API.
#ifndef LOCKSTEP_DAEMON_VIEWS_JSON_VIEWS_H_
#define LOCKSTEP_DAEMON_VIEWS_JSON_VIEWS_H_

#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/engine/drift.h"
#include "daemon/engine/state.h"
#include "graph/graph.h"

namespace lockstep {

// One migration as the graph knows it: {"id", "service", "version", "name",
// "database", "up", "down", "checksum", "no_transaction"}.
nlohmann::ordered_json MigrationJson(const MigrationGraph& graph, int m);

// What is known of one migration on its database: MigrationJson plus
// "state" (applied, baseline, pending, running, failed, checksum_mismatch),
// "requires" ([{"id", "kind"}]: parent or requires), "dependents" (ids), and
// "history" (its row, or null when it never ran).
nlohmann::ordered_json MigrationDetailJson(const MigrationGraph& graph, const PlatformState& state,
                                           int m);

// {"services": [...], "unknown_applied": [...], "up_to_date": bool}
nlohmann::ordered_json StatusJson(const MigrationGraph& graph, const PlatformState& state);

// [{"database", "state", "error", "drift": [{"change", "object", "before", "after"}]}]
nlohmann::ordered_json DriftJson(const std::vector<DatabaseDrift>& drift);

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_VIEWS_JSON_VIEWS_H_
