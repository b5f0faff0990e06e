#include "daemon/engine/databases.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <random>

// Asio 1.18 uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include "adapters/postgres.h"
#include "manifests/loader.h"
#include "manifests/sha256.h"

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
  // The schemas of each member of a set of schemas: its services'.
  std::map<std::string, std::vector<std::string>> schemas_of;
  for (const Service& s : platform.model.services) {
    if (s.member.empty()) continue;
    const DatabaseConfig* config = platform.FindDatabase(s.database);
    if (config && !config->history_schema.empty()) schemas_of[s.database].push_back(s.schema);
  }
  return [&platform, env, run_id, applied_by, schemas_of](
             const std::string& name, std::string* error) -> std::unique_ptr<Database> {
    const DatabaseConfig* config = platform.FindDatabase(name);
    std::string url;
    if (!config || !ResolveDatabaseUrl(platform, *config, env, &url, error)) return nullptr;
    PostgresOptions o;
    o.url = url;
    o.database = name;
    o.history_schema = platform.HistorySchemaOf(name);
    o.lock_key = AdvisoryLockKey(config->history_schema);
    if (auto it = schemas_of.find(name); it != schemas_of.end()) o.only_schemas = it->second;
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

int ShardOf(const std::string& database, int count) {
  std::string digest = Sha256Hex(database);
  return static_cast<int>(std::stoul(digest.substr(0, 8), nullptr, 16) % count);
}

void Shard(const MigrationGraph& graph, int shard, int shards, std::vector<bool>* wanted,
           std::vector<bool>* external) {
  if (shards <= 0) return;
  const Model& model = graph.model();
  std::vector<bool> mine(graph.size(), false);
  std::vector<int> targets;
  for (int m = 0; m < graph.size(); ++m) {
    const std::string& db = model.services[model.migrations[m].service].database;
    mine[m] = ShardOf(db, shards) == shard && (wanted->empty() || (*wanted)[m]);
    if (mine[m]) targets.push_back(m);
  }
  *wanted = graph.Closure(targets);
  external->assign(graph.size(), false);
  for (int m = 0; m < graph.size(); ++m) (*external)[m] = (*wanted)[m] && !mine[m];
}

void OnlyMembers(const MigrationGraph& graph, std::vector<bool>* wanted) {
  const Model& model = graph.model();
  std::vector<int> targets;
  for (int m = 0; m < graph.size(); ++m) {
    bool member = !model.services[model.migrations[m].service].member.empty();
    if (member && (wanted->empty() || (*wanted)[m])) targets.push_back(m);
  }
  *wanted = graph.Closure(targets);
}

std::vector<Status> ReadHistoriesOf(const std::vector<std::string>& names,
                                    const DatabaseFactory& factory, int max_connections,
                                    const std::atomic<bool>* stop,
                                    std::vector<std::vector<HistoryRow>>* rows,
                                    std::vector<std::unique_ptr<Database>>* keep) {
  rows->assign(names.size(), {});
  if (keep) keep->resize(names.size());
  std::vector<Status> status(names.size());
  auto read = [&](size_t i) {
    if (stop && *stop) {
      status[i] = Status::Cancelled("stopped before the histories were read");
      return;
    }
    std::string error;
    std::unique_ptr<Database> db = factory(names[i], &error);
    status[i] = db ? db->Open() : Status::BadInput(error);
    if (status[i].ok()) status[i] = db->ReadHistory(&(*rows)[i]);
    if (keep && status[i].ok()) (*keep)[i] = std::move(db);
  };
  InParallel(names.size(), max_connections, read);
  return status;
}

void InParallel(size_t n, int max_connections, const std::function<void(size_t)>& work) {
  if (n == 0) return;
  work(0);  // on this thread first: see the header
  if (n == 1) return;
  boost::asio::thread_pool pool(
      std::max<size_t>(1, std::min<size_t>(n - 1, static_cast<size_t>(max_connections))));
  for (size_t i = 1; i < n; ++i) boost::asio::post(pool, [&work, i] { work(i); });
  pool.join();
}

std::vector<Status> ReadHistories(const Platform& platform, const DatabaseFactory& factory,
                                  std::map<std::string, std::vector<HistoryRow>>* histories) {
  std::set<std::string> names = DatabasesOf(platform);
  std::vector<std::string> list(names.begin(), names.end());
  std::vector<std::vector<HistoryRow>> rows;
  std::vector<Status> status =
      ReadHistoriesOf(list, factory, platform.settings.max_connections, nullptr, &rows);
  std::vector<Status> failures;
  for (size_t i = 0; i < list.size(); ++i) {
    if (status[i].ok()) {
      (*histories)[list[i]] = std::move(rows[i]);
    } else {
      failures.push_back(status[i]);
    }
  }
  return failures;
}

}  // namespace lockstep
