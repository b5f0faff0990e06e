#include "daemon/views/sql_script.h"

#include "adapters/history_sql.h"
#include "adapters/postgres.h"

#ifndef LOCKSTEP_VERSION
#define LOCKSTEP_VERSION "dev"
#endif

namespace lockstep {
namespace {

// A statement and its terminator; a statement whose last line is a comment
// gets the ';' on a line of its own.
std::string Terminated(const std::string& sql) {
  size_t last_line = sql.rfind('\n');
  std::string tail = sql.substr(last_line == std::string::npos ? 0 : last_line);
  return sql + (tail.find("--") != std::string::npos ? "\n;\n" : ";\n");
}

}  // namespace

std::string SqlLiteral(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

void RenderSqlScript(const MigrationGraph& graph, const SqlScript& s, std::ostream& out) {
  const Model& model = graph.model();
  std::string key = std::to_string(s.lock_key);
  out << "-- lockstep " << (s.rollback ? "rollback" : "plan") << " for database '" << s.database
      << "' of " << s.config_path << ": " << s.migrations.size() << " migrations\n"
      << "-- Run it as it is: psql \"$URL\" -f this.sql\n";
  for (const std::string& need : s.needs) {
    out << "-- Run after, on another database, " << (s.rollback ? "the rollback of " : "") << need
        << "\n";
  }
  out << "\\set ON_ERROR_STOP on\n"
      << "SELECT pg_advisory_lock(" << key << ");\n";
  for (const std::string& ddl : HistoryTablesDdl(s.history_schema)) out << ddl << ";\n";
  for (int m : s.migrations) {
    const Migration& mig = model.migrations[m];
    const Service& service = model.services[mig.service];
    bool outside = s.rollback ? mig.down_no_transaction : mig.no_transaction;
    const std::vector<Statement>& statements = s.rollback ? mig.down : mig.up;
    out << "\n-- " << graph.IdOf(m) << " " << mig.name << " ("
        << (s.rollback ? mig.DownPath() : mig.up_path) << ")\n";
    if (!outside) out << "BEGIN;\n";
    if (!service.schema.empty()) {
      out << (outside ? "SET search_path TO \"" : "SET LOCAL search_path TO \"") << service.schema
          << "\";\n";
    }
    for (const Statement& st : statements) out << Terminated(st.sql);
    if (!service.schema.empty() && outside) out << "RESET search_path;\n";
    HistoryEntry e =
        EntryOf(mig, service.name, s.run_id, "applied", "current_user", LOCKSTEP_VERSION);
    out << (s.rollback ? ForgetSql(s.history_schema, e, SqlLiteral)
                       : RecordSql(s.history_schema, e, SqlLiteral))
        << ";\n";
    if (!outside) out << "COMMIT;\n";
  }
  out << "\nSELECT pg_advisory_unlock(" << key << ");\n";
}

}  // namespace lockstep
