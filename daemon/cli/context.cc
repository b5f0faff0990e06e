#include "daemon/cli/context.h"

#include <fnmatch.h>

#include <set>

#include "adapters/postgres.h"
#include "daemon/engine/lock.h"
#include "daemon/views/render.h"
#include "daemon/views/sql_script.h"
#include "graph/suggest.h"

namespace lockstep {

namespace {

// " (did you mean 'x'?)" for a mistyped service name, or "".
std::string ServiceSuggestion(const MigrationGraph& graph, const std::string& name) {
  std::vector<std::string_view> names;
  for (const Service& service : graph.model().services) names.push_back(service.name);
  return DidYouMean(name, names);
}

}  // namespace

Status FindService(const MigrationGraph& graph, const std::string& name, const std::string& what,
                   int* service) {
  *service = graph.FindService(name);
  if (*service >= 0) return Status::Ok();
  return Status::BadInput(what + ": unknown service '" + name + "'" +
                          ServiceSuggestion(graph, name));
}

Status ServiceFilter(const MigrationGraph& graph, const std::vector<std::string>& services,
                     const std::string& database, std::vector<bool>* keep) {
  const std::vector<Service>& all = graph.model().services;
  keep->assign(all.size(), services.empty());
  for (const std::string& pattern : services) {
    bool glob = pattern.find_first_of("*?[") != std::string::npos, any = false;
    for (size_t s = 0; s < all.size(); ++s) {
      if (glob ? fnmatch(pattern.c_str(), all[s].name.c_str(), 0) == 0 : all[s].name == pattern) {
        (*keep)[s] = true;
        any = true;
      }
    }
    if (any) continue;
    if (!glob)
      return Status::BadInput("--service: unknown service '" + pattern + "'" +
                              ServiceSuggestion(graph, pattern));
    return Status::BadInput("--service: no service matches '" + pattern + "'");
  }
  if (database.empty()) return Status::Ok();
  bool known = false;
  for (size_t s = 0; s < all.size(); ++s) {
    known |= all[s].database == database;
    if (all[s].database != database) (*keep)[s] = false;
  }
  if (known) return Status::Ok();
  std::vector<std::string_view> names;
  for (const Service& service : all) names.push_back(service.database);
  return Status::BadInput("--database: no service uses a database named '" + database + "'" +
                          DidYouMean(database, names));
}

int OkOrSay(const Status& status, Log& log) {
  if (!status.ok()) log.error() << "lockstep: " << status.message() << "\n";
  return ExitCodeOf(status);
}

std::unique_ptr<Database> OpenLocked(const Platform& platform, const DatabaseFactory& factory,
                                     const std::string& name, Clock& clock, Status* status) {
  std::string error;
  std::unique_ptr<Database> db = factory(name, &error);
  *status = db ? db->Open() : Status::BadInput(error);
  if (status->ok()) *status = TakeLock(*db, name, platform.settings.lock_timeout, clock);
  if (status->ok()) *status = db->EnsureSchema();
  return status->ok() ? std::move(db) : nullptr;
}

Loaded Load(const CommonOptions& options, Log& log, bool strict) {
  Loaded loaded = LoadAndCheck(options, strict);
  LogDiagnostics(loaded.diag, options.verbose, log);
  for (const std::string& note : loaded.notes) log.info() << "lockstep: " << note << "\n";
  return loaded;
}

Status TargetsOf(const MigrationGraph& graph, const std::vector<std::string>& ids,
                 const std::string& flag, const std::vector<std::string>& services,
                 std::vector<int>* targets) {
  std::vector<std::string> errors;
  for (const std::string& id : ids) {
    std::string error;
    std::vector<int> found = graph.ResolveAll(id, &error);
    if (found.empty()) errors.push_back(flag + " " + id + ": " + error);
    targets->insert(targets->end(), found.begin(), found.end());
  }
  for (const std::string& name : services) {
    std::vector<int> copies = graph.ServicesNamed(name);
    if (copies.empty()) {
      int s = -1;
      errors.push_back(FindService(graph, name, "--service", &s).message());
      continue;
    }
    for (int s : copies) {
      for (int m : graph.Heads(s)) targets->push_back(m);
    }
  }
  if (errors.empty()) return Status::Ok();
  std::string message;  // one line each, every line a message of its own
  for (const std::string& e : errors) message += (message.empty() ? "" : "\nlockstep: ") + e;
  return Status::BadInput(message);
}

Status Select(const MigrationGraph& graph, const std::vector<std::string>& target_ids,
              const std::vector<std::string>& services, std::vector<bool>* wanted) {
  std::vector<int> targets;
  if (Status s = TargetsOf(graph, target_ids, "--target", services, &targets); !s.ok()) return s;
  if (!targets.empty()) *wanted = graph.Closure(targets);
  return Status::Ok();
}

int ReadHistoriesOrSay(const Platform& platform, const DatabaseFactory& factory,
                       std::map<std::string, std::vector<HistoryRow>>* histories, Log& log) {
  int code = kExitOk;
  for (const Status& failure : ReadHistories(platform, factory, histories)) {
    log.error() << "lockstep: " << failure.message() << "\n";
    // Configuration (an unset variable, a malformed URL) outranks a failure.
    if (code != kExitBadInput) code = ExitCodeOf(failure);
  }
  return code;
}

Status PrintSqlScripts(const Loaded& loaded, const std::vector<int>& order, bool rollback,
                       const std::string& only, std::ostream& out) {
  const MigrationGraph& graph = *loaded.graph;
  const Model& model = graph.model();
  if (!only.empty() && !loaded.platform->FindDatabase(only)) {
    return Status::BadInput("--database: unknown database '" + only + "'");
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
    script.history_schema = loaded.platform->HistorySchemaOf(db);
    script.lock_key = AdvisoryLockKey(loaded.platform->FindDatabase(db)->history_schema);
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
        if (in[f] && database_of(f) != db)
          needs.insert(graph.IdOf(f) + " (database '" + database_of(f) + "')");
      }
    }
    script.needs.assign(needs.begin(), needs.end());
    RenderSqlScript(graph, script, out);
    out << "\n";
  }
  return Status::Ok();
}

HookRunner LoggedHooks(const Platform& platform, const CommonOptions& options,
                       const std::string& run_id, Log& log) {
  return MakeHookRunner(platform, options.env, run_id,
                        [&log](const std::string& db, HookPhase phase, const std::string& output) {
                          for (const std::string& line : HookOutputLines(db, phase, output)) {
                            log.info() << line << "\n";
                          }
                        });
}

}  // namespace lockstep
