#include "daemon/engine/drift.h"

#include <functional>

#include "daemon/engine/databases.h"
#include "daemon/engine/drift_sql.h"

namespace lockstep {

const char* KindName(DriftItem::Kind kind) {
  switch (kind) {
    case DriftItem::Kind::kAdded:
      return "added";
    case DriftItem::Kind::kRemoved:
      return "removed";
    case DriftItem::Kind::kChanged:
      return "changed";
  }
  return "";
}

namespace {

// What Diff compares: not the column order (the columns themselves say what
// changed), nor the format mark; and of a snapshot stored before format 2,
// nothing that format added (comments), or every comment would be drift.
SchemaSnapshot Comparable(const SchemaSnapshot& snapshot, bool with_comments) {
  SchemaSnapshot out;
  for (const auto& [key, def] : snapshot) {
    std::string kind = KindOfKey(key);
    if (kind == "columns" || kind == "lockstep format") continue;
    if (kind == "comment" && !with_comments) continue;
    out.emplace_hint(out.end(), key, def);
  }
  return out;
}

}  // namespace

std::vector<DriftItem> Diff(const SchemaSnapshot& stored_in, const SchemaSnapshot& live_in) {
  bool comments = stored_in.count("lockstep format") && live_in.count("lockstep format");
  SchemaSnapshot stored = Comparable(stored_in, comments), live = Comparable(live_in, comments);
  std::vector<DriftItem> out;
  auto a = stored.begin(), b = live.begin();
  while (a != stored.end() || b != live.end()) {
    if (b == live.end() || (a != stored.end() && a->first < b->first)) {
      out.push_back({DriftItem::Kind::kRemoved, a->first, a->second, ""});
      ++a;
    } else if (a == stored.end() || b->first < a->first) {
      out.push_back({DriftItem::Kind::kAdded, b->first, "", b->second});
      ++b;
    } else {
      if (a->second != b->second) {
        out.push_back({DriftItem::Kind::kChanged, a->first, a->second, b->second});
      }
      ++a, ++b;
    }
  }
  return out;
}

namespace {

// Opens `d->database`, makes one attempt at its lock (a run in progress
// would show as drift; such a database is busy instead), reads the stored
// snapshot and the live catalog, and calls `then` with them under the lock.
void UnderLock(const DatabaseFactory& factory, DatabaseDrift* d, const CheckDriftOptions& options,
               const std::function<void(Database&, SchemaSnapshot&, SchemaSnapshot&)>& then) {
  std::string error;
  std::unique_ptr<Database> db = factory(d->database, &error);
  Status s = db ? db->Open() : Status::BadInput(error);
  bool locked = false;
  LockHolder holder;
  if (s.ok()) s = db->TryLock(&locked, &holder);
  if (!s.ok()) {
    d->state = DatabaseDrift::State::kUnreachable;
    d->error = s.message();
    d->misconfigured = s.code() == Status::Code::kBadInput;
    return;
  }
  if (!locked) {
    d->state = DatabaseDrift::State::kBusy;
    d->error = "a migration run holds the lock: " + holder.ToString();
    return;
  }
  SchemaSnapshot stored, live;
  bool found = false;
  s = db->LoadSnapshot(&stored, &found);
  if (s.ok() && !found && options.expected_without_snapshot) {
    s = options.expected_without_snapshot(*db, d->database, &stored);
    found = d->expected_built = s.ok();
  }
  if (s.ok() && found) s = db->CaptureSchema(&live);
  if (!s.ok()) {
    d->state = DatabaseDrift::State::kUnreachable;
    d->error = s.message();
  } else if (!found) {
    d->state = DatabaseDrift::State::kNoSnapshot;
  } else {
    d->items = Diff(stored, live);
    then(*db, stored, live);
  }
  db->Unlock();
}

}  // namespace

std::vector<DatabaseDrift> CheckDrift(const std::vector<std::string>& databases,
                                      const DatabaseFactory& factory, int max_connections,
                                      const CheckDriftOptions& options) {
  std::vector<DatabaseDrift> out(databases.size());
  InParallel(databases.size(), max_connections, [&](size_t i) {
    out[i].database = databases[i];
    UnderLock(factory, &out[i], options,
              [&](Database&, SchemaSnapshot& stored, SchemaSnapshot& live) {
                if (options.keep_snapshots) {
                  out[i].stored = std::move(stored), out[i].live = std::move(live);
                }
              });
  });
  return out;
}

bool RevertedByRounds(const std::string& kind) {
  return kind == "index" || kind == "comment" || kind == "view" || kind == "function" ||
         kind == "trigger";
}

std::vector<DriftCorrection> RevertDrift(const std::vector<DatabaseDrift>& drift,
                                         const DatabaseFactory& factory, int max_connections,
                                         const std::string& run_id) {
  std::vector<const DatabaseDrift*> drifted;
  for (const DatabaseDrift& d : drift) {
    if (!d.items.empty()) drifted.push_back(&d);
  }
  std::vector<DriftCorrection> out(drifted.size());
  InParallel(drifted.size(), max_connections, [&](size_t i) {
    DriftCorrection& c = out[i];
    DatabaseDrift now;
    now.database = c.database = drifted[i]->database;
    UnderLock(factory, &now, {}, [&](Database& db, SchemaSnapshot& stored, SchemaSnapshot& live) {
      std::string detail;
      for (const DriftItem& item : now.items) {
        bool revert = RevertedByRounds(KindOfKey(item.object));
        (revert ? c.reverted : c.reported).push_back(item.object);
        if (revert)
          detail +=
              (detail.empty() ? "" : "; ") + std::string(KindName(item.kind)) + " " + item.object;
      }
      if (c.reverted.empty()) return;
      DriftSql sql = SqlToTurn(live, stored, RevertedByRounds);
      Status s = sql.inexpressible.empty()
                     ? db.RevertDrift(sql.statements, run_id, detail)
                     : Status::Failed("cannot express: " + sql.inexpressible.front());
      if (!s.ok()) {
        c.error = s.message();
        c.reported.insert(c.reported.end(), c.reverted.begin(), c.reverted.end());
        c.reverted.clear();
      }
    });
    if (now.state != DatabaseDrift::State::kChecked) {
      c.error = "not checked: " + (now.error.empty() ? "no stored snapshot" : now.error);
    }
  });
  return out;
}

}  // namespace lockstep
