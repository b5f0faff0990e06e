#include "testing/postgres_server.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "testing/run_lockstep.h"

namespace lockstep {

namespace fs = std::filesystem;

static const std::string kScript =
    ShellQuoted(std::string(LOCKSTEP_SOURCE_DIR) + "/scripts/throwaway-pg.sh");

PostgresServer::PostgresServer(bool durable) : durable_(durable) {
  // A space in the folder's name: every integration test then starts its
  // server, and connects, through a path a shell would split (as a checkout's
  // may be).
  std::string pattern = (fs::temp_directory_path() / "lockstep pg-XXXXXX").string();
  if (!mkdtemp(pattern.data())) {
    error_ = "cannot create a temporary folder for PostgreSQL";
    return;
  }
  dir_ = pattern;
  fs::permissions(dir_, fs::perms::all, fs::perm_options::add);
  std::string out;
  if (Shell(StartCommand() + " 2>" + ShellQuoted(dir_ + "/start.err"), &out) != 0) {
    error_ = "could not start a throwaway PostgreSQL (scripts/throwaway-pg.sh): " +
             Slurp(dir_ + "/start.err");
  }
}

PostgresServer::~PostgresServer() {
  if (dir_.empty()) return;
  Shell(kScript + " stop " + ShellQuoted(dir_) + " 2>/dev/null");
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void PostgresServer::Stop() { Shell(kScript + " stop " + ShellQuoted(dir_) + " 2>/dev/null"); }

void PostgresServer::Start() { Shell(StartCommand() + " >/dev/null 2>&1"); }

void PostgresServer::Kill() { Shell(kScript + " kill " + ShellQuoted(dir_) + " 2>/dev/null"); }

std::string PostgresServer::StartCommand() const {
  return std::string(durable_ ? "LOCKSTEP_PG_DURABLE=1 " : "") + kScript + " start " +
         ShellQuoted(dir_);
}

std::string PostgresServer::Url(const std::string& database) const {
  std::string out;
  Shell(kScript + " url " + ShellQuoted(dir_) + " " + database, &out);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

void PostgresServer::CreateDatabase(const std::string& database) {
  Query("postgres", "DROP DATABASE IF EXISTS \"" + database + "\" WITH (FORCE)");
  Query("postgres", "CREATE DATABASE \"" + database + "\"");
}

std::string PostgresServer::Query(const std::string& database, const std::string& sql,
                                  int* code) const {
  static int counter = 0;
  std::string file =
      dir_ + "/query-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + ".sql";
  std::ofstream(file) << sql << "\n";
  std::string out;
  int rc = Shell(
      "psql '" + Url(database) + "' -X -v ON_ERROR_STOP=1 -Atq -f " + ShellQuoted(file) + " 2>&1",
      &out);
  if (code) *code = rc;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace lockstep
