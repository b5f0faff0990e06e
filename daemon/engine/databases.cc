#include "daemon/engine/databases.h"

#include <pwd.h>
#include <unistd.h>

#include <random>

#include "adapters/postgres.h"
#include "manifests/loader.h"

#ifndef LOCKSTEP_VERSION
#define LOCKSTEP_VERSION "dev"
#endif

namespace lockstep {
namespace {

std::string AppliedBy(const Environment& env) {
  char host[256] = "";
  gethostname(host, sizeof host - 1);
  std::string user = env("USER").value_or(env("LOGNAME").value_or(""));
  if (user.empty()) {
    const passwd* pw = getpwuid(getuid());
    user = pw ? pw->pw_name : std::to_string(getuid());
  }
  return user + "@" + host;
}

}  // namespace

std::string NewRunId() {
  std::random_device random;
  std::uniform_int_distribution<uint64_t> dist(0, (uint64_t{1} << 48) - 1);
  char buffer[16];
  snprintf(buffer, sizeof buffer, "%012llx", static_cast<unsigned long long>(dist(random)));
  return buffer;
}

std::set<std::string> DatabasesOf(const Platform& platform) {
  std::set<std::string> names;
  for (const Service& s : platform.model.services) names.insert(s.database);
  return names;
}

DatabaseFactory PostgresFactory(const Platform& platform, const Environment& env,
                                const std::string& run_id) {
  std::string applied_by = AppliedBy(env);
  return [&platform, env, run_id, applied_by](const std::string& name,
                                              std::string* error) -> std::unique_ptr<Database> {
    const DatabaseConfig* config = platform.FindDatabase(name);
    std::string url;
    if (!config || !ResolveDatabaseUrl(platform, *config, env, &url, error)) return nullptr;
    PostgresOptions o;
    o.url = url;
    o.database = name;
    o.history_schema = platform.settings.history_schema;
    o.run_id = run_id;
    o.statement_timeout = platform.settings.statement_timeout;
    o.applied_by = applied_by;
    o.lockstep_version = LOCKSTEP_VERSION;
    o.lease = platform.settings.lock == Settings::Lock::kLease;
    o.lease_ttl = platform.settings.lease_ttl;
    return NewPostgresDatabase(std::move(o));
  };
}

DatabaseFactory MakeDatabases(const CommonOptions& options, const Platform& platform,
                              const std::string& run_id) {
  if (options.databases) return options.databases(platform, run_id);
  return PostgresFactory(platform, options.env, run_id);
}

std::vector<Status> ReadHistories(const Platform& platform, const DatabaseFactory& factory,
                                  std::map<std::string, std::vector<HistoryRow>>* histories) {
  std::vector<Status> failures;
  for (const std::string& name : DatabasesOf(platform)) {
    std::string error;
    std::unique_ptr<Database> db = factory(name, &error);
    Status status = db ? db->Open() : Status::BadInput(error);
    if (status.ok()) status = db->ReadHistory(&(*histories)[name]);
    if (!status.ok()) failures.push_back(status);
  }
  return failures;
}

}  // namespace lockstep
