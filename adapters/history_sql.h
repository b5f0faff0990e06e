// The SQL of lockstep's own tables and rows, written once: the PostgreSQL
// adapter runs it, and `plan --sql` / `rollback --sql` scripts print it.
#ifndef LOCKSTEP_ADAPTERS_HISTORY_SQL_H_
#define LOCKSTEP_ADAPTERS_HISTORY_SQL_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "graph/model.h"

namespace lockstep {

// One migration's row of <schema>.history, and its events row.
struct HistoryEntry {
  std::string service, version, name, checksum, run_id;
  std::string status;          // of the history row: applied, running, failed, baseline
  std::string event;           // of the events row; empty: the same as status
  std::string applied_by_sql;  // an SQL expression: a quoted literal, or current_user
  std::string lockstep_version;
  int64_t execution_ms = 0;
  // Timed by the server instead: from the moment StartMarkSql() ran in the
  // same transaction to now. For a migration sent in one message with its
  // record (and perhaps with other migrations).
  bool timed_by_server = false;
};

// Notes the time in the transaction, for an entry timed_by_server: its
// started_at. Local to the transaction (and so fine through a pooler).
std::string StartMarkSql();

// The entry of `m` (of service `service`), recorded by `applied_by_sql`.
HistoryEntry EntryOf(const Migration& m, const std::string& service, const std::string& run_id,
                     const std::string& status, const std::string& applied_by_sql,
                     const std::string& lockstep_version);

// Quotes a string as an SQL literal (the adapter uses libpq's quoting).
using QuoteLiteral = std::function<std::string(const std::string&)>;

// The statements that create lockstep's schema and tables when missing, and
// widen the status check of tables made by an older lockstep: for a script,
// which cannot look first.
std::vector<std::string> HistoryTablesDdl(const std::string& schema);
// Looking first (the adapter): whether all of lockstep's tables are there,
// whether the history table's status check is an old one (made before
// `running` existed), and a gid per transaction that a run which died left
// prepared (InDoubtSql), oldest first: a row each, or one row with a null
// gid. Then, only when needed, the statements that create what is missing,
// and the one that widens the old check.
std::string HistoryTablesStateSql(const std::string& schema);
// The prepared transactions of apply --atomic in the current database: gid
// and when prepared.
std::string InDoubtSql();
std::vector<std::string> CreateHistoryTablesDdl(const std::string& schema);
std::string WidenStatusCheckDdl(const std::string& schema);

// Writes (or overwrites) the history row and appends an `apply` event, in one
// statement that can share a round trip with COMMIT.
std::string RecordSql(const std::string& schema, const HistoryEntry& e, const QuoteLiteral& quote);

// A rollback's record: the history row goes, a `rollback` event says so.
std::string ForgetSql(const std::string& schema, const HistoryEntry& e, const QuoteLiteral& quote);

}  // namespace lockstep

#endif  // LOCKSTEP_ADAPTERS_HISTORY_SQL_H_
