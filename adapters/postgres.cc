#include "adapters/postgres.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include <unistd.h>

#include <libpq-fe.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "adapters/catalog_query.h"
#include "adapters/connection_string.h"
#include "adapters/direct_connection.h"
#include "adapters/history_sql.h"
#include "adapters/lease.h"
#include "adapters/libpq_watch.h"
#include "manifests/environment.h"
#include "manifests/sha256.h"

namespace lockstep {
namespace {

using Clock = std::chrono::steady_clock;

// A bigint advisory key shows in pg_locks as classid (high 32 bits) and
// objid (low 32 bits) with objsubid 1.
int64_t ClassIdOf(int64_t key) { return static_cast<int64_t>(static_cast<uint64_t>(key) >> 32); }
int64_t ObjIdOf(int64_t key) {
  return static_cast<int64_t>(static_cast<uint64_t>(key) & 0xffffffffu);
}

// Notices (RAISE NOTICE, "... does not exist, skipping") are kept out of
// stderr; libpqxx would print them raw.
class NoticeSink : public pqxx::errorhandler {
 public:
  explicit NoticeSink(pqxx::connection_base& c) : pqxx::errorhandler(c) {}
  bool operator()(const char[]) noexcept override { return false; }
};

// libpq's "ERROR:  msg\nDETAIL:  d\nHINT:  h\nLINE 1: ..." as
// "msg; DETAIL: d; HINT: h"; the LINE/caret part points into the statement,
// which the caller names by file and line instead.
std::string ServerMessage(const std::string& what) {
  std::string out;
  size_t pos = 0;
  while (pos < what.size()) {
    size_t end = what.find('\n', pos);
    if (end == std::string::npos) end = what.size();
    std::string line = what.substr(pos, end - pos);
    pos = end + 1;
    if (line.rfind("ERROR:  ", 0) == 0) {
      out += line.substr(8);
    } else if (line.rfind("DETAIL:  ", 0) == 0 || line.rfind("HINT:  ", 0) == 0 ||
               line.rfind("CONTEXT:  ", 0) == 0) {
      size_t colon = line.find(':');
      out += "; " + line.substr(0, colon) + ": " + line.substr(colon + 3);
    } else if (out.empty() && !line.empty() && line.rfind("LINE ", 0) != 0 &&
               line.find('^') == std::string::npos) {
      out += line;
    }
  }
  return out;
}

class PostgresDatabase : public Database {
 public:
  explicit PostgresDatabase(PostgresOptions options) : o_(std::move(options)) {}

  Status Open() override {
    std::string problem = ConnectionStringProblem(o_.url, &secrets_);
    if (!problem.empty()) return Status::BadInput("database '" + o_.database + "': " + problem);
    try {
      g_watch_being_built = &watch_;
      std::unique_ptr<WatchedConnection> conn;
      try {
        // application_name in the startup packet: no round trip of its own,
        // and PgBouncer keeps it with this client.
        conn = std::make_unique<WatchedConnection>(
            WithSetting(o_.url, "application_name", "lockstep/" + o_.run_id));
      } catch (...) {
        g_watch_being_built = nullptr;
        throw;
      }
      g_watch_being_built = nullptr;
      notices_ = std::make_unique<NoticeSink>(*conn);
      std::lock_guard<std::mutex> lock(mu_);
      conn_ = std::move(conn);
      return Status::Ok();
    } catch (const std::exception& e) {
      return Status::Failed("database '" + o_.database +
                            "': cannot connect: " + Scrub(OneLine(e.what()), secrets_));
    }
  }

  Status TryLock(bool* acquired, LockHolder* holder) override {
    if (!probed_) {
      probed_ = true;
      pooled_ = TransactionPooled();
      if (pooled_ && !o_.lease) {
        return Status::BadInput(
            "database '" + o_.database +
            "': the connection goes through a pooler in transaction mode (its server session "
            "changes between statements), where a session advisory lock is not held for this "
            "run and would stay behind on a pooled connection; set 'lock: lease' under settings "
            "(a lease row, safe through any pooler) or connect directly or in session mode");
      }
    }
    if (o_.lease) return TryLease(acquired, holder);
    return Guard("take the migration lock", [&] {
      pqxx::nontransaction tx(*conn_);
      // The session's timeouts go with the first attempt (one message), and
      // only once the connection is known to hold a session: on a pooled
      // server connection they would stay behind for other clients.
      *acquired = tx.exec1(TimeoutsSql() + "SELECT pg_try_advisory_lock('" +
                           std::to_string(o_.lock_key) + "'::bigint)")[0]
                      .as<bool>();
      prepared_ = true;
      if (*acquired) return;
      // The holder, from pg_locks.
      pqxx::result r = tx.exec_params(
          "SELECT a.pid, coalesce(a.application_name, ''), coalesce(host(a.client_addr), "
          "'local'), coalesce(to_char(a.backend_start AT TIME ZONE 'UTC', "
          "'YYYY-MM-DD HH24:MI:SS') || ' UTC', '') "
          "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
          "WHERE l.locktype = 'advisory' AND l.granted AND l.database = "
          "(SELECT oid FROM pg_database WHERE datname = current_database()) "
          "AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 1 LIMIT 1",
          ClassIdOf(o_.lock_key), ObjIdOf(o_.lock_key));
      *holder = LockHolder();
      if (!r.empty()) {
        holder->pid = r[0][0].as<int>();
        holder->application_name = r[0][1].as<std::string>();
        holder->client_address = r[0][2].as<std::string>();
        holder->since = r[0][3].as<std::string>();
      }
    });
  }

  Status Unlock() override {
    if (o_.lease) {
      if (keeper_) keeper_->Stop();
      keeper_.reset();
      return Guard("release the lease", [&] {
        pqxx::nontransaction tx(*conn_);
        tx.exec_params(ReleaseLeaseSql(o_.history_schema), o_.run_id);
      });
    }
    return Guard("release the migration lock", [&] {
      pqxx::nontransaction tx(*conn_);
      tx.exec_params("SELECT pg_advisory_unlock($1)", o_.lock_key);
    });
  }

  Status ReadHistory(std::vector<HistoryRow>* rows) override { return ReadHistoryAfter("", rows); }

  // Two messages where EnsureSchema, InDoubt and ReadHistory take three or
  // four: the tables' state with the prepared transactions, then the
  // history, behind the tables' DDL in the same message when they are
  // missing (the server runs a message's statements in turn, each parsed
  // only when its turn comes, as one transaction).
  Status Settle(std::vector<std::string>* in_doubt, std::vector<HistoryRow>* rows) override {
    std::string ddl;
    Status s = Guard("create lockstep's tables", [&] { ddl = TablesDdl(in_doubt); });
    s = s.ok() ? ReadHistoryAfter(ddl, rows) : s;
    tables_there_ = s.ok();
    return s;
  }

  // Whether `table` (a name as to_regclass takes it) is missing: asked
  // first, so that a read of a database lockstep has not touched yet (the
  // unlocked read before a plan, `wait` polling before the first deploy) is
  // no failed statement, which the server logs as an ERROR each time.
  bool Missing(const std::string& table) {
    pqxx::nontransaction tx(*conn_);
    return tx.exec1("SELECT to_regclass(" + tx.quote(table) + ") IS NULL")[0].as<bool>();
  }

  // The history, read by a message that runs `ddl` first.
  Status ReadHistoryAfter(const std::string& ddl, std::vector<HistoryRow>* rows) {
    std::string what =
        ddl.empty() ? "read the history" : "create lockstep's tables and read the history";
    return Guard(what, [&] {
      rows->clear();
      const std::string select =
          "SELECT service, version, name, checksum, status, "
          "coalesce(to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), "
          "coalesce(to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
          "''), "
          "coalesce(execution_ms, 0), applied_by, run_id FROM " +
          Table("history") + " ORDER BY started_at, service, version";
      // The plain query (no view of pg_locks to plan) is the common path:
      // a no-op run over a fleet reads every database's history, each on a
      // fresh backend.
      if (ddl.empty() && !tables_there_ && Missing(Table("history"))) return;  // none yet
      pqxx::result r;
      bool missing = false;
      {
        pqxx::nontransaction tx(*conn_);
        try {
          r = tx.exec(ddl + select);
        } catch (const pqxx::undefined_table&) {
          missing = true;  // dropped since
        }
      }
      if (missing) return;
      std::set<std::string> running_runs;
      for (const auto& row : r) {
        HistoryRow h;
        h.service = row[0].as<std::string>();
        h.version = row[1].as<std::string>();
        h.name = row[2].as<std::string>();
        h.checksum = row[3].as<std::string>();
        h.status = row[4].as<std::string>();
        h.started_at = row[5].as<std::string>();
        h.finished_at = row[6].as<std::string>();
        h.execution_ms = row[7].as<int64_t>();
        h.applied_by = row[8].as<std::string>();
        h.run_id = row[9].as<std::string>();
        if (h.status == "running") running_runs.insert(h.run_id);
        rows->push_back(std::move(h));
      }
      if (running_runs.empty()) return;
      // A `running` row whose run no longer holds this database's lock (or
      // lease) was left by a run that died: it reads as failed.
      std::set<std::string> alive = AliveRuns(running_runs);
      for (HistoryRow& h : *rows) {
        if (h.status == "running" && !alive.count(h.run_id)) h.status = "failed";
      }
    });
  }

  // Of `runs`, those that hold this database's advisory lock (a backend with
  // application_name lockstep/<run> in pg_locks) or an unexpired lease.
  std::set<std::string> AliveRuns(const std::set<std::string>& runs) {
    const bool lease = !Missing(Table("lease"));
    pqxx::nontransaction tx(*conn_);
    std::set<std::string> alive;
    for (const std::string& run : runs) {
      std::string query =
          "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
          "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2 AND "
          "l.objsubid = 1 AND l.database = (SELECT oid FROM pg_database WHERE datname = "
          "current_database()) AND a.application_name = 'lockstep/' || $3)";
      if (lease) {
        query += " OR EXISTS (SELECT 1 FROM " + Table("lease") +
                 " WHERE holder = $3 AND expires > clock_timestamp())";
      }
      if (tx.exec_params1(query, ClassIdOf(o_.lock_key), ObjIdOf(o_.lock_key), run)[0].as<bool>())
        alive.insert(run);
    }
    return alive;
  }

  Status Apply(const MigrationToRun& run) override {
    Status s = ApplyUnscrubbed(run);
    return s.ok() ? s : s.WithMessage(Scrub(s.message(), secrets_));
  }

  Status ApplyUnscrubbed(const MigrationToRun& run) {
    if (Status s = PrepareForMigrations(); !s.ok()) return s;
    if (keeper_ && keeper_->lost()) {
      return Status::Failed("database '" + o_.database + "': this run lost its lease: " +
                            keeper_->why() + "; no further migration starts");
    }
    size_t current = 0;  // statement being run, for the error's file:line
    const MigrationToRun* running = &run;
    return RunMigrations(running, current, [&] {
      auto start = Clock::now();
      if (OutsideTransaction(run)) {
        ApplyStatementByStatement(run, &current, start);
      } else {
        ApplyInTransaction(run, &current, start);
      }
    });
  }

  // Migrations that each run in a transaction go as one message (without a
  // lease, whose fence is read before each COMMIT); anything else one by one.
  Status ApplyBatch(const std::vector<MigrationToRun>& runs, const Ended& ended,
                    const std::atomic<bool>& cut) override {
    bool together = !o_.lease && runs.size() > 1;
    for (const MigrationToRun& run : runs) {
      together = together && !OutsideTransaction(run) && !run.atomic;
    }
    if (!together) return Database::ApplyBatch(runs, ended, cut);
    Status s = PrepareForMigrations();
    size_t at = 0, current = 0;
    const MigrationToRun* failing = &runs.front();
    {
      std::lock_guard<std::mutex> lock(cut_mu_);
      in_batch_ = true;
    }
    if (s.ok()) {
      s = RunMigrations(failing, current, [&] {
        try {
          // The last one's end is told below.
          auto committed = [&](size_t i) {
            if (i + 1 < runs.size()) ended(i, Status::Ok());
          };
          ApplyInOneMessage(runs, committed, &at, &current);
        } catch (...) {
          failing = &runs[at];
          throw;
        }
      });
    }
    EndCut();
    if (!s.ok()) s = s.WithMessage(Scrub(s.message(), secrets_));
    // The connection is free again, and the caller may destroy this
    // Database from this call on: nothing after it touches a member.
    ended(s.ok() ? runs.size() - 1 : at, s);
    return s;
  }

  // Runs `body`, which runs migrations; its failure is told as the failure
  // of statement `current` of `*run` (both read once it failed), by
  // file:line.
  template <typename F>
  Status RunMigrations(const MigrationToRun* const& run, const size_t& current, F&& body) {
    try {
      body();
      return Status::Ok();
    } catch (const pqxx::sql_error& e) {
      return Status::Failed(FailureText(*run, current, e.sqlstate(), ServerMessage(e.what())));
    } catch (const pqxx::broken_connection& e) {
      std::string reason = LostReason(e);
      Drop();
      return Status::Failed(
          FailureText(*run, current, "", "lost the connection to the database: " + reason));
    } catch (const std::exception& e) {
      return Status::Failed(FailureText(*run, current, "", OneLine(e.what())));
    }
  }

  Status CaptureSchema(SchemaSnapshot* snapshot) override {
    return Guard("read the catalog", [&] {
      pqxx::nontransaction tx(*conn_);
      snapshot->clear();
      std::string only;
      for (const std::string& schema : o_.only_schemas) only += (only.empty() ? "" : ",") + schema;
      for (const auto& row :
           tx.exec_params(kCatalogQuery, o_.history_schema, only, kFirstUserOid)) {
        (*snapshot)[row[0].as<std::string>()] = row[1].as<std::string>();
      }
    });
  }

  Status SaveSnapshot(const SchemaSnapshot& snapshot, const std::string& run_id) override {
    return Guard("store the schema snapshot", [&] {
      nlohmann::json j(snapshot);
      pqxx::nontransaction tx(*conn_);
      // Keeps the latest ten (drift compares with the newest only), in the
      // same statement: one round trip, one commit.
      tx.exec_params("WITH s AS (INSERT INTO " + Table("schema_snapshots") +
                         " (run_id, snapshot) VALUES ($1, $2::jsonb) RETURNING id) DELETE FROM " +
                         Table("schema_snapshots") + " WHERE id <= (SELECT id - 10 FROM s)",
                     run_id, j.dump());
    });
  }

  // A transaction that takes a transaction id commits with a commit record,
  // and so with the server's synchronous_commit waits for the WAL up to it:
  // every earlier commit of the server, this connection's included.
  Status Flush() override {
    return Guard("confirm the commits durable", [&] {
      // Never commit what a failed migration left open.
      if (PQtransactionStatus(watch_.conn) != PQTRANS_IDLE) {
        throw std::runtime_error("a transaction is still open on the connection");
      }
      pqxx::nontransaction tx(*conn_);
      tx.exec("BEGIN;\nSELECT txid_current();\nCOMMIT");
    });
  }

  Status LoadSnapshot(SchemaSnapshot* snapshot, bool* found) override {
    return Guard("read the schema snapshot", [&] {
      if (snapshot) snapshot->clear();
      *found = false;
      if (Missing(Table("schema_snapshots"))) return;
      pqxx::nontransaction tx(*conn_);
      pqxx::result r = tx.exec(std::string("SELECT ") + (snapshot ? "snapshot::text" : "NULL") +
                               " FROM " + Table("schema_snapshots") + " ORDER BY id DESC LIMIT 1");
      if (r.empty()) return;
      *found = true;
      if (snapshot)
        *snapshot = nlohmann::json::parse(r[0][0].as<std::string>()).get<SchemaSnapshot>();
    });
  }

  Status RecordBaseline(const std::vector<HistoryRow>& rows) override {
    return Guard("record the baseline", [&] {
      pqxx::work tx(*conn_);
      for (const HistoryRow& r : rows) {
        pqxx::result done = tx.exec_params(
            "INSERT INTO " + Table("history") +
                " (service, version, name, checksum, status, started_at, finished_at, "
                "execution_ms, applied_by, run_id, lockstep_version) VALUES ($1, $2, $3, $4, "
                "'baseline', now(), now(), 0, $5, $6, $7) ON CONFLICT (service, version) DO "
                "NOTHING "
                "RETURNING 1",
            r.service, r.version, r.name, r.checksum, o_.applied_by, r.run_id, o_.lockstep_version);
        if (done.empty()) continue;
        tx.exec_params(
            "INSERT INTO " + Table("events") +
                " (action, service, version, name, status, run_id, actor, detail) VALUES "
                "('baseline', $1, $2, $3, 'baseline', $4, $5, $6)",
            r.service, r.version, r.name, r.run_id, o_.applied_by, r.applied_by);
      }
      tx.commit();
    });
  }

  Status Repair(const std::string& service, const std::string& version, bool mark_applied,
                const std::string& checksum, const std::string& run_id) override {
    return Guard("repair the history", [&] {
      pqxx::work tx(*conn_);
      pqxx::result r =
          mark_applied
              ? tx.exec_params("UPDATE " + Table("history") +
                                   " SET status = 'applied', checksum = $3, finished_at = now(), "
                                   "run_id = $4 WHERE service = $1 AND version = $2 AND status IN "
                                   "('failed', 'running') RETURNING name",
                               service, version, checksum, run_id)
              : tx.exec_params("DELETE FROM " + Table("history") +
                                   " WHERE service = $1 AND version = $2 AND status IN "
                                   "('failed', 'running') RETURNING name",
                               service, version);
      if (r.empty())
        throw std::runtime_error(service + ":" + version + " is not recorded as failed");
      tx.exec_params("INSERT INTO " + Table("events") +
                         " (action, service, version, name, status, run_id, actor) VALUES "
                         "('repair', $1, $2, $3, $4, $5, $6)",
                     service, version, r[0][0].as<std::string>(),
                     mark_applied ? "marked applied" : "forgotten", run_id, o_.applied_by);
      tx.commit();
    });
  }

  Status ReadEvents(const std::vector<std::string>& actions, std::vector<EventRow>* rows) override {
    return Guard("read the events", [&] {
      rows->clear();
      std::string list;
      for (const std::string& a : actions) list += (list.empty() ? "" : ",") + a;
      if (!tables_there_ && Missing(Table("events"))) return;  // no events table yet
      pqxx::result r;
      {
        pqxx::nontransaction tx(*conn_);
        try {
          r = tx.exec_params(
              "SELECT action, coalesce(service, ''), coalesce(version, ''), coalesce(name, ''), "
              "coalesce(status, ''), to_char(at AT TIME ZONE 'UTC', "
              "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), coalesce(actor, ''), coalesce(run_id, ''), "
              "coalesce(detail, '') FROM " +
                  Table("events") +
                  " WHERE action = ANY (string_to_array($1, ',')) ORDER BY at, id",
              list);
        } catch (const pqxx::undefined_table&) {
          return;  // dropped since
        }
      }
      for (const auto& row : r) {
        EventRow e;
        e.action = row[0].as<std::string>();
        e.service = row[1].as<std::string>();
        e.version = row[2].as<std::string>();
        e.name = row[3].as<std::string>();
        e.status = row[4].as<std::string>();
        e.at = row[5].as<std::string>();
        e.actor = row[6].as<std::string>();
        e.run_id = row[7].as<std::string>();
        e.detail = row[8].as<std::string>();
        rows->push_back(std::move(e));
      }
    });
  }

  Status AcceptChecksum(const std::string& service, const std::string& version,
                        const std::string& checksum, const std::string& run_id) override {
    return Guard("repair the history", [&] {
      pqxx::work tx(*conn_);
      // The old checksum, read in the same statement that replaces it.
      pqxx::result r = tx.exec_params(
          "UPDATE " + Table("history") + " h SET checksum = $3 FROM (SELECT checksum FROM " +
              Table("history") +
              " WHERE service = $1 AND version = $2 AND status IN ('applied', 'baseline') FOR "
              "UPDATE) old WHERE h.service = $1 AND h.version = $2 RETURNING h.name, "
              "old.checksum",
          service, version, checksum);
      if (r.empty()) {
        throw std::runtime_error(service + ":" + version + " is not recorded as applied");
      }
      tx.exec_params("INSERT INTO " + Table("events") +
                         " (action, service, version, name, status, run_id, actor, detail) "
                         "VALUES ('repair', $1, $2, $3, 'checksum accepted', $4, $5, $6)",
                     service, version, r[0][0].as<std::string>(), run_id, o_.applied_by,
                     "checksum " + r[0][1].as<std::string>("") + " -> " + checksum);
      tx.commit();
    });
  }

  Status ReadForeignHistory(const std::string& tool, std::vector<std::string>* entries,
                            bool* found) override {
    static const std::map<std::string, std::pair<const char*, const char*>> kQueries = {
        {"flyway",
         {"flyway_schema_history",
          "SELECT version FROM flyway_schema_history WHERE success AND version IS NOT "
          "NULL ORDER BY installed_rank"}},
        {"golang-migrate",
         {"schema_migrations",
          "SELECT CASE WHEN dirty THEN 'dirty:' ELSE '' END || version FROM "
          "schema_migrations"}},
        {"dbmate", {"schema_migrations", "SELECT version::text FROM schema_migrations ORDER BY 1"}},
        {"alembic", {"alembic_version", "SELECT version_num FROM alembic_version"}},
        {"sqitch", {"sqitch.changes", "SELECT change FROM sqitch.changes ORDER BY committed_at"}},
    };
    auto query = kQueries.find(tool);
    if (query == kQueries.end()) return Status::BadInput("unknown tool '" + tool + "'");
    return Guard("read the " + tool + " history", [&] {
      entries->clear();
      *found = !Missing(query->second.first);
      if (!*found) return;
      pqxx::nontransaction tx(*conn_);
      for (const auto& row : tx.exec(query->second.second))
        entries->push_back(row[0].as<std::string>());
    });
  }

  // An events row of the database as a whole (no service or version).
  void InsertEvent(pqxx::work& tx, const std::string& action, const std::string& status,
                   const std::string& run_id, const std::string& detail) {
    tx.exec_params("INSERT INTO " + Table("events") +
                       " (action, status, run_id, actor, detail) VALUES ($1, $2, $3, $4, $5)",
                   action, status, run_id, o_.applied_by, detail);
  }

  Status RevertDrift(const std::vector<std::string>& statements, const std::string& run_id,
                     const std::string& detail) override {
    return Guard("revert the drift", [&] {
      pqxx::work tx(*conn_);
      // Behind an application's long transaction, give up rather than queue
      // every query on the table behind this one's lock.
      tx.exec("SET LOCAL lock_timeout = '5s'");
      for (const std::string& sql : statements) tx.exec(sql);
      InsertEvent(tx, "revert drift", "reverted", run_id, detail);
      tx.commit();
    });
  }

  Status InDoubt(std::vector<std::string>* gids) override {
    return Guard("read its prepared transactions", [&] {
      pqxx::nontransaction tx(*conn_);
      gids->clear();
      for (const auto& r : tx.exec("SELECT gid FROM (" + InDoubtSql() + ") p ORDER BY prepared")) {
        gids->push_back(r[0].as<std::string>());
      }
    });
  }

  Status RecordDecision(const std::string& run_id, const std::string& detail) override {
    return Guard("record the decision to commit", [&] {
      pqxx::work tx(*conn_);
      tx.exec("SET LOCAL synchronous_commit = on");  // durable before any COMMIT PREPARED
      InsertEvent(tx, "atomic decision", "commit", run_id, detail);
      tx.commit();
    });
  }

  Status HasDecision(const std::string& run_id, bool* found) override {
    return Guard("read the atomic decision", [&] {
      *found = false;
      if (Missing(Table("events"))) return;
      pqxx::nontransaction tx(*conn_);
      *found = tx.exec_params1("SELECT EXISTS (SELECT 1 FROM " + Table("events") +
                                   " WHERE action = 'atomic decision' AND run_id = $1)",
                               run_id)[0]
                   .as<bool>();
    });
  }

  Status Execute(const std::string& sql) override {
    return Guard("run " + sql.substr(0, sql.find(' ', sql.find(' ') + 1)), [&] {
      pqxx::nontransaction tx(*conn_);
      tx.exec(sql);
    });
  }

  Status QueryNames(const std::string& sql, std::vector<std::string>* names) override {
    return Guard("read the names of its query", [&] {
      pqxx::read_transaction tx(*conn_);
      names->clear();
      int row = 0;
      for (const auto& r : tx.exec(sql)) {
        ++row;
        if (r.empty() || r[0].is_null()) {
          throw std::runtime_error("row " + std::to_string(row) +
                                   " holds no name (NULL or no column)");
        }
        names->push_back(r[0].as<std::string>());
      }
    });
  }

  // The batch's gates (MessageOf) fail once a second connection holds the
  // gate lock: it connects and takes it on a thread of its own, and keeps it
  // until the batch is over (EndCut). In a transaction, so that a pooler in
  // transaction mode keeps it on one server connection.
  void CutBatch() override {
    std::lock_guard<std::mutex> lock(cut_mu_);
    if (!in_batch_ || cutter_.joinable()) return;
    cutter_ = std::thread([this] {
      try {
        auto c = std::make_unique<pqxx::connection>(
            WithSetting(o_.url, "application_name", "lockstep/" + o_.run_id));
        pqxx::nontransaction tx(*c);
        tx.exec("BEGIN");
        tx.exec("SELECT pg_advisory_xact_lock(" + GateKey() + ")");
        cut_conn_ = std::move(c);
      } catch (const std::exception&) {
        // The gates stay open: the batch goes on, and each migration of it
        // that commits is reported as applied.
      }
    });
  }

  // The batch is over: the gate lock goes.
  void EndCut() {
    std::thread cutter;
    {
      std::lock_guard<std::mutex> lock(cut_mu_);
      in_batch_ = false;
      cutter.swap(cutter_);
    }
    if (cutter.joinable()) cutter.join();
    cut_conn_.reset();  // ends its transaction
  }

  // The two-int advisory key of this run's gate on this database: a space
  // apart from the migration lock's bigint key.
  std::string GateKey() const {
    std::string hex = Sha256Hex("lockstep gate:" + o_.run_id + "/" + o_.history_schema);
    return "1819239275, " +
           std::to_string(static_cast<int32_t>(std::stoul(hex.substr(0, 8), nullptr, 16)));
  }

  void Cancel() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (conn_) {
      try {
        conn_->cancel_query();
      } catch (const std::exception&) {
        // Nothing to cancel, or the connection is gone: either way done.
      }
    }
  }

 private:
  // Once per connection, before migrations (with the first attempt at the
  // lock, when there is one; a reader never pays for it): the session's
  // timeouts. With a lease they are set per
  // transaction instead: through a transaction pooler a session setting would
  // stay behind on a pooled server connection.
  Status PrepareForMigrations() {
    std::string timeouts = TimeoutsSql();
    if (timeouts.empty()) return Status::Ok();
    return Guard("set the session's timeouts", [&] {
      pqxx::nontransaction tx(*conn_);
      tx.exec(timeouts);
      prepared_ = true;
    });
  }
  // What PrepareForMigrations sends, or "" once sent (or with a lease).
  std::string TimeoutsSql() const {
    if (prepared_ || o_.lease) return "";
    return "SET statement_timeout = " + std::to_string(o_.statement_timeout.count()) +
           ";\nSET lock_timeout = 0;\n";
  }

  // With a lease: the migration commits only while this run holds it; the
  // row stays locked FOR SHARE until the commit, so a takeover waits.
  void Fence(pqxx::transaction_base& tx) {
    if (!o_.lease) return;
    if (tx.exec_params(FenceSql(o_.history_schema), o_.run_id).empty()) {
      throw std::runtime_error(
          "this run's lease of the database expired before the migration could be recorded "
          "(settings.lease_ttl); it was rolled back, and whoever holds the lease now applies it");
    }
  }

  Status TryLease(bool* acquired, LockHolder* holder) {
    return Guard("take the lease", [&] {
      pqxx::nontransaction tx(*conn_);
      for (int attempt = 0;; ++attempt) {
        try {
          for (const std::string& ddl : LeaseTableDdl(o_.history_schema)) tx.exec(ddl);
          break;
        } catch (const pqxx::sql_error& e) {
          // Two runs creating the table at once: one of them loses on a
          // catalog unique index; the table is there the next time.
          if (attempt >= 3 ||
              (e.sqlstate() != "23505" && e.sqlstate() != "42P07" && e.sqlstate() != "42P06"))
            throw;
        }
      }
      char host[256] = "";
      gethostname(host, sizeof host - 1);
      *acquired =
          !tx.exec_params(TakeLeaseSql(o_.history_schema), o_.run_id, std::string(host),
                          static_cast<int>(getpid()), static_cast<int64_t>(o_.lease_ttl.count()))
               .empty();
      if (*acquired) {
        keeper_ = std::make_unique<LeaseKeeper>(o_.url, o_.history_schema, o_.run_id, o_.lease_ttl);
        keeper_->Start();
        return;
      }
      pqxx::result r = tx.exec(LeaseHolderSql(o_.history_schema));
      *holder = LockHolder();
      if (!r.empty()) {
        holder->pid = r[0][2].as<int>();
        holder->application_name = "lockstep/" + r[0][0].as<std::string>();
        holder->client_address = r[0][1].as<std::string>();
        holder->since = r[0][3].as<std::string>() + ", lease expires in " +
                        std::to_string(r[0][4].as<int64_t>()) + " s";
      }
    });
  }

  // Whether this connection goes through a pooler in transaction mode,
  // where session state (an advisory lock, a search_path) lands on whatever
  // server connection ran that statement and stays there. Not when it
  // reaches the backend directly (one query tells); otherwise probed: this
  // client's backend changes between statements, or a second client inside
  // a transaction gets this client's backend.
  bool TransactionPooled() {
    if (ReachesBackend()) return false;
    int first = 0, second = 0, other = -1;
    try {
      pqxx::connection probe(o_.url);
      first = PidOf(*conn_);
      pqxx::work tx(probe);
      other = tx.exec1("SELECT pg_backend_pid()")[0].as<int>();
      second = PidOf(*conn_);
      tx.abort();
    } catch (const std::exception&) {
      return false;  // no second connection to compare with: nothing known
    }
    return first != second || other == first;
  }

  bool ReachesBackend() {
    try {
      pqxx::nontransaction tx(*conn_);
      pqxx::row r = tx.exec1(kBackendSideSql);
      BackendSide backend{r[0].as<int>(), r[1].as<std::string>(), r[2].as<int>(),
                          r[3].as<std::string>(), r[4].as<int>()};
      return ReachesBackendDirectly(conn_->sock(), conn_->backendpid(), backend);
    } catch (const std::exception&) {
      return false;  // the probe that follows tells
    }
  }

  static int PidOf(pqxx::connection_base& c) {
    pqxx::nontransaction tx(c);
    return tx.exec1("SELECT pg_backend_pid()")[0].as<int>();
  }

  std::string Table(const char* name) const {
    return "\"" + o_.history_schema + "\"." + name;  // schema checked as [a-z0-9_]
  }

  // Runs `body`, turning libpqxx's exceptions into a Status that says what
  // lockstep was doing. After a broken connection the connection is dropped:
  // libpqxx would reconnect silently on a later call, without our lock.
  template <typename F>
  Status Guard(const std::string& what, F&& body) {
    Status s = GuardUnscrubbed(what, std::forward<F>(body));
    return s.ok() ? s : s.WithMessage(Scrub(s.message(), secrets_));
  }

  template <typename F>
  Status GuardUnscrubbed(const std::string& what, F&& body) {
    if (!conn_) return Status::Failed("database '" + o_.database + "': not connected");
    try {
      body();
      return Status::Ok();
    } catch (const pqxx::broken_connection& e) {
      std::string reason = LostReason(e);
      Drop();
      return Status::Failed("database '" + o_.database + "': lost the connection while trying to " +
                            what + ": " + reason);
    } catch (const pqxx::sql_error& e) {
      return Status::Failed("database '" + o_.database + "': cannot " + what + " (SQLSTATE " +
                            e.sqlstate() + "): " + ServerMessage(e.what()));
    } catch (const std::exception& e) {
      return Status::Failed("database '" + o_.database + "': cannot " + what + ": " +
                            OneLine(e.what()));
    }
  }

  // The server's reason for a broken connection ("terminating connection due
  // to administrator command"), or libpqxx's text when libpq has none.
  std::string LostReason(const pqxx::broken_connection& e) const {
    std::string reason = watch_.Reason();
    return reason.empty() ? OneLine(e.what()) : reason;
  }

  void Drop() {
    std::lock_guard<std::mutex> lock(mu_);
    notices_.reset();
    conn_.reset();
  }

  Status EnsureSchema() override {
    return Guard("create lockstep's tables", [&] {
      std::string ddl = TablesDdl(nullptr);
      if (!ddl.empty()) {
        pqxx::nontransaction tx(*conn_);
        tx.exec(ddl);
      }
      tables_there_ = true;
    });
  }

  // Looks first (one query), so that a run on a database whose tables are
  // there, as most are, runs no DDL: returns the statements that make what
  // is missing (none on most runs), as one message, which the server runs
  // as one transaction. The same query lists what a run that died left
  // prepared, into *in_doubt when not null.
  std::string TablesDdl(std::vector<std::string>* in_doubt) {
    pqxx::nontransaction tx(*conn_);
    pqxx::result state = tx.exec(HistoryTablesStateSql(o_.history_schema));
    bool all_there = state[0][0].as<bool>(), old_check = state[0][1].as<bool>();
    if (in_doubt) {
      in_doubt->clear();
      for (const auto& row : state) {
        if (!row[2].is_null()) in_doubt->push_back(row[2].as<std::string>());
      }
    }
    std::string all;
    if (!all_there) {
      for (const std::string& ddl : CreateHistoryTablesDdl(o_.history_schema)) all += ddl + ";\n";
    }
    if (old_check) all += WidenStatusCheckDdl(o_.history_schema) + ";\n";
    return all;
  }

  // The history entry of `run` with `status` (and the events row's `event`).
  HistoryEntry Entry(const MigrationToRun& run, const std::string& status, Clock::time_point start,
                     const std::string& event = "") {
    HistoryEntry e = EntryOf(*run.migration, run.service, run.run_id, status,
                             conn_->quote(o_.applied_by), o_.lockstep_version);
    e.event = event;
    e.execution_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    return e;
  }
  std::string RecordSql(const MigrationToRun& run, const std::string& status,
                        Clock::time_point start, const std::string& event = "") {
    return lockstep::RecordSql(o_.history_schema, Entry(run, status, start, event), Quote());
  }
  QuoteLiteral Quote() {
    return [c = conn_.get()](const std::string& text) { return c->quote(text); };
  }

  static const std::vector<Statement>& Statements(const MigrationToRun& run) {
    return run.down ? run.migration->down : run.migration->up;
  }
  static bool OutsideTransaction(const MigrationToRun& run) {
    return run.down ? run.migration->down_no_transaction : run.migration->no_transaction;
  }

  // The history and events rows of a migration done (or, rolled back, the
  // row's removal). `timed_by_server`: execution_ms measured by the server,
  // from the start of the message it travels in.
  std::string DoneSql(const MigrationToRun& run, Clock::time_point start,
                      bool timed_by_server = false) {
    HistoryEntry done = Entry(run, "applied", start);
    done.timed_by_server = timed_by_server;
    return run.down ? lockstep::ForgetSql(o_.history_schema, done, Quote())
                    : lockstep::RecordSql(o_.history_schema, done, Quote());
  }

  // The migration's statements and its history row in one transaction. With
  // a lease, BEGIN travels with the first statement and COMMIT with the
  // history row (N + 1 round trips: the fence must be read before COMMIT).
  // Otherwise everything goes in one message (MigrationMessage).
  void ApplyInTransaction(const MigrationToRun& run, size_t* current, Clock::time_point start) {
    if (!o_.lease) {
      size_t at = 0;
      return ApplyInOneMessage(
          {run}, [](size_t) {}, &at, current);
    }
    const std::vector<Statement>& statements = Statements(run);
    pqxx::nontransaction tx(*conn_);
    std::string begin =
        "BEGIN;\nSET LOCAL statement_timeout = " + std::to_string(o_.statement_timeout.count()) +
        ";\nSET LOCAL lock_timeout = 0";
    for (const std::string& setting : TransactionSettings(run)) begin += ";\n" + setting;
    try {
      if (statements.empty()) tx.exec(begin);
      for (*current = 0; *current < statements.size(); ++*current) {
        tx.exec(*current == 0 ? begin + ";\n" + statements[0].sql : statements[*current].sql);
      }
      *current = statements.size();
      Fence(tx);
      tx.exec(DoneSql(run, start) + ";\nCOMMIT");
    } catch (...) {
      RollBack(tx);  // on this transaction object: libpqxx allows one at a time
      throw;
    }
  }

  // What a migration's transaction sets before its statements.
  std::vector<std::string> TransactionSettings(const MigrationToRun& run) {
    std::vector<std::string> out;
    if (!run.durable) out.push_back("SET LOCAL synchronous_commit = off");
    // In one transaction with other migrations: not the last one's path.
    if (run.atomic && run.schema.empty()) out.push_back("SET LOCAL search_path TO DEFAULT");
    if (run.create_schema)
      out.push_back("CREATE SCHEMA IF NOT EXISTS " + conn_->quote_name(run.schema));
    if (!run.schema.empty()) {
      out.push_back("SET LOCAL search_path TO " + conn_->quote_name(run.schema));
    }
    return out;
  }

  static void RollBack(pqxx::transaction_base& tx) {
    try {
      tx.exec("ROLLBACK");
    } catch (const std::exception&) {
      // The connection is gone or the transaction never began: nothing to undo.
    }
  }

  // One migration's part of a message (MessageOf).
  struct Piece {
    size_t begin = 0;              // its first byte in the message
    size_t first_answer = 0;       // the server's answers to the pieces before it
    size_t before_statements = 0;  // its commands before its statements
    size_t commands = 0;           // all its commands (BEGIN to COMMIT)
    std::vector<size_t> offsets;   // of each statement in the message, in bytes
  };

  // For each run: BEGIN, the settings, the statements, the history and
  // events rows and COMMIT, all of it one simple-query message. Statements
  // are joined with "\n;\n": one may end in a -- comment.
  std::string MessageOf(const std::vector<MigrationToRun>& runs, std::vector<Piece>* pieces) {
    std::string message;
    size_t answers = 0;
    for (const MigrationToRun& run : runs) {
      Piece piece;
      if (!message.empty()) message += ";\n";
      piece.begin = message.size();
      piece.first_answer = answers;
      // apply --atomic: inside the database's open transaction but for the
      // first.
      std::vector<std::string> head;
      if (!run.atomic || run.atomic_begins) head.push_back("BEGIN");
      // After the first: the gate, which fails once the batch is cut
      // (CutBatch), before anything of this migration ran. (Not 1/0: the
      // planner would fold it and fail every time.)
      if (!pieces->empty()) {
        head.push_back("SELECT CASE WHEN pg_try_advisory_lock(" + GateKey() +
                       ") THEN pg_advisory_unlock(" + GateKey() +
                       ") ELSE 1 / (0 * pg_backend_pid()) > 0 END");
      }
      head.push_back(StartMarkSql());
      for (std::string& setting : TransactionSettings(run)) head.push_back(std::move(setting));
      for (size_t i = 0; i < head.size(); ++i) message += (i ? ";\n" : "") + head[i];
      piece.before_statements = head.size();
      for (const Statement& st : Statements(run)) {
        message += "\n;\n";
        piece.offsets.push_back(message.size());
        message += st.sql;
      }
      message += "\n;\n" + DoneSql(run, Clock::now(), /*timed_by_server=*/true);
      if (!run.atomic) message += ";\nCOMMIT";
      piece.commands = piece.before_statements + Statements(run).size() + 1 + (run.atomic ? 0 : 1);
      answers += piece.commands;
      pieces->push_back(std::move(piece));
    }
    return message;
  }

  // Runs `runs` in one message (MessageOf): one round trip for all, and the
  // server goes from one migration to the next without waiting for this
  // client. `committed(i)` is called as the server answers run i's COMMIT.
  // The server answers each command in turn and stops at the first error,
  // which commits nothing more; on an error *at and *current name the run
  // and its failing statement: the error's position when it has one, else
  // the number of answers before it.
  template <typename Committed>
  void ApplyInOneMessage(const std::vector<MigrationToRun>& runs, Committed&& committed, size_t* at,
                         size_t* current) {
    std::vector<Piece> pieces;
    const std::string message = MessageOf(runs, &pieces);
    *at = 0;
    *current = 0;
    size_t next_commit = 0;  // the run whose COMMIT comes next
    auto answered = [&](size_t answers) {
      while (next_commit < pieces.size() && !runs[next_commit].atomic &&
             answers >= pieces[next_commit].first_answer + pieces[next_commit].commands) {
        committed(next_commit++);
      }
    };
    auto failed = [&](size_t answers, int position) {
      if (position > 0) {
        size_t byte = ByteOffsetOf(message, static_cast<size_t>(position));
        while (*at + 1 < pieces.size() && pieces[*at + 1].begin <= byte) ++*at;
        *current = StatementAtByte(pieces[*at], Statements(runs[*at]), byte);
      } else {
        while (*at + 1 < pieces.size() && pieces[*at + 1].first_answer <= answers) ++*at;
        const Piece& p = pieces[*at];
        size_t local = answers - p.first_answer;
        *current = local < p.before_statements
                       ? 0
                       : std::min(local - p.before_statements, Statements(runs[*at]).size());
      }
    };
    try {
      SendMessage(message, answered, failed);
    } catch (...) {
      if (conn_) {
        pqxx::nontransaction tx(*conn_);
        RollBack(tx);
      }
      throw;
    }
    *at = runs.size() - 1;
    *current = Statements(runs.back()).size();
  }

  // Which statement of `piece` an error at `byte` of the message is in:
  // those that start at or before it; 0 in BEGIN or the settings (named by
  // the first statement), and statements.size() in the record.
  static size_t StatementAtByte(const Piece& piece, const std::vector<Statement>& statements,
                                size_t byte) {
    const std::vector<size_t>& offsets = piece.offsets;
    size_t k = static_cast<size_t>(std::upper_bound(offsets.begin(), offsets.end(), byte) -
                                   offsets.begin());
    if (k == 0) return 0;
    if (k == offsets.size() && byte >= offsets.back() + statements.back().sql.size()) {
      return statements.size();
    }
    return k - 1;
  }

  // The byte offset of the 1-based character `position` the server reports
  // (PG_DIAG_STATEMENT_POSITION counts characters; lockstep talks UTF-8).
  static size_t ByteOffsetOf(const std::string& text, size_t position) {
    size_t chars = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 && ++chars == position) return i;
    }
    return text.size();
  }

  // Sends `message` as one simple query on the raw connection and reads every
  // answer, calling `answered_so_far(answers)` as each command's comes. On an
  // error, calls `failed(answers before it, its position or 0)` and throws what libpqxx would:
  // broken_connection when the connection went, sql_error with the SQLSTATE otherwise.
  template <typename OnAnswer, typename OnError>
  void SendMessage(const std::string& message, OnAnswer&& answered_so_far, OnError&& failed) {
    PGconn* pg = watch_.conn;
    if (!pg) throw pqxx::broken_connection("not connected");
    if (!PQsendQuery(pg, message.c_str())) throw pqxx::broken_connection(PQerrorMessage(pg));
    size_t answered = 0;
    std::string error, sqlstate;
    int position = 0;
    bool have_error = false;
    while (PGresult* r = PQgetResult(pg)) {
      ExecStatusType st = PQresultStatus(r);
      if (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE || st == PGRES_NONFATAL_ERROR) {
        if (!have_error && st != PGRES_NONFATAL_ERROR) {
          have_error = true;
          error = PQresultErrorMessage(r);
          const char* code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
          sqlstate = code ? code : "";
          const char* pos = PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION);
          position = pos ? std::atoi(pos) : 0;
        }
      } else if (st == PGRES_COPY_IN || st == PGRES_COPY_BOTH) {
        // psql would read the rows from its input; a migration has none.
        PQputCopyEnd(pg,
                     "COPY FROM STDIN cannot run in a lockstep migration: put the rows in "
                     "INSERT statements");
      } else if (st == PGRES_COPY_OUT) {
        char* row = nullptr;
        // Its answer follows (COMMAND_OK), and counts.
        while (PQgetCopyData(pg, &row, 0) > 0) PQfreemem(row);
      } else if (!have_error) {
        answered_so_far(++answered);
      }
      PQclear(r);
    }
    if (!have_error) return;
    failed(answered, position);
    if (PQstatus(pg) == CONNECTION_BAD || sqlstate.empty()) throw pqxx::broken_connection(error);
    throw pqxx::sql_error(error, message, sqlstate.c_str());
  }

  // no-transaction: a `running` row first, so that a crash half-way leaves a
  // record that stops later runs (a `running` row whose run no longer holds
  // the lock reads as failed); `failed` when a statement fails; `applied`
  // (or, rolling back, no row) once every statement ran.
  void ApplyStatementByStatement(const MigrationToRun& run, size_t* current,
                                 Clock::time_point start) {
    const Migration& m = *run.migration;
    const std::vector<Statement>& statements = Statements(run);
    if (pooled_ && !run.schema.empty()) {
      throw std::runtime_error(
          "a no-transaction migration of a service with 'schema:' cannot run through a pooler "
          "in transaction mode: its search_path would not stay with it; connect this database "
          "directly (or in session mode) for it, or qualify its names and drop 'schema:'");
    }
    {
      pqxx::work tx(*conn_);
      if (run.down) {
        tx.exec_params("UPDATE " + Table("history") +
                           " SET status = 'running', finished_at = NULL, "
                           "run_id = $3 WHERE service = $1 AND version = $2",
                       run.service, m.version.text(), run.run_id);
      } else {
        tx.exec(RecordSql(run, "running", start, "started"));
        tx.exec_params("UPDATE " + Table("history") +
                           " SET finished_at = NULL WHERE service = $1 AND version = $2",
                       run.service, m.version.text());
      }
      tx.commit();
    }
    try {
      pqxx::nontransaction tx(*conn_);
      if (run.create_schema) tx.exec("CREATE SCHEMA IF NOT EXISTS " + tx.quote_name(run.schema));
      if (!run.schema.empty()) tx.exec("SET search_path TO " + tx.quote_name(run.schema));
      for (*current = 0; *current < statements.size(); ++*current)
        tx.exec(statements[*current].sql);
      if (!run.schema.empty()) tx.exec("RESET search_path");
      tx.commit();
    } catch (const pqxx::broken_connection&) {
      throw;  // the row stays `running`; with this run gone it reads as failed
    } catch (...) {
      MarkFailed(run);
      throw;
    }
    *current = statements.size();
    pqxx::work done(*conn_);
    Fence(done);
    done.exec(DoneSql(run, start));
    done.commit();
  }

  // Best effort: when even this fails, the `running` row reads as failed
  // once this run lets go of the lock.
  void MarkFailed(const MigrationToRun& run) {
    try {
      pqxx::nontransaction tx(*conn_);
      if (!run.schema.empty()) tx.exec("RESET search_path");
      tx.exec_params("UPDATE " + Table("history") +
                         " SET status = 'failed' WHERE service = $1 AND version = $2 AND status = "
                         "'running'",
                     run.service, run.migration->version.text());
    } catch (const std::exception&) {
    }
  }

  std::string FailureText(const MigrationToRun& run, size_t current, const std::string& sqlstate,
                          const std::string& message) const {
    const Migration& m = *run.migration;
    const std::vector<Statement>& statements = Statements(run);
    int line = current < statements.size() ? statements[current].line : 0;
    std::string where =
        (run.down ? m.DownPath() : m.up_path) + (line > 0 ? ":" + std::to_string(line) : "");
    std::string out = where + ": " + run.service + ":" + m.version.text() +
                      (run.down ? " rollback failed" : " failed") + " on database '" + o_.database +
                      "'";
    if (!sqlstate.empty()) out += " (SQLSTATE " + sqlstate + ")";
    out += ": " + message;
    if (OutsideTransaction(run)) {
      out +=
          "\n  it ran outside a transaction, so statements before this one stay applied; it is "
          "recorded as failed, and later runs stop at it until you finish or undo it by hand "
          "and run lockstep repair";
    }
    return out;
  }

  PostgresOptions o_;
  std::vector<std::string> secrets_;  // the password, for scrubbing messages
  std::mutex mu_;                     // guards conn_ against Cancel() from another thread
  LibpqWatch watch_;                  // declared before conn_: the connection's policy points at it
  std::unique_ptr<WatchedConnection> conn_;
  std::unique_ptr<NoticeSink> notices_;
  bool prepared_ = false;                       // PrepareForMigrations ran
  bool probed_ = false;                         // for transaction pooling, before the first lock
  bool pooled_ = false;                         // through a pooler in transaction mode
  bool tables_there_ = false;                   // lockstep's tables, made or seen under the lock
  std::unique_ptr<LeaseKeeper> keeper_;         // renews the lease while it is held
  std::mutex cut_mu_;                           // guards in_batch_ and cutter_
  bool in_batch_ = false;                       // ApplyBatch sends a batch now
  std::thread cutter_;                          // CutBatch's, until EndCut joins it
  std::unique_ptr<pqxx::connection> cut_conn_;  // holds the gate lock
};

}  // namespace

int64_t AdvisoryLockKey(const std::string& member_history_schema) {
  if (member_history_schema.empty()) return kAdvisoryLockKey;
  std::string hex = Sha256Hex("lockstep:" + member_history_schema);
  return static_cast<int64_t>(std::stoull(hex.substr(0, 16), nullptr, 16));
}

std::unique_ptr<Database> NewPostgresDatabase(PostgresOptions options) {
  return std::make_unique<PostgresDatabase>(std::move(options));
}

}  // namespace lockstep
