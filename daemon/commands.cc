#include "daemon/commands.h"

#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "daemon/exit_codes.h"
#include "daemon/render.h"
#include "graph/graph.h"
#include "graph/plan.h"
#include "graph/suggest.h"
#include "manifests/loader.h"

namespace lockstep {
namespace {

// A platform and its graph, loaded and checked. The graph points into the
// platform's model, so both live together behind stable addresses.
struct Loaded {
  std::unique_ptr<Platform> platform;
  std::optional<MigrationGraph> graph;
  Diagnostics diag;
};

std::string ConfigPath(const CommonOptions& options) {
  if (!options.config_path.empty()) return options.config_path;
  if (auto env = options.env("LOCKSTEP_CONFIG"); env && !env->empty()) return *env;
  return "lockstep.yaml";
}

void PrintDiagnostics(const Diagnostics& diag, std::ostream& err) {
  for (const Diagnostic& d : diag.all()) err << d.ToString() << "\n";
}

std::string Count(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// Loads and checks everything; prints every diagnostic to `err`. The graph is
// built only when loading found no error, and kept only when it is valid.
Loaded Load(const CommonOptions& options, std::ostream& err) {
  Loaded loaded;
  loaded.platform = std::make_unique<Platform>(
      LoadPlatform(ConfigPath(options), options.env, &loaded.diag));
  if (!loaded.diag.has_errors()) {
    MigrationGraph graph = MigrationGraph::Build(loaded.platform->model, &loaded.diag);
    if (!loaded.diag.has_errors()) loaded.graph.emplace(std::move(graph));
  }
  PrintDiagnostics(loaded.diag, err);
  if (loaded.diag.has_errors()) {
    int warnings = static_cast<int>(loaded.diag.all().size()) - loaded.diag.error_count();
    err << "lockstep: " << Count(loaded.diag.error_count(), "error", "errors");
    if (warnings > 0) err << ", " << Count(warnings, "warning", "warnings");
    err << "; nothing was touched\n";
  }
  return loaded;
}

nlohmann::ordered_json DiagnosticsJson(const Diagnostics& diag, Diagnostic::Severity severity) {
  auto list = nlohmann::ordered_json::array();
  for (const Diagnostic& d : diag.all()) {
    if (d.severity != severity) continue;
    list.push_back({{"file", d.file}, {"line", d.line}, {"column", d.column},
                    {"message", d.message}, {"text", d.ToString()}});
  }
  return list;
}

// Migrations selected by --target and --service: those and all they need;
// empty (meaning all) when neither is given.
bool Select(const MigrationGraph& graph, const PlanOptions& plan, std::vector<bool>* wanted,
            std::ostream& err) {
  std::vector<int> targets;
  bool ok = true;
  for (const std::string& id : plan.targets) {
    std::string error;
    int m = graph.Resolve(id, &error);
    if (m < 0) {
      err << "lockstep: --target " << id << ": " << error << "\n";
      ok = false;
    } else {
      targets.push_back(m);
    }
  }
  for (const std::string& name : plan.services) {
    int s = graph.FindService(name);
    if (s < 0) {
      std::vector<std::string_view> names;
      for (const Service& service : graph.model().services) names.push_back(service.name);
      err << "lockstep: --service: unknown service '" << name << "'" << DidYouMean(name, names)
          << "\n";
      ok = false;
      continue;
    }
    for (int m : graph.Heads(s)) targets.push_back(m);
  }
  if (ok && !targets.empty()) *wanted = graph.Closure(targets);
  return ok;
}

}  // namespace

int RunValidate(const CommonOptions& options, std::ostream& out, std::ostream& err) {
  Loaded loaded = Load(options, err);
  const Platform& p = *loaded.platform;
  bool valid = loaded.graph.has_value();
  if (options.json) {
    nlohmann::ordered_json j;
    j["valid"] = valid;
    j["config"] = p.config_path;
    j["services"] = p.model.services.size();
    j["migrations"] = p.model.migrations.size();
    j["databases"] = p.databases.size();
    j["errors"] = DiagnosticsJson(loaded.diag, Diagnostic::Severity::kError);
    j["warnings"] = DiagnosticsJson(loaded.diag, Diagnostic::Severity::kWarning);
    out << j.dump(2) << "\n";
  } else if (valid) {
    int warnings = static_cast<int>(loaded.diag.all().size());
    out << "ok: " << p.config_path << ": " << Count(p.model.services.size(), "service", "services")
        << ", " << Count(p.model.migrations.size(), "migration", "migrations") << ", "
        << Count(p.databases.size(), "database", "databases");
    if (warnings > 0) out << " (" << Count(warnings, "warning", "warnings") << ")";
    out << "\n";
  }
  return valid ? kExitOk : kExitBadInput;
}

int RunPlan(const CommonOptions& options, const PlanOptions& plan, std::ostream& out,
            std::ostream& err) {
  if (!plan.offline) {
    err << "lockstep: plan: reading the databases' history is not built yet; run "
           "'lockstep plan --offline' to plan as if nothing were applied\n";
    return kExitBadInput;
  }
  Loaded loaded = Load(options, err);
  if (!loaded.graph) return kExitBadInput;
  const MigrationGraph& graph = *loaded.graph;
  std::vector<bool> wanted;
  if (!Select(graph, plan, &wanted, err)) return kExitBadInput;
  Lanes lanes = Lanes::Of(graph);
  std::vector<bool> pending = PendingSet(graph, wanted, /*applied=*/{});
  PlanView view{&graph, &lanes, Waves(graph, pending, lanes), /*offline=*/true};
  if (options.json) {
    RenderPlanJson(view, out);
  } else {
    RenderPlanText(view, out);
  }
  return kExitOk;
}

int RunGraph(const CommonOptions& options, const std::string& format, std::ostream& out,
             std::ostream& err) {
  if (format != "dot" && format != "mermaid" && format != "json") {
    err << "lockstep: graph: unknown format '" << format << "'; use dot, mermaid or json\n";
    return kExitBadInput;
  }
  Loaded loaded = Load(options, err);
  if (!loaded.graph) return kExitBadInput;
  if (format == "dot") RenderDot(*loaded.graph, out);
  if (format == "mermaid") RenderMermaid(*loaded.graph, out);
  if (format == "json") RenderGraphJson(*loaded.graph, out);
  return kExitOk;
}

}  // namespace lockstep
