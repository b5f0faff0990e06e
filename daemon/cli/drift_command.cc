// drift: what was changed by hand on each database, and the SQL that adopts
// it as a migration (--write-migration) or undoes it (--revert-sql).
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <map>
#include <mutex>

#include <nlohmann/json.hpp>

#include "daemon/cli/commands.h"
#include "daemon/cli/context.h"
#include "daemon/cli/scratch.h"
#include "daemon/engine/drift.h"
#include "daemon/engine/drift_sql.h"
#include "daemon/engine/state.h"
#include "daemon/exit_codes.h"
#include "daemon/views/json_views.h"

namespace lockstep {
namespace {

using nlohmann::ordered_json;

std::string Statements(const DriftSql& sql) {
  std::string out;
  for (const std::string& s : sql.statements) out += s + "\n\n";
  return out;
}

// "-- <prefix>: <note>" lines.
std::string NoteLines(const std::vector<std::string>& notes, const std::string& prefix) {
  std::string out;
  for (const std::string& n : notes) out += "-- " + prefix + ": " + n + "\n";
  return out;
}

std::string Differences(size_t n) {
  return std::to_string(n) + (n == 1 ? " difference" : " differences");
}

// Says what a database's check found, for a database that was not checked.
bool SayUnchecked(const DatabaseDrift& d, std::ostream& out) {
  switch (d.state) {
    case DatabaseDrift::State::kNoSnapshot:
      out << "database " << d.database
          << ": no schema snapshot yet (nothing applied by this lockstep); run lockstep apply\n";
      return true;
    case DatabaseDrift::State::kBusy:
    case DatabaseDrift::State::kUnreachable:
      out << "database " << d.database << ": not checked: " << d.error << "\n";
      return true;
    case DatabaseDrift::State::kChecked:
      break;
  }
  return false;
}

void PrintDrift(const DatabaseDrift& d, std::ostream& out) {
  if (SayUnchecked(d, out)) return;
  if (d.items.empty()) {
    out << "database " << d.database << ": no drift\n";
    return;
  }
  out << "database " << d.database << ": " << Differences(d.items.size())
      << " from the schema its migrations made\n";
  if (d.expected_built) {
    out << "  (no stored snapshot: compared with its recorded migrations applied to a scratch "
           "database)\n";
  }
  for (const DriftItem& i : d.items) {
    out << "  " << std::left << std::setw(8) << KindName(i.kind) << " " << i.object << "\n";
    if (!i.before.empty()) out << "           was: " << i.before << "\n";
    if (!i.after.empty()) out << "           now: " << i.after << "\n";
  }
}

// The SQL that takes each drifted database back to its snapshot, for a
// person to read and run: one transaction per database.
void PrintRevertSql(const DatabaseDrift& d, std::ostream& out) {
  std::ostringstream unchecked;
  if (SayUnchecked(d, unchecked)) {
    out << "-- " << unchecked.str();
    return;
  }
  if (d.items.empty()) {
    out << "-- database " << d.database << ": no drift\n";
    return;
  }
  DriftSql sql = SqlToTurn(d.live, d.stored);
  out << "-- database " << d.database << ": " << Differences(d.items.size())
      << " from the schema its migrations made.\n"
      << "-- This takes it back to that schema. Read it, then run it against " << d.database
      << " (psql -f FILE: it holds its own BEGIN and COMMIT).\n"
      << NoteLines(sql.losses, "may lose data")
      << NoteLines(sql.inexpressible, "not undone, do it by hand") << "BEGIN;\n\n"
      << Statements(sql) << "COMMIT;\n";
}

ordered_json RevertJson(const DatabaseDrift& d) {
  DriftSql sql = d.items.empty() ? DriftSql{} : SqlToTurn(d.live, d.stored);
  return {{"database", d.database},        {"checked", d.state == DatabaseDrift::State::kChecked},
          {"differences", d.items.size()}, {"statements", sql.statements},
          {"may_lose_data", sql.losses},   {"cannot_express", sql.inexpressible}};
}

std::string Today() {
  std::time_t t = std::time(nullptr);
  char buffer[16];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d", std::gmtime(&t));
  return buffer;
}

// By migration: recorded applied (or baselined) in `rows`, the history of
// `database`.
std::vector<bool> AppliedOn(const MigrationGraph& graph, const std::string& database,
                            std::vector<HistoryRow> rows) {
  std::map<std::string, std::vector<HistoryRow>> histories;
  histories[database] = std::move(rows);
  return Reconcile(graph, histories).applied;
}

// True when every migration of service copy `copy` is applied; else names
// the first that is not.
bool AllApplied(const MigrationGraph& graph, int copy, const std::vector<bool>& applied,
                std::string* first_pending) {
  for (int m : graph.MigrationsOf(copy)) {
    if (!applied[m]) {
      *first_pending = graph.IdOf(m);
      return false;
    }
  }
  return true;
}

// The schema `database` should have by its history (a database baselined,
// applied with plan --sql, or older than lockstep has no stored snapshot):
// its `applied` migrations, in graph order, on a scratch database.
Status BuildExpected(const MigrationGraph& graph, ScratchDatabases& scratch,
                     const std::string& database, const std::vector<bool>& applied,
                     SchemaSnapshot* expected) {
  std::ostream discard(nullptr);
  if (Status s = scratch.Make(database, discard); !s.ok()) return s;
  Database& target = scratch.of(database);
  for (int m : graph.TopologicalOrder()) {
    const Migration& mig = graph.model().migrations[m];
    const Service& service = graph.model().services[mig.service];
    if (service.database != database || !applied[m]) continue;
    MigrationToRun run{&mig, service.name, service.schema, scratch.run_id(), false};
    run.create_schema = !service.member.empty() && !service.schema.empty();
    Status s = target.Apply(run);
    if (!s.ok()) {
      return s.WithMessage(
          "no stored snapshot, and its migrations do not build on a scratch "
          "database: " +
          s.message());
    }
  }
  return target.CaptureSchema(expected);
}

// drift --write-migration SERVICE: the next migration of SERVICE turns the
// snapshot's schema into the live one; it is recorded as a baseline where
// the change already is, and the live schema becomes the snapshot.
int WriteMigration(const CommonOptions& options, const std::string& name, std::ostream& out,
                   Log& log) {
  Loaded loaded = Load(options, log);
  if (!loaded.graph) return kExitBadInput;
  const MigrationGraph& graph = *loaded.graph;
  std::vector<int> copies = graph.ServicesNamed(name);
  if (copies.empty()) {
    std::vector<bool> keep;
    return OkOrSay(ServiceFilter(graph, {name}, "", &keep), log);
  }
  if (copies.size() > 1) {
    log.error() << "lockstep: drift --write-migration: " << name << " is on a database set ("
                << copies.size() << " members), each with its own drift: name the member to "
                << "adopt from, e.g. --write-migration " << graph.model().services[copies[0]].key()
                << "\n";
    return kExitBadInput;
  }
  const Service& service = graph.model().services[copies[0]];
  if (!service.member.empty() && !service.schema.empty()) {
    log.error() << "lockstep: drift --write-migration: " << service.key() << " lives in schema "
                << service.schema
                << " of a shared database, and the SQL would name that member's schema, "
                   "wrong for every other member: use lockstep drift --revert-sql, or write "
                   "the migration by hand (lockstep new "
                << service.name << " adopt_drift)\n";
    return kExitBadInput;
  }
  int written = -1;
  if (Status s = FindService(loaded.written_graph(), service.name, "drift", &written); !s.ok()) {
    return OkOrSay(s, log);
  }
  std::string run_id = NewRunId();
  DatabaseFactory factory = MakeDatabases(options, *loaded.platform, run_id);
  Status status;
  std::unique_ptr<Database> db =
      OpenLocked(*loaded.platform, factory, service.database, *options.clock, &status);
  if (!db) return OkOrSay(status, log);
  std::vector<HistoryRow> rows;
  SchemaSnapshot stored, live;
  bool found = false;
  status = db->ReadHistory(&rows);
  if (status.ok()) status = db->LoadSnapshot(&stored, &found);
  if (status.ok()) status = db->CaptureSchema(&live);
  if (!status.ok()) return OkOrSay(status, log);
  std::vector<bool> applied = AppliedOn(graph, service.database, std::move(rows));
  std::string pending;
  if (!AllApplied(graph, copies[0], applied, &pending)) {
    log.error() << "lockstep: drift --write-migration: " << pending << " is not applied on "
                << service.database << ": apply " << service.name
                << "'s migrations first (lockstep apply --service " << service.name
                << "), then adopt what is left as drift\n";
    return kExitFailed;
  }
  ScratchDatabases scratch(*loaded.platform, options, "", false, "drift");
  if (!found) status = BuildExpected(graph, scratch, service.database, applied, &stored);
  if (!status.ok()) return OkOrSay(status, log);
  std::vector<DriftItem> items = Diff(stored, live);
  if (items.empty()) {
    if (options.json) {
      out << ordered_json{{"database", service.database}, {"differences", 0}}.dump(2) << "\n";
    } else {
      out << "database " << service.database << ": no drift; nothing to adopt\n";
    }
    return kExitOk;
  }
  DriftSql up = SqlToTurn(stored, live), down = SqlToTurn(live, stored);
  if (!up.inexpressible.empty()) {
    log.error() << "lockstep: drift --write-migration: nothing written: lockstep cannot express "
                   "all of the drift on "
                << service.database << " as SQL:\n";
    for (const std::string& n : up.inexpressible) log.error() << "  " << n << "\n";
    log.error() << "Write that migration by hand (lockstep new " << service.name
                << " adopt_drift), apply it where it is missing and record it here with "
                   "lockstep baseline\n";
    return kExitDrift;
  }
  const std::string stem = "adopt_drift";
  std::string version = NextVersion(loaded.written_graph(), written);
  std::string up_text =
      "-- " + stem + ": adopts what was changed by hand on database " + service.database +
      ",\n-- as lockstep drift found it on " + Today() + " (" + Differences(items.size()) +
      "). Recorded as applied (a baseline) on " + service.database +
      ",\n-- where the change already is; elsewhere it applies like any migration.\n" +
      NoteLines(up.losses, "may lose data where it runs") + "\n" + Statements(up);
  std::string down_text =
      "-- Undo " + stem + ": takes the schema back to what the migrations before it made.\n" +
      NoteLines(down.losses, "may lose data") +
      NoteLines(down.inexpressible, "not undone, do it by hand") + "\n" + Statements(down);
  std::ostringstream paths;
  const Service& folder = loaded.written_platform().model.services[written];
  std::string up_path, down_path;
  if (int code = WritePair(folder, version, stem, up_text, down_text, false, paths, log, &up_path,
                           &down_path)) {
    return code;
  }
  // Recorded from the files as loaded, checksum and all; a failure leaves
  // no files behind, so that a second try starts clean.
  auto undo = [&](const std::string& why) {
    std::error_code ignored;
    std::filesystem::remove(up_path, ignored);
    std::filesystem::remove(down_path, ignored);
    log.error() << "lockstep: drift --write-migration: " << why << "; nothing was written\n";
    return kExitFailed;
  };
  Loaded again = LoadAndCheck(options, false);
  std::string error;
  int m = again.graph ? again.graph->Resolve(service.key() + ":" + version, &error) : -1;
  if (m < 0) return undo("the new migration does not load: " + error);
  status = db->RecordBaseline({BaselineRow(*again.graph, m, run_id,
                                           "lockstep drift "
                                           "--write-migration")});
  if (status.ok()) status = db->SaveSnapshot(live, run_id);
  if (!status.ok()) return undo(status.message());
  db->Unlock();
  std::string id = again.graph->IdOf(m);
  if (options.json) {
    out << ordered_json{{"migration", id},
                        {"database", service.database},
                        {"differences", items.size()},
                        {"up", up_path},
                        {"down", down_path},
                        {"statements", up.statements.size()},
                        {"may_lose_data", up.losses},
                        {"recorded", "baseline"}}
               .dump(2)
        << "\n";
    return kExitOk;
  }
  out << paths.str() << id << ": adopts " << Differences(items.size()) << " on " << service.database
      << " (" << up.statements.size() << (up.statements.size() == 1 ? " statement" : " statements")
      << "); recorded as a baseline there. Review it, commit it, and apply it elsewhere.\n";
  for (const std::string& n : down.inexpressible) {
    out << "note: the down file cannot undo this: " << n << "\n";
  }
  return kExitOk;
}

}  // namespace

int RunDrift(const CommonOptions& options, const DriftOptions& drift_options, std::ostream& out,
             Log& log) {
  if (!drift_options.write_migration.empty()) {
    if (drift_options.revert_sql) {
      return OkOrSay(Status::BadInput("drift: --write-migration adopts the drift and "
                                      "--revert-sql undoes it: give one of them"),
                     log);
    }
    return WriteMigration(options, drift_options.write_migration, out, log);
  }
  Loaded loaded = Load(options, log);
  if (!loaded.graph) return kExitBadInput;
  std::set<std::string> names = DatabasesOf(*loaded.platform);
  // Databases without a stored snapshot are compared with their migrations
  // applied to scratch databases, one at a time.
  ScratchDatabases scratch(*loaded.platform, options, "", false, "drift");
  std::mutex scratch_mu;
  CheckDriftOptions check;
  check.keep_snapshots = drift_options.revert_sql;
  check.expected_without_snapshot = [&](Database& db, const std::string& database,
                                        SchemaSnapshot* expected) {
    std::vector<HistoryRow> rows;
    if (Status s = db.ReadHistory(&rows); !s.ok()) return s;
    std::vector<bool> applied = AppliedOn(*loaded.graph, database, std::move(rows));
    std::lock_guard<std::mutex> lock(scratch_mu);
    return BuildExpected(*loaded.graph, scratch, database, applied, expected);
  };
  std::vector<DatabaseDrift> drift =
      CheckDrift({names.begin(), names.end()}, MakeDatabases(options, *loaded.platform, NewRunId()),
                 loaded.platform->settings.max_connections, check);
  bool found = false, unreachable = false, misconfigured = false;
  ordered_json reverts = ordered_json::array();
  for (const DatabaseDrift& d : drift) {
    found |= !d.items.empty();
    misconfigured |= d.misconfigured;
    unreachable |= d.state == DatabaseDrift::State::kUnreachable;
    if (drift_options.revert_sql && options.json) {
      reverts.push_back(RevertJson(d));
    } else if (drift_options.revert_sql) {
      PrintRevertSql(d, out);
    } else if (!options.json) {
      PrintDrift(d, out);
    }
  }
  if (options.json) {
    out << (drift_options.revert_sql ? ordered_json{{"databases", reverts}} : DriftJson(drift))
               .dump(2)
        << "\n";
  }
  if (misconfigured) return kExitBadInput;
  if (found) return kExitDrift;
  return unreachable ? kExitFailed : kExitOk;
}

}  // namespace lockstep
