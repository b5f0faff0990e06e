// A loaded platform: the platform file's databases and settings, and the model
// of every service and migration.
#ifndef LOCKSTEP_MANIFESTS_PLATFORM_H_
#define LOCKSTEP_MANIFESTS_PLATFORM_H_

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "graph/model.h"
#include "manifests/environments.h"

namespace lockstep {

// Where the members of a database set come from (`tenants:`).
struct TenantSource {
  enum class Kind { kNone, kList, kFile, kQuery } kind = Kind::kNone;
  std::vector<std::string> list;  // kList
  std::string file;               // kFile: as written, relative to the platform file
  std::string query;              // kQuery: SQL returning one name a row
  std::string database;           // kQuery: the plain database it runs on
  int line = 0;                   // line of `tenants:` in the platform file
};

struct DatabaseConfig {
  std::string name;      // logical name, the key under `databases`; "SET/NAME" for a member
  std::string url;       // as written, ${VAR} not yet expanded; or empty
  std::string url_file;  // as written; or empty
  int line = 0;          // line of the entry in the platform file
  // A database set: `url` holds "{tenant}" (a database per member) or not
  // (members are schemas of one database); services on it run on every member.
  TenantSource tenants;
  // A member of a set: the set's name and the member's own ("tenant", "acme").
  std::string set, tenant;
  // A member that is a schema of a shared database keeps its history apart
  // (<history_schema>_<set>_<tenant>); empty: settings.history_schema.
  std::string history_schema;

  bool is_set() const { return tenants.kind != TenantSource::Kind::kNone; }
  bool is_member() const { return !set.empty(); }
  // Members of the set are schemas of one database: no {tenant} in the url.
  bool schema_members() const { return is_set() && url.find("{tenant}") == std::string::npos; }
};

struct Schedule {
  // Time between scheduled rounds of `serve`; 0 when there is no schedule.
  std::chrono::milliseconds interval{0};
  // Whether a round applies what is pending or only reports it.
  bool apply_pending = false;
  // correct_drift: revert: a round undoes drift of indexes, comments, views,
  // functions and triggers (from the stored snapshot) and reports the rest;
  // report (the default): it reports all of it.
  bool revert_drift = false;
};

// `settings:` of the platform file, then LOCKSTEP_<NAME> from the environment.
struct Settings {
  // How long to wait for another deploy's lock on a database.
  std::chrono::milliseconds lock_timeout{60'000};
  // statement_timeout for migration statements; 0 means none.
  std::chrono::milliseconds statement_timeout{0};
  // Databases worked on at once.
  int jobs = 8;
  // Connections one run opens at once, at most (reads, locks, migrations).
  int max_connections = 32;
  // Schema of lockstep's own tables in each database.
  std::string history_schema = "lockstep";
  // After SIGINT/SIGTERM: how long running migrations may go on before they
  // are cancelled.
  std::chrono::milliseconds shutdown_grace{10'000};
  // Scheduled rounds of `serve`.
  Schedule schedule;
  // After a migration fails: stop every database (the default), or only the
  // one it failed on, the others going on.
  enum class OnFailure { kStop, kContinue } on_failure = OnFailure::kStop;
  // The migration lock: a session advisory lock, or a lease row (for
  // connections through a transaction-pooling PgBouncer).
  enum class Lock { kAdvisory, kLease } lock = Lock::kAdvisory;
  // How long a lease lives without renewal; renewed every third of it.
  std::chrono::milliseconds lease_ttl{30'000};
  // `serve` replicas elect one leader with a lock on this plain database of
  // the platform; empty: a lone daemon (standalone).
  std::string coordination;
  // settings.lint: a lint rule's severity ("error", "warning", "off") by id,
  // and the line that says so (lint checks the ids exist).
  std::map<std::string, std::string> lint;
  std::map<std::string, int> lint_lines;
  // settings.hooks: shell commands run per database before its first and
  // after its last migration of an apply (empty: none), and how long each
  // may take.
  struct Hooks {
    std::string before_apply, after_apply;
    std::chrono::milliseconds timeout{600'000};
  } hooks;
  // settings.report: the naming rule files must follow ("{date}_{number}_
  // {description}"; empty: each service's own style) and number ranges with
  // what belongs in them ("900-999": "fixes").
  struct Report {
    std::string naming;
    std::vector<std::pair<std::string, std::string>> ranges;
  } report;
};

struct Platform {
  std::string config_path;                // as given
  std::string root;                       // folder of the platform file ("" for the cwd)
  std::vector<DatabaseConfig> databases;  // in file order
  Settings settings;
  std::vector<EnvironmentConfig> environments;  // `environments:`, in file order
  Model model;

  const DatabaseConfig* FindDatabase(const std::string& name) const {
    for (const auto& d : databases) {
      if (d.name == name) return &d;
    }
    return nullptr;
  }
  // Where lockstep's own tables of database `name` live.
  const std::string& HistorySchemaOf(const std::string& name) const {
    const DatabaseConfig* d = FindDatabase(name);
    return d && !d->history_schema.empty() ? d->history_schema : settings.history_schema;
  }
};

}  // namespace lockstep

#endif  // LOCKSTEP_MANIFESTS_PLATFORM_H_
