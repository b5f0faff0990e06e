// apply --atomic (all or nothing across databases, with two-phase commit)
// and repair --in-doubt (what a run that died between the phases left).
#include <nlohmann/json.hpp>

#include "daemon/cli/commands.h"
#include "daemon/cli/context.h"
#include "daemon/engine/atomic.h"
#include "daemon/engine/checks.h"
#include "daemon/engine/hooks.h"
#include "daemon/exit_codes.h"

namespace lockstep {
namespace {

using nlohmann::ordered_json;

// The databases of the selection's services (every database when `wanted`
// is empty), in the global lock order.
std::vector<std::string> DatabasesOfSelection(const MigrationGraph& graph,
                                              const std::vector<bool>& wanted) {
  std::set<std::string> out;
  for (int m = 0; m < graph.size(); ++m) {
    if (wanted.empty() || wanted[m]) {
      out.insert(graph.model().services[graph.model().migrations[m].service].database);
    }
  }
  return {out.begin(), out.end()};
}

// Locks `names` in order (waiting up to lock_timeout each) and resolves what
// a run that died left prepared on each.
Status LockAndResolve(const Platform& platform, const DatabaseFactory& factory,
                      const std::vector<std::string>& names, Clock& clock,
                      std::map<std::string, std::unique_ptr<Database>>* locked,
                      std::vector<std::string>* said) {
  for (const std::string& name : names) {
    Status status;
    (*locked)[name] = OpenLocked(platform, factory, name, clock, &status);
    if (!status.ok()) return status;
    if (Status s = ResolveInDoubt(*(*locked)[name], name, factory, said); !s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace

int RunAtomic(const CommonOptions& options, const Loaded& loaded, std::vector<bool> wanted,
              std::ostream& out, Log& log) {
  const Platform& platform = *loaded.platform;
  const MigrationGraph& graph = *loaded.graph;
  if (platform.settings.lock == Settings::Lock::kLease) {
    return OkOrSay(Status::BadInput("apply --atomic needs the advisory lock (settings.lock: "
                                    "advisory): a prepared transaction does not go through a "
                                    "transaction-pooling PgBouncer's lease"),
                   log);
  }
  if (wanted.empty()) wanted.assign(graph.size(), true);
  std::string run_id = NewRunId();
  log.set_run_id(run_id);
  DatabaseFactory factory = MakeDatabases(options, platform, run_id);
  std::map<std::string, std::unique_ptr<Database>> locked;
  std::vector<std::string> said;
  Status status = LockAndResolve(platform, factory, DatabasesOfSelection(graph, wanted),
                                 *options.clock, &locked, &said);
  for (const std::string& line : said) log.info() << "lockstep: " << line << "\n";
  if (!status.ok()) return OkOrSay(status, log);
  // Under every lock: what is pending, and may it run?
  std::map<std::string, std::vector<HistoryRow>> histories;
  for (auto& [name, db] : locked) {
    if (Status s = db->ReadHistory(&histories[name]); !s.ok()) return OkOrSay(s, log);
  }
  PlatformState state = Reconcile(graph, histories);
  RunKind kind;
  if (Status s = CheckBeforeRun(graph, state, wanted, kind); !s.ok()) return OkOrSay(s, log);
  std::map<std::string, std::vector<MigrationToRun>> runs;
  std::vector<std::string> refusals, ids;
  for (int m : graph.TopologicalOrder()) {
    if (!wanted[m] || state.applied[m]) continue;
    const Migration& mig = graph.model().migrations[m];
    const Service& service = graph.model().services[mig.service];
    if (mig.no_transaction) {
      refusals.push_back(mig.up_path + ": " + graph.IdOf(m) +
                         " is no-transaction, and apply --atomic runs each database's migrations "
                         "in one transaction; apply it on its own first (lockstep apply --target " +
                         graph.IdOf(m) + ")");
      continue;
    }
    MigrationToRun run{&mig, service.name, service.schema, run_id, false};
    run.create_schema = !service.member.empty() && !service.schema.empty();
    runs[service.database].push_back(run);
    ids.push_back(graph.IdOf(m));
  }
  if (!refusals.empty()) {
    for (const std::string& r : refusals) log.error() << "lockstep: " << r << "\n";
    log.error() << "lockstep: apply --atomic: nothing was applied\n";
    return kExitBadInput;
  }
  for (const auto& [name, list] : runs) {
    std::vector<std::string> value;
    Status s = locked[name]->QueryNames("SHOW max_prepared_transactions", &value);
    if (s.ok() && (value.empty() || value[0] == "0")) {
      s = Status::BadInput("apply --atomic: database '" + name +
                           "' has max_prepared_transactions = 0, so it cannot prepare a "
                           "transaction: set it above 0 in postgresql.conf (a restart) or apply "
                           "without --atomic; nothing was applied");
    }
    if (!s.ok()) return OkOrSay(s, log);
  }
  ordered_json j{{"run_id", run_id}, {"atomic", true}, {"applied", ordered_json::array()}};
  if (runs.empty()) {
    if (options.json) {
      out << j.dump(2) << "\n";
    } else {
      out << "nothing to apply\n";
    }
    return kExitOk;
  }
  // settings.hooks as in any apply: before_apply where something is pending
  // (a failure stops the run before anything runs), after_apply once all
  // committed.
  HookRunner hooks = LoggedHooks(platform, options, run_id, log);
  auto run_hooks = [&](HookPhase phase) {
    if (!hooks) return Status::Ok();
    for (const auto& [name, list] : runs) {
      std::set<std::string> services;
      for (const MigrationToRun& r : list) services.insert(r.service);
      std::string joined;
      for (const std::string& s : services) joined += (joined.empty() ? "" : ",") + s;
      if (Status s = hooks(phase, name, joined); !s.ok()) return s;
    }
    return Status::Ok();
  };
  if (Status s = run_hooks(HookPhase::kBeforeApply); !s.ok()) {
    log.error() << "lockstep: apply --atomic: nothing was applied\n";
    return OkOrSay(s, log);
  }
  std::map<std::string, Database*> dbs;
  for (auto& [name, db] : locked) dbs[name] = db.get();
  status = ApplyAtomic(dbs, runs, run_id, factory, [&log](const std::string& line) {
    log.info() << "lockstep: " << line << "\n";
  });
  if (!status.ok()) {
    if (options.json) {
      j["error"] = status.message();
      out << j.dump(2) << "\n";
    }
    return OkOrSay(status, log);
  }
  for (auto& [name, list] : runs) {
    SchemaSnapshot live;
    Status s = locked[name]->CaptureSchema(&live);
    if (s.ok()) s = locked[name]->SaveSnapshot(live, run_id);
    if (!s.ok())
      log.warning() << "lockstep: " << name << ": no schema snapshot: " << s.message() << "\n";
  }
  for (const std::string& id : ids) {
    j["applied"].push_back(id);
    if (!options.json) out << "applied  " << id << "\n";
  }
  Status after = run_hooks(HookPhase::kAfterApply);
  if (!after.ok()) j["error"] = after.message();
  if (options.json) out << j.dump(2) << "\n";
  return after.ok() ? kExitOk : OkOrSay(after, log);
}

int RunResolveInDoubt(const CommonOptions& options, std::ostream& out, Log& log) {
  Loaded loaded = Load(options, log);
  if (!loaded.graph) return kExitBadInput;
  std::string run_id = NewRunId();
  DatabaseFactory factory = MakeDatabases(options, *loaded.platform, run_id);
  std::set<std::string> names = DatabasesOf(*loaded.platform);
  std::vector<std::string> said, failures;
  // One database at a time, each under its own lock only while it is read.
  for (const std::string& name : names) {
    Status status;
    std::unique_ptr<Database> db =
        OpenLocked(*loaded.platform, factory, name, *options.clock, &status);
    if (status.ok()) status = ResolveInDoubt(*db, name, factory, &said);
    if (!status.ok()) failures.push_back(status.message());
  }
  if (options.json) {
    out << ordered_json{{"resolved", said}, {"errors", failures}}.dump(2) << "\n";
  } else {
    for (const std::string& line : said) out << line << "\n";
    if (said.empty() && failures.empty())
      out << "no prepared transaction of lockstep is in doubt\n";
  }
  for (const std::string& f : failures) log.error() << "lockstep: " << f << "\n";
  return failures.empty() ? kExitOk : kExitFailed;
}

}  // namespace lockstep
