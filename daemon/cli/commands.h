// The commands behind the CLI table in main.cc. Each writes its result to
// `out` (stdout), its diagnostics and progress to `log` (stderr), and returns
// an exit code from exit_codes.h. None throws.
#ifndef LOCKSTEP_DAEMON_CLI_COMMANDS_H_
#define LOCKSTEP_DAEMON_CLI_COMMANDS_H_

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "daemon/log.h"
#include "daemon/options.h"

namespace lockstep {

struct PlanOptions {
  bool offline = false;               // as if nothing were applied
  std::vector<std::string> targets;   // --target ID
  std::vector<std::string> services;  // --service NAME
  bool sql = false;                   // print the SQL script of each database
  std::string database;               // with sql: only this database's script
  bool all = false;                   // every migration, however many
};

struct ApplyOptions {
  std::vector<std::string> targets;   // --target ID
  std::vector<std::string> services;  // --service NAME
  bool dry_run = false;               // print the plan, touch nothing
  bool allow_out_of_order = false;    // apply migrations older than their service's latest applied
  int canary = -1;                    // --canary N: N members of database sets first; -1: none
  int steps = -1;                     // --steps N with one --service: its next N pending; -1: all
  bool atomic = false;                // one transaction per database, two-phase commit across them
};

struct WaitOptions {
  std::vector<std::string> targets;   // --for ID
  std::vector<std::string> services;  // --service NAME: its heads
  std::string timeout = "5m";         // --timeout
};

// Polls the history (read-only) until every named migration is applied: exit
// 0; 5 at the timeout; 1 when one is recorded failed; 2 on a bad id.
int RunWait(const CommonOptions& options, const WaitOptions& wait, std::ostream& out, Log& log);

struct RollbackOptions {
  // --to SERVICE:VERSION: that service's migrations after VERSION, and what
  // depends on those; what depends only on VERSION and before stays.
  std::string to;
  std::string target;  // --target ID: roll back ID and what depends on it
  int steps = 0;       // --steps N: the N most recently applied (of --service)
  std::string service;
  bool dry_run = false;
  bool sql = false;      // print the SQL script of each database instead of running
  std::string database;  // with sql: only this database's script
  bool yes = false;      // --yes: do not ask
  // Asks a person to confirm the printed plan; null when no one can answer
  // (stdin is not a terminal): then a rollback needs --yes or --dry-run.
  std::function<bool(const std::string& question)> confirm;
};

int RunRollback(const CommonOptions& options, const RollbackOptions& rollback, std::ostream& out,
                Log& log);

struct BaselineOptions {
  std::string service, version;  // --service S --version V: V and what it needs, of S
  std::string import_tool;       // --import flyway|golang-migrate|dbmate|alembic|sqitch
};

// Records migrations as `baseline` (run nothing) on an existing database.
int RunBaseline(const CommonOptions& options, const BaselineOptions& baseline, std::ostream& out,
                Log& log);

struct RepairOptions {
  std::string service;
  std::string version;        // which failed migration, when several are
  bool forget = false;        // undone by hand: delete the row, it runs again
  bool mark_applied = false;  // finished by hand: record it applied
  bool checksum = false;      // an applied file edited on purpose: record its new checksum
  bool in_doubt = false;      // resolve what an apply --atomic that died left prepared
};

int RunRepair(const CommonOptions& options, const RepairOptions& repair, std::ostream& out,
              Log& log);

struct NewOptions {
  std::string service, name;
  std::vector<std::string> requires_ids;  // --requires ID
};

// Writes the next <version>_<name>.up.sql/.down.sql pair of a service.
int RunNew(const CommonOptions& options, const NewOptions& o, std::ostream& out, Log& log);
// Prints a service's heads.
int RunHeads(const CommonOptions& options, const std::string& service, std::ostream& out, Log& log);
// Writes a merge migration whose parents are the service's heads.
int RunMerge(const CommonOptions& options, const std::string& service, std::ostream& out, Log& log);

struct VerifyOptions {
  std::string service;      // only this service's migrations (and what they need)
  std::string scratch_url;  // a server to make scratch databases on; default: each database's own
  bool keep = false;        // keep the scratch databases
};

// Up, down, up again for every migration on scratch databases; exit 4 when a
// down does not undo its up.
int RunVerify(const CommonOptions& options, const VerifyOptions& verify, std::ostream& out,
              Log& log);

int RunApply(const CommonOptions& options, const ApplyOptions& apply, std::ostream& out, Log& log);
// repair --in-doubt: on every database, under its lock, commits or rolls
// back the prepared transactions of apply --atomic runs that died.
int RunResolveInDoubt(const CommonOptions& options, std::ostream& out, Log& log);
struct StatusOptions {
  bool check = false;                 // exit 4 when anything is pending, failed or mismatched
  std::vector<std::string> services;  // --service NAME or pattern ('tenant-*')
  std::string database;               // --database NAME
  bool all = false;                   // every service in full, however many
};

// Per service; summarised past 40 services unless --all or narrowed.
int RunStatus(const CommonOptions& options, const StatusOptions& status, std::ostream& out,
              Log& log);
struct DriftOptions {
  // --write-migration SERVICE: the next migration of SERVICE adopts the drift
  // of its database (recorded there as a baseline).
  std::string write_migration;
  bool revert_sql = false;  // print SQL that takes each database back to its snapshot
};
// Compares each database with the snapshot stored after its last apply:
// exit 4 when anything was added, removed or changed by hand.
int RunDrift(const CommonOptions& options, const DriftOptions& drift, std::ostream& out, Log& log);

struct LintOptions {
  bool all = false;                   // every migration, not only the pending ones
  std::string format = "text";        // text or github (workflow annotations)
  std::string explain;                // --explain ID: the rule, not a check
  std::vector<std::string> services;  // --service NAME: only these services' migrations
};
// Exit 4 when a finding of error severity remains, 0 otherwise.
int RunLint(const CommonOptions& options, const LintOptions& lint, std::ostream& out, Log& log);

struct ReportOptions {
  std::vector<std::string> services;  // --service NAME or pattern
  std::string format = "text";        // text or markdown
};

// lockstep report: the platform's migration health (naming, fix migrations,
// branches and merges, downs, documentation, files edited after apply).
int RunReport(const CommonOptions& options, const ReportOptions& report, std::ostream& out,
              Log& log);

// lockstep compare ENV ENV...: per service, what each environment has
// applied, what one has and another lacks, checksum differences. 4 when they
// differ.
int RunCompare(const CommonOptions& options, const std::vector<std::string>& environments,
               std::ostream& out, Log& log);
struct HistoryOptions {
  std::vector<std::string> services;  // --service NAME or pattern
  std::string database;               // --database NAME
  size_t limit = 0;                   // --limit N: the newest N rows
  bool all = false;                   // every row, however many
};

// Oldest first; past 100 rows (and without --all) the newest 50.
int RunHistory(const CommonOptions& options, const HistoryOptions& history, std::ostream& out,
               Log& log);

// `strict`: every warning is an error (for CI).
int RunValidate(const CommonOptions& options, bool strict, std::ostream& out, Log& log);
int RunPlan(const CommonOptions& options, const PlanOptions& plan, std::ostream& out, Log& log);
// `format`: dot, mermaid or json.
int RunGraph(const CommonOptions& options, const std::string& format, std::ostream& out, Log& log);

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_CLI_COMMANDS_H_
