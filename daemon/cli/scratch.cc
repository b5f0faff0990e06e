#include "daemon/cli/scratch.h"

#include <algorithm>

#include "adapters/connection_string.h"
#include "adapters/postgres.h"
#include "daemon/cli/context.h"
#include "manifests/loader.h"

namespace lockstep {

ScratchDatabases::ScratchDatabases(const Platform& platform, const CommonOptions& options,
                                   std::string scratch_url, bool keep, std::string purpose)
    : platform_(platform),
      options_(options),
      scratch_url_(std::move(scratch_url)),
      keep_(keep),
      purpose_(std::move(purpose)),
      run_id_(NewRunId()) {}

ScratchDatabases::~ScratchDatabases() {
  scratch_.clear();  // disconnect first
  for (auto& [db, admin] : admin_) {
    if (!keep_) admin->Execute("DROP DATABASE IF EXISTS \"" + names_[db] + "\" WITH (FORCE)");
  }
}

Status ScratchDatabases::Make(const std::string& db, std::ostream& out) {
  std::string url = scratch_url_, error;
  const DatabaseConfig* config = platform_.FindDatabase(db);
  if (url.empty() && !config) return Status::BadInput(purpose_ + ": no database '" + db + "'");
  if (url.empty() && !ResolveDatabaseUrl(platform_, *config, options_.env, &url, &error)) {
    return Status::BadInput(purpose_ + ": " + error);
  }
  std::string name = "lockstep_" + purpose_ + "_" + run_id_ + "_" + db;
  std::replace(name.begin(), name.end(), '-', '_');
  names_[db] = name;
  admin_[db] = Open(url, db);
  Status s = admin_[db]->Open();
  if (s.ok()) s = admin_[db]->Execute("CREATE DATABASE \"" + name + "\"");
  if (s.ok()) {
    scratch_[db] = Open(WithDatabaseName(url, name), db + " (scratch)");
    s = scratch_[db]->Open();
  }
  if (s.ok()) s = scratch_[db]->EnsureSchema();
  if (!s.ok()) {
    return s.WithMessage(purpose_ + ": cannot make a scratch database for '" + db +
                         "': " + s.message());
  }
  out << "scratch database " << name << " for " << db << "\n";
  return Status::Ok();
}

std::unique_ptr<Database> ScratchDatabases::Open(const std::string& url, const std::string& db) {
  PostgresOptions o;
  o.url = url;
  o.database = db;
  o.history_schema = platform_.settings.history_schema;
  o.run_id = run_id_;
  o.applied_by = "lockstep " + purpose_;
  o.lockstep_version = purpose_;
  return NewPostgresDatabase(std::move(o));
}

}  // namespace lockstep
