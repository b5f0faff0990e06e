// `plan --sql` and `rollback --sql`: the exact script lockstep would run on
// one database, for a DBA to review and run with psql -f.
#ifndef LOCKSTEP_DAEMON_VIEWS_SQL_SCRIPT_H_
#define LOCKSTEP_DAEMON_VIEWS_SQL_SCRIPT_H_

#include <ostream>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace lockstep {

struct SqlScript {
  std::string database;  // logical name, for the header
  std::string config_path;
  std::string history_schema = "lockstep";
  int64_t lock_key = 0;  // AdvisoryLockKey of the database
  std::string run_id;
  bool rollback = false;
  std::vector<int> migrations;     // in the order they run
  std::vector<std::string> needs;  // other databases' migrations to have first
};

// Writes the script: ON_ERROR_STOP, the advisory lock, lockstep's tables,
// then each migration with its history and events rows (in one transaction,
// or statement by statement for no-transaction ones), then the unlock.
void RenderSqlScript(const MigrationGraph& graph, const SqlScript& script, std::ostream& out);

// 'text' as an SQL literal (standard_conforming_strings).
std::string SqlLiteral(const std::string& text);

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_VIEWS_SQL_SCRIPT_H_
