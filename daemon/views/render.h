// Text and JSON renderings of the graph and of plans.
#ifndef LOCKSTEP_DAEMON_VIEWS_RENDER_H_
#define LOCKSTEP_DAEMON_VIEWS_RENDER_H_

#include <ostream>
#include <string>
#include <vector>

#include "daemon/engine/hooks.h"
#include "graph/graph.h"
#include "graph/plan.h"

namespace lockstep {

// The whole DAG: one cluster per service, parent edges solid, requires dashed.
void RenderDot(const MigrationGraph& graph, std::ostream& out);
void RenderMermaid(const MigrationGraph& graph, std::ostream& out);
// {"services": [...], "migrations": [...], "edges": [{"from", "to", "kind"}]};
// an edge's "from" is applied before its "to".
void RenderGraphJson(const MigrationGraph& graph, std::ostream& out);

struct PlanView {
  const MigrationGraph* graph;
  const Lanes* lanes;
  std::vector<std::vector<int>> waves;
  bool offline = true;
  bool all = false;  // text: every migration, however many (else summarised past 100)
};

void RenderPlanText(const PlanView& plan, std::ostream& out);
void RenderPlanJson(const PlanView& plan, std::ostream& out);

// What settings.hooks printed, for the log: each line of `output` as one
// entry, "lockstep: before_apply hook for billing: LINE".
std::vector<std::string> HookOutputLines(const std::string& database, HookPhase phase,
                                         const std::string& output);

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_VIEWS_RENDER_H_
