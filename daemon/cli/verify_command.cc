// lockstep verify: does every down migration undo its up? On scratch
// databases made for the purpose, each migration in graph order goes up,
// down, and up again, and the catalog is compared at each step.
#include <set>

#include "adapters/postgres.h"
#include "daemon/cli/commands.h"
#include "daemon/engine/drift.h"
#include "daemon/exit_codes.h"
#include "daemon/cli/context.h"
#include "manifests/loader.h"

namespace lockstep {
namespace {

std::string Describe(const std::vector<DriftItem>& items) {
  std::string out;
  for (const DriftItem& i : items) {
    out += "\n      " + std::string(KindName(i.kind)) + " " + i.object;
    if (!i.before.empty() && !i.after.empty()) out += ": was " + i.before + ", now " + i.after;
  }
  return out;
}

}  // namespace

int RunVerify(const CommonOptions& options, const VerifyOptions& verify, std::ostream& out,
              Log& log) {
  Loaded loaded = Load(options, log);
  if (!loaded.graph) return kExitBadInput;
  const MigrationGraph& graph = *loaded.graph;
  const Model& model = graph.model();
  const Platform& platform = *loaded.platform;
  std::vector<bool> wanted;
  std::vector<std::string> services;
  if (!verify.service.empty()) services.push_back(verify.service);
  if (!Select(graph, {}, services, &wanted, log)) return kExitBadInput;

  std::set<std::string> databases;
  for (int m = 0; m < graph.size(); ++m) {
    if (wanted.empty() || wanted[m]) databases.insert(model.services[model.migrations[m].service].database);
  }
  // One scratch database per logical database, on the same server (or the
  // one --scratch-url names), dropped at the end.
  std::string run_id = NewRunId();
  std::map<std::string, std::unique_ptr<Database>> scratch, admin;
  std::map<std::string, std::string> scratch_name;
  auto open = [&](const std::string& url, const std::string& db) {
    PostgresOptions o;
    o.url = url;
    o.database = db;
    o.history_schema = platform.settings.history_schema;
    o.run_id = run_id;
    o.applied_by = "lockstep verify";
    o.lockstep_version = "verify";
    return NewPostgresDatabase(std::move(o));
  };
  auto cleanup = [&] {
    scratch.clear();  // disconnect first
    for (auto& [db, a] : admin) {
      if (!verify.keep) a->Execute("DROP DATABASE IF EXISTS \"" + scratch_name[db] + "\" WITH (FORCE)");
    }
  };
  for (const std::string& db : databases) {
    std::string url, error;
    if (!verify.scratch_url.empty()) {
      url = verify.scratch_url;
    } else if (!ResolveDatabaseUrl(platform, *platform.FindDatabase(db), options.env, &url, &error)) {
      log.error() << "lockstep: verify: " << error << "\n";
      cleanup();
      return kExitBadInput;
    }
    scratch_name[db] = "lockstep_verify_" + run_id + "_" + db;
    for (char& c : scratch_name[db]) {
      if (c == '-') c = '_';
    }
    admin[db] = open(url, db);
    Status s = admin[db]->Open();
    if (s.ok()) s = admin[db]->Execute("CREATE DATABASE \"" + scratch_name[db] + "\"");
    if (s.ok()) {
      scratch[db] = open(WithDatabaseName(url, scratch_name[db]), db + " (scratch)");
      s = scratch[db]->Open();
    }
    if (s.ok()) s = scratch[db]->EnsureSchema();
    if (!s.ok()) {
      log.error() << "lockstep: verify: cannot make a scratch database for '" << db << "': "
                  << s.message() << "\n";
      cleanup();
      return ExitCodeOf(s);
    }
    out << "scratch database " << scratch_name[db] << " for " << db << "\n";
  }

  int problems = 0, checked = 0;
  for (int m : graph.TopologicalOrder()) {
    if (!wanted.empty() && !wanted[m]) continue;
    const Migration& mig = model.migrations[m];
    const Service& service = model.services[mig.service];
    Database& db = *scratch[service.database];
    MigrationToRun up{&mig, service.name, service.schema, run_id, false};
    MigrationToRun down = up;
    down.down = true;
    SchemaSnapshot before, after_up, after_down, again;
    Status s = db.CaptureSchema(&before);
    if (s.ok()) s = db.Apply(up);
    if (s.ok()) s = db.CaptureSchema(&after_up);
    if (!s.ok()) {
      out << "FAIL  " << graph.IdOf(m) << ": up failed: " << s.message() << "\n";
      ++problems;
      break;  // everything after it needs it
    }
    ++checked;
    if (mig.down_path.empty() || mig.down_empty) {
      out << "skip  " << graph.IdOf(m) << ": "
          << (mig.down_path.empty() ? "no down file" : "empty down file (irreversible)") << "\n";
      continue;
    }
    if (!mig.down_problems.empty()) {
      out << "FAIL  " << graph.IdOf(m) << ": its down file cannot run:";
      for (const std::string& p : mig.down_problems) out << "\n    " << p;
      out << "\n";
      ++problems;
      continue;
    }
    s = db.Apply(down);
    if (s.ok()) s = db.CaptureSchema(&after_down);
    if (!s.ok()) {
      out << "FAIL  " << graph.IdOf(m) << ": down failed: " << s.message() << "\n";
      ++problems;
      break;
    }
    std::vector<DriftItem> left = Diff(before, after_down);
    s = db.Apply(up);
    if (s.ok()) s = db.CaptureSchema(&again);
    std::vector<DriftItem> changed = s.ok() ? Diff(after_up, again) : std::vector<DriftItem>{};
    if (left.empty() && changed.empty() && s.ok()) {
      out << "ok    " << graph.IdOf(m) << "\n";
      continue;
    }
    ++problems;
    out << "FAIL  " << graph.IdOf(m) << " " << mig.name << ": its down does not undo its up ("
        << mig.down_path << ")";
    if (!left.empty()) out << "\n    left behind by the down:" << Describe(left);
    if (!s.ok()) out << "\n    up again failed: " << s.message();
    if (!changed.empty()) out << "\n    up again made a different schema:" << Describe(changed);
    out << "\n";
    if (!s.ok()) break;
  }
  cleanup();
  out << "verify: " << checked << " migrations checked, " << problems
      << (problems == 1 ? " problem" : " problems") << "\n";
  return problems == 0 ? kExitOk : kExitDrift;
}

}  // namespace lockstep
