#include "daemon/cli/commands.h"

#include <nlohmann/json.hpp>

#include "daemon/cli/context.h"
#include "daemon/engine/state.h"
#include "daemon/exit_codes.h"
#include "daemon/views/render.h"
#include "graph/graph.h"
#include "graph/plan.h"

namespace lockstep {
namespace {

nlohmann::ordered_json DiagnosticsJson(const Diagnostics& diag, Diagnostic::Severity severity) {
  auto list = nlohmann::ordered_json::array();
  for (const Diagnostic& d : diag.all()) {
    if (d.severity != severity) continue;
    list.push_back({{"file", d.file},
                    {"line", d.line},
                    {"column", d.column},
                    {"message", d.message},
                    {"text", d.ToString()}});
  }
  return list;
}

}  // namespace

int RunValidate(const CommonOptions& options, bool strict, std::ostream& out, Log& log) {
  Loaded loaded = Load(options, log, strict);
  const Platform& p = loaded.written_platform();  // as written: a service per manifest
  bool valid = loaded.graph.has_value();
  size_t plain = 0, sets = 0, members = 0;
  for (const DatabaseConfig& db : loaded.platform->databases) {
    if (db.is_set()) {
      ++sets;
    } else if (db.is_member()) {
      ++members;
    } else {
      ++plain;
    }
  }
  if (options.json) {
    nlohmann::ordered_json j;
    j["valid"] = valid;
    j["config"] = p.config_path;
    j["services"] = p.model.services.size();
    j["migrations"] = p.model.migrations.size();
    j["databases"] = plain;
    j["database_sets"] = sets;
    j["members"] = members;
    j["members_not_read"] = loaded.unread_sets;  // from a query: validate touches no database
    j["errors"] = DiagnosticsJson(loaded.diag, Diagnostic::Severity::kError);
    j["warnings"] = DiagnosticsJson(loaded.diag, Diagnostic::Severity::kWarning);
    out << j.dump(2) << "\n";
  } else if (valid) {
    int warnings = static_cast<int>(loaded.diag.all().size());
    out << "ok: " << p.config_path << ": " << Count(p.model.services.size(), "service", "services")
        << ", " << Count(p.model.migrations.size(), "migration", "migrations") << ", "
        << Count(plain, "database", "databases");
    if (sets > 0) {
      out << ", " << Count(sets, "database set", "database sets") << " ("
          << Count(members, "member", "members");
      for (const std::string& set : loaded.unread_sets) {
        out << "; " << set << "'s come from a query, not run by validate";
      }
      out << ")";
    }
    if (warnings > 0) out << " (" << Count(warnings, "warning", "warnings") << ")";
    out << "\n";
  }
  return valid ? kExitOk : kExitBadInput;
}

int RunPlan(const CommonOptions& options, const PlanOptions& plan, std::ostream& out, Log& log) {
  Loaded loaded = Load(options, log);
  if (!loaded.graph) return kExitBadInput;
  const MigrationGraph& graph = *loaded.graph;
  std::vector<bool> wanted;
  if (Status s = Select(graph, plan.targets, plan.services, &wanted); !s.ok())
    return OkOrSay(s, log);
  std::vector<bool> external;  // shown: this shard waits for them
  if (!options.tenants.empty()) OnlyMembers(graph, &wanted);
  Shard(graph, options.shard, options.shards, &wanted, &external);
  std::vector<bool> applied;
  if (!plan.offline) {
    std::map<std::string, std::vector<HistoryRow>> histories;
    DatabaseFactory factory = MakeDatabases(options, *loaded.platform, NewRunId());
    if (int code = ReadHistoriesOrSay(*loaded.platform, factory, &histories, log)) return code;
    applied = Reconcile(graph, histories).applied;
  }
  Lanes lanes = Lanes::Of(graph);
  std::vector<bool> pending = PendingSet(graph, wanted, applied);
  PlanView view{&graph, &lanes, Waves(graph, pending, lanes), plan.offline, plan.all};
  if (plan.sql) {
    std::vector<int> order;
    for (const auto& wave : view.waves) order.insert(order.end(), wave.begin(), wave.end());
    return OkOrSay(PrintSqlScripts(loaded, order, /*rollback=*/false, plan.database, out), log);
  }
  if (options.json) {
    RenderPlanJson(view, out);
  } else {
    RenderPlanText(view, out);
  }
  return kExitOk;
}

int RunGraph(const CommonOptions& options, const std::string& format, std::ostream& out, Log& log) {
  Loaded loaded = Load(options, log);
  if (!loaded.graph) return kExitBadInput;
  const MigrationGraph& written = loaded.written_graph();  // one node per file, not per member
  if (format == "dot") RenderDot(written, out);
  if (format == "mermaid") RenderMermaid(written, out);
  if (format == "json") RenderGraphJson(written, out);  // main.cc checks the format
  return kExitOk;
}

}  // namespace lockstep
