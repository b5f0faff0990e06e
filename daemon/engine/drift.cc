#include "daemon/engine/drift.h"

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

std::vector<DatabaseDrift> CheckDrift(const std::vector<std::string>& databases,
                                      const DatabaseFactory& factory, int max_connections,
                                      bool keep_snapshots) {
  std::vector<DatabaseDrift> out(databases.size());
  InParallel(databases.size(), max_connections, [&](size_t i) {
    const std::string& name = databases[i];
    DatabaseDrift& d = out[i];
    d.database = name;
    std::string error;
    std::unique_ptr<Database> db = factory(name, &error);
    Status s = db ? db->Open() : Status::BadInput(error);
    bool locked = false;
    LockHolder holder;
    if (s.ok()) s = db->TryLock(&locked, &holder);
    if (!s.ok()) {
      d.state = DatabaseDrift::State::kUnreachable;
      d.error = s.message();
      d.misconfigured = s.code() == Status::Code::kBadInput;
    } else if (!locked) {
      d.state = DatabaseDrift::State::kBusy;
      d.error = "a migration run holds the lock: " + holder.ToString();
    } else {
      SchemaSnapshot stored, live;
      bool found = false;
      s = db->LoadSnapshot(&stored, &found);
      if (s.ok() && found) s = db->CaptureSchema(&live);
      if (!s.ok()) {
        d.state = DatabaseDrift::State::kUnreachable;
        d.error = s.message();
      } else if (!found) {
        d.state = DatabaseDrift::State::kNoSnapshot;
      } else {
        d.items = Diff(stored, live);
        if (keep_snapshots) d.stored = std::move(stored), d.live = std::move(live);
      }
      db->Unlock();
    }
  });
  return out;
}

}  // namespace lockstep
