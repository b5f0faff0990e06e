#include "daemon/engine/loaded.h"

#include "daemon/engine/databases.h"
#include "manifests/loader.h"
#include "manifests/tenants.h"

namespace lockstep {

std::string ConfigPath(const std::string& flag, const Environment& env) {
  if (!flag.empty()) return flag;
  if (auto value = env("LOCKSTEP_CONFIG"); value && !value->empty()) return *value;
  return "lockstep.yaml";
}

namespace {

bool HasSets(const Platform& platform) {
  for (const DatabaseConfig& db : platform.databases) {
    if (db.is_set()) return true;
  }
  return false;
}

// Runs a set's query on its (plain) database, through the databases of
// `options` (a fake in tests). A table that is not there yet (SQLSTATE
// 42P01: the first deploy, before the migration that makes it) holds no
// tenant: no member, and a line in *notes.
TenantQuery QueryThrough(const CommonOptions& options, const Platform& platform,
                         std::vector<std::string>* notes) {
  return [&options, &platform, notes](const DatabaseConfig& set, std::vector<std::string>* names,
                                      std::string* error) {
    DatabaseFactory factory = MakeDatabases(options, platform, "tenants-" + NewRunId());
    std::unique_ptr<Database> db = factory(set.tenants.database, error);
    if (!db) return false;
    Status status = db->Open();
    if (status.ok()) status = db->QueryNames(set.tenants.query, names);
    if (!status.ok() && status.message().find("(SQLSTATE 42P01)") != std::string::npos) {
      notes->push_back("database set '" + set.name + "': no members this time: " +
                       status.message() + " (a table a migration has yet to make holds none)");
      names->clear();
      return true;
    }
    if (!status.ok()) *error = status.message();
    return status.ok();
  };
}

// Expands the sets of loaded->platform, keeping it as written in
// loaded->templates.
void Expand(const CommonOptions& options, Loaded* loaded) {
  auto templates = std::make_unique<Loaded::Templates>();
  templates->platform = std::move(loaded->platform);
  templates->graph = std::move(loaded->graph);
  loaded->graph.reset();
  const Platform& written = *templates->platform;
  TenantQuery query;
  if (options.read_tenant_queries) query = QueryThrough(options, written, &loaded->notes);
  Members members = ReadMembers(written, query, &loaded->diag, &loaded->unread_sets);
  SelectMembers(options.tenants, &members, &loaded->diag);
  if (!loaded->diag.has_errors()) {
    loaded->platform = std::make_unique<Platform>(ExpandSets(written, members, &loaded->diag));
  }
  if (!loaded->diag.has_errors()) {
    // Checked as written already; the copies only repeat its warnings.
    Diagnostics copies;
    MigrationGraph graph = MigrationGraph::Build(loaded->platform->model, &copies);
    if (copies.has_errors()) {
      for (const Diagnostic& d : copies.all()) {
        if (d.severity == Diagnostic::Severity::kError) {
          loaded->diag.Error(d.file, d.line, d.message, d.column);
        }
      }
    } else {
      loaded->graph.emplace(std::move(graph));
    }
  }
  if (!loaded->platform) {
    loaded->platform = std::make_unique<Platform>(*templates->platform);
  }
  loaded->templates = std::move(templates);
}

}  // namespace

Loaded LoadAndCheck(const CommonOptions& options, bool strict) {
  Loaded loaded;
  loaded.platform =
      std::make_unique<Platform>(LoadPlatform(ConfigPath(options.config_path, options.env),
                                              options.env, &loaded.diag, options.keep_statements));
  if (!loaded.diag.has_errors()) {
    MigrationGraph graph = MigrationGraph::Build(loaded.platform->model, &loaded.diag);
    if (strict) loaded.diag.MakeWarningsErrors();
    if (!loaded.diag.has_errors()) loaded.graph.emplace(std::move(graph));
  } else if (strict) {
    loaded.diag.MakeWarningsErrors();
  }
  if (loaded.graph && HasSets(*loaded.platform)) {
    Expand(options, &loaded);
  } else if (!options.tenants.empty() && !loaded.diag.has_errors()) {
    loaded.diag.Error("", 0,
                      "--tenant: " + loaded.platform->config_path +
                          " defines no database set (a 'databases:' entry with 'tenants:')");
  }
  return loaded;
}

}  // namespace lockstep
