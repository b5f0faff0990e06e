// The history of a database set by hand: baseline (and imports from other
// tools) and repair.
#include <algorithm>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "daemon/cli/commands.h"
#include "daemon/cli/context.h"
#include "daemon/engine/state.h"
#include "daemon/exit_codes.h"

namespace lockstep {
namespace {

using nlohmann::ordered_json;

std::string DatabaseOfService(const Model& model, int service) {
  return model.services[service].database;
}

// Matches another tool's history entries to lockstep migrations of the
// services on one database. Returns the migrations to record; fills the
// report's lines.
std::vector<int> MatchForeign(const MigrationGraph& graph, const std::string& tool,
                              const std::vector<std::string>& entries,
                              const std::vector<int>& services, std::vector<std::string>* matched,
                              std::vector<std::string>* unmatched, std::string* error) {
  const Model& model = graph.model();
  std::set<int> out;
  auto by_version = [&](const std::string& text, bool and_older) {
    std::optional<Version> v = Version::Parse(text);
    std::vector<int> hits;
    for (int s : services) {
      for (int m : graph.MigrationsOf(s)) {
        const Version& mv = model.migrations[m].version;
        if (v && (and_older ? !(*v < mv) : mv == *v)) hits.push_back(m);
      }
    }
    return hits;
  };
  // sqitch names changes: the migration's name must be the change's name.
  // alembic names revisions by id: the name is the id, or starts with it
  // ("10967fd178d8_add_users"). Never a substring: "users" must not match
  // "users_phone".
  auto by_name = [&](const std::string& text) {
    std::vector<int> hits;
    for (int s : services) {
      for (int m : graph.MigrationsOf(s)) {
        const std::string& name = model.migrations[m].name;
        if (name == text || (tool == "alembic" && name.rfind(text + "_", 0) == 0))
          hits.push_back(m);
      }
    }
    return hits;
  };
  for (const std::string& entry : entries) {
    std::vector<int> hits;
    if (tool == "golang-migrate") {
      if (entry.rfind("dirty:", 0) == 0) {
        *error = "golang-migrate marks version " + entry.substr(6) +
                 " dirty: a migration failed half-way; fix it with golang-migrate first";
        return {};
      }
      hits = by_version(entry, /*and_older=*/true);
    } else if (tool == "flyway" || tool == "dbmate") {
      hits = by_version(entry, false);
    } else {  // alembic revisions and sqitch changes are names, not versions
      hits = by_name(entry);
      if (tool == "alembic" && hits.size() == 1) {
        std::vector<bool> ancestors = graph.Closure(hits);
        for (int m = 0; m < graph.size(); ++m) {
          if (ancestors[m] && model.migrations[m].service == model.migrations[hits[0]].service) {
            out.insert(m);
          }
        }
      }
    }
    std::set<int> services_hit;
    for (int m : hits) services_hit.insert(model.migrations[m].service);
    bool ambiguous = services_hit.size() > 1;
    if (hits.empty() || ambiguous) {
      unmatched->push_back(entry + (ambiguous ? " (matches several services; pass --service)"
                                              : " (no lockstep migration matches)"));
      continue;
    }
    std::string ids;
    for (int m : hits) {
      out.insert(m);
      if (hits.size() <= 3) ids += (ids.empty() ? "" : ", ") + graph.IdOf(m);
    }
    if (hits.size() > 3) ids = graph.IdOf(hits.front()) + " .. " + graph.IdOf(hits.back());
    matched->push_back(entry + " -> " + ids);
  }
  return {out.begin(), out.end()};
}

}  // namespace

namespace {

// What --service S --version V records: V and what it needs, of S.
Status VersionSelection(const MigrationGraph& graph, const BaselineOptions& baseline, int service,
                        std::map<std::string, std::vector<int>>* record) {
  std::string error;
  int target = graph.Resolve(baseline.service + ":" + baseline.version, &error);
  if (target < 0) return Status::BadInput("baseline: " + error);
  std::vector<bool> before = graph.Closure({target});
  for (int m : graph.MigrationsOf(service)) {
    if (before[m]) (*record)[DatabaseOfService(graph.model(), service)].push_back(m);
  }
  return Status::Ok();
}

// Reads `tool`'s history in `db` and matches it; prints the report. Sets
// *refusal when it cannot be taken as it is (an entry matches nothing, a dirty
// golang-migrate version): then nothing may be recorded anywhere. A Status
// that is not ok is a failure to read.
Status Import(Database& db, const MigrationGraph& graph, const std::string& tool,
              const std::string& database, const std::vector<int>& services,
              std::vector<int>* record, std::string* refusal, nlohmann::ordered_json* report,
              std::ostream& out) {
  std::vector<std::string> entries, matched, unmatched;
  bool found = false;
  if (Status s = db.ReadForeignHistory(tool, &entries, &found); !s.ok()) return s;
  if (!found) {
    out << "database " << database << ": no " << tool << " history table\n";
    (*report)["imports"].push_back({{"database", database}, {"tool", tool}, {"found", false}});
    return Status::Ok();
  }
  std::string error;
  *record = MatchForeign(graph, tool, entries, services, &matched, &unmatched, &error);
  if (!error.empty()) {
    *refusal = "database " + database + ": " + error;
    return Status::Ok();
  }
  out << "database " << database << ": " << entries.size() << " " << tool << " entries, "
      << matched.size() << " matched, " << unmatched.size() << " not\n";
  for (const std::string& line : matched) out << "  matched    " << line << "\n";
  for (const std::string& line : unmatched) out << "  unmatched  " << line << "\n";
  (*report)["imports"].push_back({{"database", database},
                                  {"tool", tool},
                                  {"found", true},
                                  {"entries", entries.size()},
                                  {"matched", matched},
                                  {"unmatched", unmatched}});
  if (!unmatched.empty()) {
    *refusal = "database " + database + ": " + Count(unmatched.size(), "entry", "entries") +
               " of " + tool + " match no lockstep migration";
  }
  return Status::Ok();
}

// Records `migrations` as baseline rows in `db`, those already recorded left
// as they are.
Status Record(Database& db, const MigrationGraph& graph, const std::vector<int>& migrations,
              const std::string& run_id, const std::string& source, nlohmann::ordered_json* report,
              std::ostream& out) {
  std::vector<HistoryRow> existing;
  if (Status s = db.ReadHistory(&existing); !s.ok()) return s;
  std::set<std::string> have;
  for (const HistoryRow& r : existing) have.insert(r.service + ":" + r.version);
  std::vector<HistoryRow> rows;
  for (int m : migrations) {
    if (have.count(graph.IdOf(m))) {
      out << "  already recorded  " << graph.IdOf(m) << "\n";
      (*report)["already_recorded"].push_back(graph.IdOf(m));
      continue;
    }
    rows.push_back(BaselineRow(graph, m, run_id, source));
    out << "  baseline  " << graph.IdOf(m) << "  " << graph.model().migrations[m].name << "\n";
    (*report)["recorded"].push_back(graph.IdOf(m));
  }
  if (Status s = db.RecordBaseline(rows); !s.ok()) return s;
  return db.Unlock();
}

}  // namespace

HistoryRow BaselineRow(const MigrationGraph& graph, int m, const std::string& run_id,
                       const std::string& source) {
  const Migration& mig = graph.model().migrations[m];
  HistoryRow row;
  row.service = graph.model().services[mig.service].name;
  row.version = mig.version.text();
  row.name = mig.name;
  row.checksum = mig.checksum.hex();
  row.run_id = run_id;
  row.applied_by = source;  // recorded as the event's detail
  return row;
}

int RunBaseline(const CommonOptions& options, const BaselineOptions& baseline, std::ostream& out,
                Log& log) {
  const std::string& tool = baseline.import_tool;
  if (tool.empty() == (baseline.service.empty() || baseline.version.empty())) {
    return OkOrSay(Status::BadInput("baseline: give --service S --version V, or --import TOOL "
                                    "[--service S]"),
                   log);
  }
  Loaded loaded = Load(options, log);
  if (!loaded.graph) return kExitBadInput;
  const MigrationGraph& graph = *loaded.graph;
  int service = -1;
  if (!baseline.service.empty()) {
    if (Status s = FindService(graph, baseline.service, "baseline", &service); !s.ok()) {
      return OkOrSay(s, log);
    }
  }
  std::map<std::string, std::vector<int>> record, services_of;  // by database
  for (int s = 0; s < static_cast<int>(graph.model().services.size()); ++s) {
    if (service < 0 || s == service) services_of[DatabaseOfService(graph.model(), s)].push_back(s);
  }
  if (tool.empty()) {
    if (Status s = VersionSelection(graph, baseline, service, &record); !s.ok())
      return OkOrSay(s, log);
  }
  std::string run_id = NewRunId();
  DatabaseFactory factory = MakeDatabases(options, *loaded.platform, run_id);
  // Everything is read and matched under every lock first (databases in name
  // order, as the executor takes them); only when all of it matched is
  // anything recorded, so that a refused import leaves no partial state.
  std::map<std::string, std::unique_ptr<Database>> locked;
  bool all_matched = true;
  // With --json, the lines go nowhere and the report to stdout.
  nlohmann::ordered_json report{{"imports", nlohmann::ordered_json::array()},
                                {"recorded", nlohmann::ordered_json::array()},
                                {"already_recorded", nlohmann::ordered_json::array()}};
  std::ostream discard(nullptr);
  std::ostream& text = options.json ? discard : out;
  for (const auto& [database, services] : services_of) {
    if (tool.empty() && !record.count(database)) continue;
    Status status;
    std::string refusal;
    locked[database] = OpenLocked(*loaded.platform, factory, database, *options.clock, &status);
    if (status.ok() && !tool.empty()) {
      status = Import(*locked[database], graph, tool, database, services, &record[database],
                      &refusal, &report, text);
    }
    if (!status.ok()) return OkOrSay(status, log);
    if (!refusal.empty()) {
      log.error() << "lockstep: " << refusal << "\n";
      all_matched = false;  // read and report every database before refusing
    }
  }
  if (!all_matched) {
    log.error() << "lockstep: baseline: nothing was recorded: every entry must match a lockstep "
                   "migration (fix the files or pass --service), or record by hand with "
                   "--service S --version V\n";
    if (options.json) out << report.dump(2) << "\n";
    return kExitFailed;
  }
  std::string source = tool.empty() ? "lockstep baseline" : "imported from " + tool;
  for (auto& [database, db] : locked) {
    Status s = Record(*db, graph, record[database], run_id, source, &report, text);
    if (!s.ok()) return OkOrSay(s, log);
  }
  if (options.json) out << report.dump(2) << "\n";
  return kExitOk;
}

namespace {

// repair --checksum: the applied row of --version takes its file's checksum
// now; refused when the row is not applied or the file is unchanged.
int AcceptChecksum(const MigrationGraph& graph, int service, const RepairOptions& repair,
                   const std::string& run_id, const std::vector<HistoryRow>& rows, Database& db,
                   bool json, std::ostream& out, Log& log) {
  std::string error;
  int m = graph.Resolve(graph.model().services[service].key() + ":" + repair.version, &error);
  if (m < 0) {
    log.error() << "lockstep: repair --checksum: " << error << "\n";
    return kExitBadInput;
  }
  const Migration& mig = graph.model().migrations[m];
  const HistoryRow* row = nullptr;
  for (const HistoryRow& r : rows) {
    if (r.service == repair.service && Version::Parse(r.version) == mig.version) row = &r;
  }
  if (!row || (row->status != "applied" && row->status != "baseline")) {
    log.error() << "lockstep: repair --checksum: " << graph.IdOf(m) << " is "
                << (row ? "recorded " + row->status : std::string("not applied"))
                << "; only an applied migration's checksum can be accepted\n";
    return kExitBadInput;
  }
  const std::string checksum = mig.checksum.hex();
  if (row->checksum == checksum) {
    if (json) {
      out << nlohmann::ordered_json{{"migration", graph.IdOf(m)}, {"action", "none"}}.dump(2)
          << "\n";
    } else {
      out << graph.IdOf(m) << ": the file matches its recorded checksum; nothing to accept\n";
    }
    return kExitOk;
  }
  if (Status s = db.AcceptChecksum(row->service, row->version, checksum, run_id); !s.ok()) {
    log.error() << "lockstep: " << s.message() << "\n";
    return ExitCodeOf(s);
  }
  db.Unlock();
  if (json) {
    out << nlohmann::ordered_json{{"migration", graph.IdOf(m)},
                                  {"action", "checksum accepted"},
                                  {"old_checksum", row->checksum},
                                  {"new_checksum", checksum}}
               .dump(2)
        << "\n";
  } else {
    out << graph.IdOf(m) << " " << mig.name << ": checksum accepted (" << row->checksum.substr(0, 8)
        << " -> " << checksum.substr(0, 8) << "), recorded as a repair event\n";
  }
  return kExitOk;
}

}  // namespace

int RunRepair(const CommonOptions& options, const RepairOptions& repair, std::ostream& out,
              Log& log) {
  if (repair.in_doubt) {
    if (!repair.service.empty() || repair.forget || repair.mark_applied || repair.checksum) {
      return OkOrSay(Status::BadInput("repair --in-doubt looks at every database: give it alone"),
                     log);
    }
    return RunResolveInDoubt(options, out, log);
  }
  if (repair.service.empty()) {
    log.error() << "lockstep: repair: name the service with --service (or give --in-doubt)\n";
    return kExitBadInput;
  }
  if (int(repair.forget) + int(repair.mark_applied) + int(repair.checksum) != 1) {
    log.error() << "lockstep: repair: give one of --forget (you undid a failed migration by "
                   "hand), --mark-applied (you finished it by hand) or --checksum (you edited an "
                   "applied file on purpose, e.g. a comment)\n";
    return kExitBadInput;
  }
  if (repair.checksum && repair.version.empty()) {
    log.error() << "lockstep: repair --checksum: name the migration with --version\n";
    return kExitBadInput;
  }
  Loaded loaded = Load(options, log);
  if (!loaded.graph) return kExitBadInput;
  const MigrationGraph& graph = *loaded.graph;
  int service = -1;
  if (Status s = FindService(graph, repair.service, "repair", &service); !s.ok()) {
    return OkOrSay(s, log);
  }
  std::string run_id = NewRunId();
  DatabaseFactory factory = MakeDatabases(options, *loaded.platform, run_id);
  std::string database = DatabaseOfService(graph.model(), service);
  Status status;
  std::unique_ptr<Database> db =
      OpenLocked(*loaded.platform, factory, database, *options.clock, &status);
  std::vector<HistoryRow> rows;
  if (db) status = db->ReadHistory(&rows);
  if (!status.ok()) {
    log.error() << "lockstep: " << status.message() << "\n";
    return ExitCodeOf(status);
  }
  if (repair.checksum)
    return AcceptChecksum(graph, service, repair, run_id, rows, *db, options.json, out, log);
  std::vector<const HistoryRow*> failed;
  for (const HistoryRow& r : rows) {
    if (r.service == repair.service && r.status == "failed" &&
        (repair.version.empty() || Version::Parse(r.version) == Version::Parse(repair.version))) {
      failed.push_back(&r);
    }
  }
  if (failed.empty()) {
    log.error() << "lockstep: repair: nothing to repair: no migration of " << repair.service
                << (repair.version.empty() ? "" : " version " + repair.version)
                << " is recorded as failed\n";
    return kExitBadInput;
  }
  if (failed.size() > 1) {
    log.error() << "lockstep: repair: several migrations of " << repair.service
                << " are recorded as failed; name one with --version\n";
    return kExitBadInput;
  }
  const HistoryRow& row = *failed[0];
  std::string error, checksum = row.checksum;
  int m = graph.Resolve(row.service + ":" + row.version, &error);
  if (m >= 0) checksum = graph.model().migrations[m].checksum.hex();
  status = db->Repair(row.service, row.version, repair.mark_applied, checksum, run_id);
  if (!status.ok()) {
    log.error() << "lockstep: " << status.message() << "\n";
    return ExitCodeOf(status);
  }
  db->Unlock();
  if (options.json) {
    out << nlohmann::ordered_json{{"migration", row.service + ":" + row.version},
                                  {"action", repair.mark_applied ? "marked applied" : "forgotten"}}
               .dump(2)
        << "\n";
  } else {
    out << row.service << ":" << row.version << " " << row.name << ": "
        << (repair.mark_applied ? "marked applied"
                                : "forgotten (it will run again on the next apply)")
        << "\n";
  }
  return kExitOk;
}

}  // namespace lockstep
