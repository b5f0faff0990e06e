#include "daemon/session.h"

#include <pwd.h>
#include <unistd.h>

#include <random>
#include <set>

#include "adapters/postgres.h"
#include "daemon/sql_script.h"
#include "daemon/exit_codes.h"
#include "graph/suggest.h"
#include "manifests/loader.h"

#ifndef LOCKSTEP_VERSION
#define LOCKSTEP_VERSION "dev"
#endif

namespace lockstep {
namespace {

std::string ConfigPath(const CommonOptions& options) {
  if (!options.config_path.empty()) return options.config_path;
  if (auto env = options.env("LOCKSTEP_CONFIG"); env && !env->empty()) return *env;
  return "lockstep.yaml";
}

std::string AppliedBy(const Environment& env) {
  char host[256] = "";
  gethostname(host, sizeof host - 1);
  std::string user = env("USER").value_or(env("LOGNAME").value_or(""));
  if (user.empty()) {
    const passwd* pw = getpwuid(getuid());
    user = pw ? pw->pw_name : std::to_string(getuid());
  }
  return user + "@" + host;
}

}  // namespace

std::string Count(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

int FindServiceOrSay(const MigrationGraph& graph, const std::string& name, const std::string& what,
                     Log& log) {
  int s = graph.FindService(name);
  if (s >= 0) return s;
  std::vector<std::string_view> names;
  for (const Service& service : graph.model().services) names.push_back(service.name);
  log.error() << "lockstep: " << what << ": unknown service '" << name << "'" << DidYouMean(name, names)
              << "\n";
  return -1;
}

std::set<std::string> DatabasesOf(const Platform& platform) {
  std::set<std::string> names;
  for (const Service& s : platform.model.services) names.insert(s.database);
  return names;
}

Loaded Load(const CommonOptions& options, Log& log, bool strict) {
  Loaded loaded;
  loaded.platform = std::make_unique<Platform>(
      LoadPlatform(ConfigPath(options), options.env, &loaded.diag));
  if (!loaded.diag.has_errors()) {
    MigrationGraph graph = MigrationGraph::Build(loaded.platform->model, &loaded.diag);
    if (strict) loaded.diag.MakeWarningsErrors();
    if (!loaded.diag.has_errors()) loaded.graph.emplace(std::move(graph));
  } else if (strict) {
    loaded.diag.MakeWarningsErrors();
  }
  for (const DiagnosticLine& line : DiagnosticLines(loaded.diag, options.verbose)) {
    (line.severity == Diagnostic::Severity::kWarning ? log.warning() : log.error())
        << line.text << "\n";
  }
  if (loaded.diag.has_errors()) {
    int warnings = static_cast<int>(loaded.diag.all().size()) - loaded.diag.error_count();
    std::string summary = "lockstep: " + Count(loaded.diag.error_count(), "error", "errors");
    if (warnings > 0) summary += ", " + Count(warnings, "warning", "warnings");
    log.error() << summary << "; nothing was touched\n";
  }
  return loaded;
}

bool Select(const MigrationGraph& graph, const std::vector<std::string>& target_ids,
            const std::vector<std::string>& services, std::vector<bool>* wanted,
            Log& log) {
  std::vector<int> targets;
  bool ok = true;
  for (const std::string& id : target_ids) {
    std::string error;
    int m = graph.Resolve(id, &error);
    if (m < 0) {
      log.error() << "lockstep: --target " << id << ": " << error << "\n";
      ok = false;
    } else {
      targets.push_back(m);
    }
  }
  for (const std::string& name : services) {
    int s = FindServiceOrSay(graph, name, "--service", log);
    if (s < 0) {
      ok = false;
      continue;
    }
    for (int m : graph.Heads(s)) targets.push_back(m);
  }
  if (ok && !targets.empty()) *wanted = graph.Closure(targets);
  return ok;
}

std::string NewRunId() {
  std::random_device random;
  std::uniform_int_distribution<uint64_t> dist(0, (uint64_t{1} << 48) - 1);
  char buffer[16];
  snprintf(buffer, sizeof buffer, "%012llx", static_cast<unsigned long long>(dist(random)));
  return buffer;
}

DatabaseFactory PostgresFactory(const Platform& platform, const CommonOptions& options,
                                const std::string& run_id) {
  std::string applied_by = AppliedBy(options.env);
  return [&platform, env = options.env, run_id, applied_by](const std::string& name,
                                                            std::string* error)
             -> std::unique_ptr<Database> {
    const DatabaseConfig* config = platform.FindDatabase(name);
    std::string url;
    if (!config || !ResolveDatabaseUrl(platform, *config, env, &url, error)) return nullptr;
    PostgresOptions o;
    o.url = url;
    o.database = name;
    o.history_schema = platform.settings.history_schema;
    o.run_id = run_id;
    o.statement_timeout = platform.settings.statement_timeout;
    o.applied_by = applied_by;
    o.lockstep_version = LOCKSTEP_VERSION;
    return NewPostgresDatabase(std::move(o));
  };
}

int ReadHistories(const Platform& platform, const DatabaseFactory& factory,
                  std::map<std::string, std::vector<HistoryRow>>* histories, Log& log) {
  int code = kExitOk;
  for (const std::string& name : DatabasesOf(platform)) {
    std::string error;
    std::unique_ptr<Database> db = factory(name, &error);
    Status status = db ? db->Open() : Status::BadInput(error);
    if (status.ok()) status = db->ReadHistory(&(*histories)[name]);
    if (!status.ok()) {
      log.error() << "lockstep: " << status.message() << "\n";
      // Configuration (an unset variable, a malformed URL) outranks a failure.
      if (code != kExitBadInput) code = ExitCodeOf(status);
    }
  }
  return code;
}

bool PrintSqlScripts(const Loaded& loaded, const std::vector<int>& order, bool rollback,
                     const std::string& only, std::ostream& out, Log& log) {
  const MigrationGraph& graph = *loaded.graph;
  const Model& model = graph.model();
  if (!only.empty() && !loaded.platform->FindDatabase(only)) {
    log.error() << "lockstep: --database: unknown database '" << only << "'\n";
    return false;
  }
  auto database_of = [&](int m) -> const std::string& {
    return model.services[model.migrations[m].service].database;
  };
  std::vector<bool> in(graph.size(), false);
  for (int m : order) in[m] = true;
  std::set<std::string> databases;
  for (int m : order) databases.insert(database_of(m));
  std::string run_id = "script-" + NewRunId();
  for (const std::string& db : databases) {
    if (!only.empty() && db != only) continue;
    SqlScript script;
    script.database = db;
    script.config_path = loaded.platform->config_path;
    script.history_schema = loaded.platform->settings.history_schema;
    script.run_id = run_id;
    script.rollback = rollback;
    std::set<std::string> needs;
    for (int m : order) {
      if (database_of(m) != db) continue;
      script.migrations.push_back(m);
      // What must be done on other databases first: applying, the pending
      // requirements; rolling back, the dependents being rolled back.
      std::vector<int> first;
      if (rollback) {
        first = graph.DependentsOf(m);
      } else {
        for (const Dependency& d : graph.DependenciesOf(m)) first.push_back(d.migration);
      }
      for (int f : first) {
        if (in[f] && database_of(f) != db) needs.insert(graph.IdOf(f) + " (database '" + database_of(f) + "')");
      }
    }
    script.needs.assign(needs.begin(), needs.end());
    RenderSqlScript(graph, script, out);
    out << "\n";
  }
  return true;
}

ExecutorOptions ExecutorOptionsFor(const Settings& settings, const std::string& run_id) {
  ExecutorOptions o;
  o.jobs = settings.jobs;
  o.lock_timeout = settings.lock_timeout;
  o.grace = settings.shutdown_grace;
  o.run_id = run_id;
  o.history_schema = settings.history_schema;
  return o;
}

int ExitCodeOf(const Status& status) {
  switch (status.code()) {
    case Status::Code::kOk: return kExitOk;
    case Status::Code::kBadInput: return kExitBadInput;
    case Status::Code::kLockTimeout: return kExitLockTimeout;
    case Status::Code::kFailed:
    case Status::Code::kCancelled: break;
  }
  return kExitFailed;
}

}  // namespace lockstep
