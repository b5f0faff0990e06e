#include "adapters/history_sql.h"

namespace lockstep {

std::vector<std::string> CreateHistoryTablesDdl(const std::string& schema) {
  std::string q = "\"" + schema + "\".";
  return {
      "CREATE SCHEMA IF NOT EXISTS \"" + schema + "\"",
      "CREATE TABLE IF NOT EXISTS " + q + R"(history (
    service          text        NOT NULL,
    version          text        NOT NULL,
    name             text        NOT NULL,
    checksum         text        NOT NULL,
    status           text        NOT NULL CONSTRAINT history_status_check
                                 CHECK (status IN ('applied', 'failed', 'baseline', 'running')),
    started_at       timestamptz NOT NULL,
    finished_at      timestamptz,
    execution_ms     bigint,
    applied_by       text        NOT NULL,
    run_id           text        NOT NULL,
    lockstep_version text        NOT NULL,
    PRIMARY KEY (service, version)))",
      "CREATE TABLE IF NOT EXISTS " + q + R"(schema_snapshots (
    id               bigserial   PRIMARY KEY,
    taken_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    run_id           text        NOT NULL,
    snapshot         jsonb       NOT NULL))",
      "CREATE TABLE IF NOT EXISTS " + q + R"(events (
    id               bigserial   PRIMARY KEY,
    at               timestamptz NOT NULL DEFAULT clock_timestamp(),
    action           text        NOT NULL,
    service          text,
    version          text,
    name             text,
    status           text,
    run_id           text,
    actor            text,
    detail           text))",
  };
}

namespace {

// A row when the history table's status check is an old one, made before
// `running` existed.
std::string OldStatusCheck(const std::string& schema) {
  return "SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass('\"" + schema +
         "\".history') AND conname = 'history_status_check' AND "
         "pg_get_constraintdef(oid) NOT LIKE '%running%'";
}

}  // namespace

std::string WidenStatusCheckDdl(const std::string& schema) {
  return "ALTER TABLE \"" + schema +
         "\".history DROP CONSTRAINT history_status_check, ADD CONSTRAINT history_status_check "
         "CHECK (status IN ('applied', 'failed', 'baseline', 'running'))";
}

std::vector<std::string> HistoryTablesDdl(const std::string& schema) {
  std::vector<std::string> all = CreateHistoryTablesDdl(schema);
  all.push_back("DO $$ BEGIN IF EXISTS (" + OldStatusCheck(schema) + ") THEN " +
                WidenStatusCheckDdl(schema) + "; END IF; END $$");
  return all;
}

std::string HistoryTablesStateSql(const std::string& schema) {
  std::string all_there;
  for (const char* table : {"history", "schema_snapshots", "events"}) {
    all_there += std::string(all_there.empty() ? "" : " AND ") + "to_regclass('\"" + schema +
                 "\"." + table + "') IS NOT NULL";
  }
  return "SELECT " + all_there + ", EXISTS (" + OldStatusCheck(schema) +
         "), p.gid FROM (VALUES (1)) s LEFT JOIN (" + InDoubtSql() +
         ") p ON true ORDER BY p.prepared";
}

std::string InDoubtSql() {
  return "SELECT gid, prepared FROM pg_prepared_xacts WHERE database = current_database() AND "
         "gid LIKE 'lockstep/%'";
}

HistoryEntry EntryOf(const Migration& m, const std::string& service, const std::string& run_id,
                     const std::string& status, const std::string& applied_by_sql,
                     const std::string& lockstep_version) {
  HistoryEntry e;
  e.service = service;
  e.version = m.version.text();
  e.name = m.name;
  e.checksum = m.checksum.hex();
  e.run_id = run_id;
  e.status = status;
  e.applied_by_sql = applied_by_sql;
  e.lockstep_version = lockstep_version;
  return e;
}

std::string StartMarkSql() {
  return "SELECT set_config('lockstep.started', extract(epoch FROM clock_timestamp())::text, true)";
}

std::string RecordSql(const std::string& schema, const HistoryEntry& e, const QuoteLiteral& quote) {
  std::string table = "\"" + schema + "\".";
  std::string service = quote(e.service), version = quote(e.version), name = quote(e.name),
              run_id = quote(e.run_id), ms = std::to_string(e.execution_ms);
  std::string started = "clock_timestamp() - interval '" + ms + " milliseconds'";
  if (e.timed_by_server) {
    started = "to_timestamp(current_setting('lockstep.started')::float8)";
    ms = "(extract(epoch FROM clock_timestamp() - " + started + ") * 1000)::bigint";
  }
  return "WITH h AS (INSERT INTO " + table +
         "history (service, version, name, checksum, status, started_at, finished_at, "
         "execution_ms, applied_by, run_id, lockstep_version) VALUES (" +
         service + ", " + version + ", " + name + ", " + quote(e.checksum) + ", " +
         quote(e.status) + ", " + started + ", clock_timestamp(), " + ms + ", " + e.applied_by_sql +
         ", " + run_id + ", " + quote(e.lockstep_version) +
         ") ON CONFLICT (service, version) DO UPDATE SET name = EXCLUDED.name, checksum = "
         "EXCLUDED.checksum, status = EXCLUDED.status, finished_at = EXCLUDED.finished_at, "
         "execution_ms = EXCLUDED.execution_ms, run_id = EXCLUDED.run_id RETURNING 1) "
         "INSERT INTO " +
         table + "events (action, service, version, name, status, run_id, actor) SELECT 'apply', " +
         service + ", " + version + ", " + name + ", " +
         quote(e.event.empty() ? e.status : e.event) + ", " + run_id + ", " + e.applied_by_sql +
         " FROM h";
}

std::string ForgetSql(const std::string& schema, const HistoryEntry& e, const QuoteLiteral& quote) {
  std::string table = "\"" + schema + "\".";
  std::string service = quote(e.service), version = quote(e.version);
  return "WITH h AS (DELETE FROM " + table + "history WHERE service = " + service +
         " AND version = " + version + " RETURNING 1) INSERT INTO " + table +
         "events (action, service, version, name, status, run_id, actor) SELECT 'rollback', " +
         service + ", " + version + ", " + quote(e.name) + ", 'rolled back', " + quote(e.run_id) +
         ", " + e.applied_by_sql + " FROM h";
}

}  // namespace lockstep
