// status and history: what the databases say, as tables that stay readable
// with hundreds of services. Past kFullTable services (and without --all) the
// status table is summarised: counts, every service that needs attention,
// the first pending ones and the databases that hold them, and how to drill
// down (--service, --database). History shows the newest kNewestRows rows
// past a screenful, with the same way down. --json is never summarised.
#include <algorithm>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "daemon/cli/commands.h"
#include "daemon/cli/context.h"
#include "daemon/cli/paint.h"
#include "daemon/cli/progress.h"
#include "daemon/engine/state.h"
#include "daemon/exit_codes.h"
#include "daemon/views/json_views.h"

namespace lockstep {
namespace {

using nlohmann::ordered_json;

constexpr size_t kFullTable = 40;      // services shown in full without --all
constexpr size_t kListedPending = 10;  // pending services listed when summarised
constexpr size_t kListedDatabases = 10;
constexpr size_t kVersionsShown = 8;  // versions in one state list before eliding
constexpr size_t kHistoryScreen = 100;
constexpr size_t kNewestRows = 50;

// "pending 001 002 003" or, past kVersionsShown, "pending 40: 001 002 003 … 039 040".
std::string VersionList(const Model& model, const char* label, const std::vector<int>& list) {
  std::string part = label;
  if (list.size() > kVersionsShown) part += " " + std::to_string(list.size()) + ":";
  for (size_t i = 0; i < list.size(); ++i) {
    if (list.size() > kVersionsShown && i == 3) {
      part += " …";
      i = list.size() - 3;
      continue;
    }
    part += " " + model.migrations[list[i]].version.text();
  }
  return part;
}

enum class Health { kAttention, kPending, kUpToDate };

Health HealthOf(const ServiceSummary& r) {
  if (!r.failed.empty() || !r.mismatched.empty() || !r.running.empty() || !r.out_of_order.empty())
    return Health::kAttention;
  return r.pending.empty() ? Health::kUpToDate : Health::kPending;
}

// Each service's current version (Alembic's `current`): its applied
// migrations that no applied migration of the same service builds on, "-"
// when none is applied, "004+005" for two applied branches.
std::vector<std::string> CurrentVersions(const MigrationGraph& graph, const PlatformState& state) {
  const Model& model = graph.model();
  std::vector<std::string> current(model.services.size());
  for (size_t s = 0; s < model.services.size(); ++s) {
    for (int m : graph.MigrationsOf(static_cast<int>(s))) {
      if (!state.applied[m]) continue;
      bool superseded = false;
      for (int d : graph.DependentsOf(m)) {
        superseded |= state.applied[d] && model.migrations[d].service == static_cast<int>(s);
      }
      if (superseded) continue;
      current[s] += (current[s].empty() ? "" : "+") + model.migrations[m].version.text();
    }
    if (current[s].empty()) current[s] = "-";
  }
  return current;
}

class StatusTable {
 public:
  StatusTable(const Model& model, const std::vector<ServiceSummary>& rows,
              const std::vector<std::string>& current, bool color)
      : model_(model), rows_(rows), current_(current), color_(color) {}

  void Print(const std::vector<int>& services, std::ostream& out) const {
    size_t width = 7, db_width = 8, current_width = 7;
    for (int s : services) {
      width = std::max(width, model_.services[s].name.size());
      db_width = std::max(db_width, model_.services[s].database.size());
      current_width = std::max(current_width, current_[s].size());
    }
    out << std::left << std::setw(width + 2) << "service" << std::setw(current_width + 2)
        << "current" << std::setw(db_width + 2) << "database"
        << "applied  state\n";
    for (int s : services) {
      const ServiceSummary& r = rows_[s];
      out << std::setw(width + 2) << model_.services[s].name << std::setw(current_width + 2)
          << current_[s] << std::setw(db_width + 2) << model_.services[s].database << std::setw(9)
          << (std::to_string(r.applied) + "/" + std::to_string(r.total)) << State(r) << "\n";
    }
  }

 private:
  std::string State(const ServiceSummary& r) const {
    std::string what;
    auto list = [&](const char* label, const std::vector<int>& l, const char* color) {
      if (l.empty()) return;
      if (!what.empty()) what += "; ";
      what += Paint(VersionList(model_, label, l), color, color_);
    };
    list("pending", r.pending, kYellow);
    list("running", r.running, kCyan);
    list("FAILED", r.failed, kRed);
    list("CHECKSUM MISMATCH", r.mismatched, kRed);
    list("OUT OF ORDER", r.out_of_order, kYellow);
    return what.empty() ? Paint("up to date", kGreen, color_) : what;
  }

  const Model& model_;
  const std::vector<ServiceSummary>& rows_;
  const std::vector<std::string>& current_;
  bool color_;
};

std::string Plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// Counts, every service that needs attention, the first pending ones, and
// the databases with the most pending.
void PrintSummary(const Model& model, const std::vector<ServiceSummary>& rows,
                  const std::vector<int>& services, const StatusTable& table, std::ostream& out) {
  std::vector<int> attention, pending;
  size_t up_to_date = 0, pending_migrations = 0, failed = 0, mismatched = 0, running = 0;
  std::set<std::string> databases;
  struct PerDatabase {
    size_t services = 0, pending = 0, attention = 0;
  };
  std::map<std::string, PerDatabase> by_db;
  for (int s : services) {
    const ServiceSummary& r = rows[s];
    PerDatabase& d = by_db[model.services[s].database];
    ++d.services;
    d.pending += r.pending.size();
    pending_migrations += r.pending.size();
    failed += r.failed.size();
    mismatched += r.mismatched.size();
    running += r.running.size();
    switch (HealthOf(r)) {
      case Health::kAttention:
        attention.push_back(s);
        ++d.attention;
        break;
      case Health::kPending:
        pending.push_back(s);
        break;
      case Health::kUpToDate:
        ++up_to_date;
        break;
    }
  }
  out << Plural(services.size(), "service", "services") << " on "
      << Plural(by_db.size(), "database", "databases") << ": " << up_to_date << " up to date, "
      << pending.size() + attention.size() << " not ("
      << Plural(pending_migrations, "migration", "migrations") << " pending";
  if (failed) out << ", " << failed << " failed";
  if (mismatched) out << ", " << mismatched << " checksum-mismatched";
  if (running) out << ", " << running << " running";
  out << ")\n";
  if (!attention.empty()) {
    out << "\nneeds attention (" << attention.size() << "):\n";
    table.Print(attention, out);
  }
  if (!pending.empty()) {
    std::vector<int> first(pending.begin(),
                           pending.begin() + std::min(pending.size(), kListedPending));
    out << "\npending: " << Plural(pending.size(), "service", "services");
    if (first.size() < pending.size()) out << ", the first " << first.size();
    out << ":\n";
    table.Print(first, out);
  }
  std::vector<std::pair<std::string, PerDatabase>> worst(by_db.begin(), by_db.end());
  std::stable_sort(worst.begin(), worst.end(), [](const auto& a, const auto& b) {
    return std::tie(b.second.attention, b.second.pending) <
           std::tie(a.second.attention, a.second.pending);
  });
  if (worst.size() > kListedDatabases) worst.resize(kListedDatabases);
  size_t db_width = 8;
  for (const auto& [db, d] : worst) db_width = std::max(db_width, db.size());
  out << "\nby database"
      << (by_db.size() > worst.size()
              ? " (the " + std::to_string(worst.size()) + " with the most to do)"
              : "")
      << ":\n"
      << std::left << std::setw(db_width + 2) << "database"
      << "services  pending  attention\n";
  for (const auto& [db, d] : worst) {
    out << std::setw(db_width + 2) << db << std::setw(10) << d.services << std::setw(9) << d.pending
        << d.attention << "\n";
  }
  out << "\nsummarised past " << kFullTable
      << " services: --service NAME or a pattern ('billing-*'), --database NAME to narrow, "
         "--all for every row, --json for everything\n";
}

}  // namespace

int RunStatus(const CommonOptions& options, const StatusOptions& status, std::ostream& out,
              Log& log) {
  Loaded loaded = Load(options, log);
  if (!loaded.graph) return kExitBadInput;
  const MigrationGraph& graph = *loaded.graph;
  const Model& model = graph.model();
  std::vector<bool> keep;
  if (Status s = ServiceFilter(graph, status.services, status.database, &keep); !s.ok())
    return OkOrSay(s, log);
  std::map<std::string, std::vector<HistoryRow>> histories;
  DatabaseFactory factory = MakeDatabases(options, *loaded.platform, NewRunId());
  if (int code = ReadHistoriesOrSay(*loaded.platform, factory, &histories, log)) return code;
  PlatformState state = Reconcile(graph, histories);

  bool dirty = false;
  std::vector<ServiceSummary> rows = Summarize(graph, state, &dirty);
  std::vector<int> services;
  for (size_t s = 0; s < keep.size(); ++s) {
    if (keep[s]) services.push_back(static_cast<int>(s));
  }
  bool narrowed = !status.services.empty() || !status.database.empty();
  if (narrowed) {
    dirty = false;
    for (int s : services) dirty |= HealthOf(rows[s]) != Health::kUpToDate;
  }
  std::vector<std::string> current = CurrentVersions(graph, state);
  if (options.json) {
    ordered_json j = StatusJson(graph, state);
    for (size_t s = 0; s < current.size(); ++s) j["services"][s]["current"] = current[s];
    if (narrowed) {
      ordered_json kept = ordered_json::array();
      for (int s : services) kept.push_back(j["services"][s]);
      j["services"] = std::move(kept);
      j["up_to_date"] = !dirty && state.unknown.empty();
    }
    out << j.dump(2) << "\n";
  } else {
    StatusTable table(model, rows, current, options.color);
    if (services.size() > kFullTable && !status.all) {
      PrintSummary(model, rows, services, table, out);
    } else {
      table.Print(services, out);
    }
    for (const UnknownRow& u : state.unknown) {
      out << "unknown-applied on " << u.database << ": " << u.row.service << ":" << u.row.version
          << " " << u.row.name << " (recorded, but no such migration file)\n";
    }
  }
  return status.check && dirty ? kExitDrift : kExitOk;
}

int RunHistory(const CommonOptions& options, const HistoryOptions& history, std::ostream& out,
               Log& log) {
  Loaded loaded = Load(options, log);
  if (!loaded.graph) return kExitBadInput;
  std::vector<bool> keep;
  if (Status s = ServiceFilter(*loaded.graph, history.services, history.database, &keep); !s.ok())
    return OkOrSay(s, log);
  std::set<std::string> services;
  for (size_t s = 0; s < keep.size(); ++s) {
    if (keep[s]) services.insert(loaded.graph->model().services[s].name);
  }
  std::map<std::string, std::vector<HistoryRow>> histories;
  DatabaseFactory factory = MakeDatabases(options, *loaded.platform, NewRunId());
  if (int code = ReadHistoriesOrSay(*loaded.platform, factory, &histories, log)) return code;
  bool narrowed = !history.services.empty() || !history.database.empty();
  // Rollbacks and repairs leave no history row (a rollback deletes it): they
  // come from the events table, as rows of their own.
  std::vector<std::string> names;
  for (const auto& [db, rows] : histories) {
    if (history.database.empty() || db == history.database) names.push_back(db);
  }
  std::vector<std::vector<EventRow>> events(names.size());
  std::vector<Status> failures(names.size());
  InParallel(names.size(), loaded.platform->settings.max_connections, [&](size_t i) {
    std::string error;
    std::unique_ptr<Database> db = factory(names[i], &error);
    failures[i] = db ? db->Open() : Status::BadInput(error);
    if (failures[i].ok()) failures[i] = db->ReadEvents({"rollback", "repair"}, &events[i]);
  });
  for (const Status& s : failures) {
    if (!s.ok()) return OkOrSay(s, log);
  }
  std::map<std::string, std::vector<HistoryRow>> event_rows;  // by database
  for (size_t i = 0; i < names.size(); ++i) {
    for (const EventRow& e : events[i]) {
      HistoryRow r;
      r.service = e.service;
      r.version = e.version;
      r.name = e.name;
      r.status = e.action == "rollback" ? e.status : e.action + ": " + e.status;
      r.started_at = r.finished_at = e.at;
      r.applied_by = e.actor;
      r.run_id = e.run_id;
      event_rows[names[i]].push_back(std::move(r));
    }
  }
  std::vector<std::pair<std::string, const HistoryRow*>> all;
  std::set<const HistoryRow*> is_event;
  for (const auto* source : {&histories, &event_rows}) {
    for (const auto& [db, rows] : *source) {
      if (!history.database.empty() && db != history.database) continue;
      for (const HistoryRow& r : rows) {
        // Rows of services no file has any more are kept unless narrowed.
        if (narrowed && !services.count(r.service)) continue;
        all.emplace_back(db, &r);
        if (source == &event_rows) is_event.insert(&r);
      }
    }
  }
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a.second->started_at < b.second->started_at;
  });
  size_t total = all.size();
  size_t limit = history.limit > 0                                         ? history.limit
                 : !history.all && !options.json && total > kHistoryScreen ? kNewestRows
                                                                           : total;
  if (limit < total) all.erase(all.begin(), all.end() - limit);
  if (options.json) {
    ordered_json j = ordered_json::array();
    for (const auto& [db, r] : all) {
      j.push_back({{"database", db},
                   {"id", r->service + ":" + r->version},
                   {"name", r->name},
                   {"status", r->status},
                   {"started_at", r->started_at},
                   {"finished_at", r->finished_at},
                   {"execution_ms", r->execution_ms},
                   {"applied_by", r->applied_by},
                   {"run_id", r->run_id},
                   {"checksum", r->checksum},
                   {"event", is_event.count(r) > 0}});
    }
    out << j.dump(2) << "\n";
    return kExitOk;
  }
  if (all.size() < total) {
    std::set<std::string> runs, databases;
    for (const auto& [db, rows] : histories) {
      for (const HistoryRow& r : rows) {
        runs.insert(r.run_id);
        databases.insert(db);
      }
    }
    out << "the newest " << all.size() << " of " << total << " rows (" << databases.size()
        << " databases, " << runs.size()
        << " runs); --all for every row, --limit N, --service NAME or pattern, --database NAME "
           "to narrow\n";
  }
  size_t db_width = 8, id_width = 10;
  for (const auto& [db, r] : all) {
    db_width = std::max(db_width, db.size());
    id_width = std::max(id_width, r->service.size() + 1 + r->version.size());
  }
  for (const auto& [db, r] : all) {
    const char* color = r->status == "failed"    ? kRed
                        : r->status == "running" ? kCyan
                        : is_event.count(r)      ? kYellow
                                                 : kGreen;
    std::ostringstream status;
    status << std::left << std::setw(9) << r->status;
    out << r->started_at << "  " << std::left << std::setw(db_width + 2) << db
        << std::setw(id_width + 2) << (r->service + ":" + r->version)
        << Paint(status.str(), color, options.color) << std::right << std::setw(9)
        << Millis(std::chrono::milliseconds(r->execution_ms)) << "  " << r->applied_by << "  run "
        << r->run_id << "  " << r->name << "\n";
  }
  if (total == 0) out << "no migration has been applied\n";
  return kExitOk;
}

}  // namespace lockstep
