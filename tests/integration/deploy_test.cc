// The deployment path: lockstep wait, JSON logs, and the Kubernetes manifests
// in deploy/kubernetes run exactly as written against a real PostgreSQL.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "integration/fixture.h"
#include "manifests/sha256.h"

namespace lockstep {
namespace {

namespace fs = std::filesystem;

class DeployTest : public IntegrationTest {};

// The shard of a database, as README.md documents it: the first 32 bits of
// the SHA-256 of its name, modulo the number of shards.
int ShardOfName(const std::string& database, int shards) {
  return static_cast<int>(std::stoul(Sha256Hex(database).substr(0, 8), nullptr, 16) % shards);
}

// An Indexed Job's pods, started together: shards 0..2 of 12 tenant
// databases and a core database that every tenant's first migration needs.
// Each database is migrated by its own shard's run alone; the shards without
// core wait for it rather than apply it.
TEST_F(DeployTest, ShardsCoverEveryDatabaseOnceAndWaitForEachOther) {
  std::string dbs = "core";
  for (int t = 0; t < 12; ++t) dbs += ",t" + std::to_string(t);
  std::string env = SmallPlatform(dbs);
  p_.WriteService("core", "core");
  p_.WriteMigration("core", "001_core.up.sql", "SELECT pg_sleep(1);\nCREATE TABLE plans (x int);");
  for (int t = 0; t < 12; ++t) {
    std::string name = "tenant-" + std::to_string(t);
    p_.WriteService(name, "t" + std::to_string(t));
    p_.WriteMigration(name, "001_a.up.sql",
                      "-- lockstep:requires core:001\nCREATE TABLE a (x int);");
    p_.WriteMigration(name, "002_b.up.sql", "CREATE TABLE b (x int);");
  }
  std::vector<std::string> dirs;
  for (int i = 0; i < 3; ++i) {
    dirs.push_back(p_.root() + "/shard" + std::to_string(i));
    StartInBackground("env " + env + " " + kLockstep + " -c " + p_.config() + " --shard " +
                          std::to_string(i) + "/3 apply",
                      dirs.back());
  }
  std::vector<std::string> runs;
  for (const std::string& dir : dirs) {
    ASSERT_EQ(WaitForExit(dir), "0\n") << Slurp(dir + "/err");
    std::string err = Slurp(dir + "/err");
    size_t at = err.find("lockstep: run ");
    ASSERT_NE(at, std::string::npos) << err;
    runs.push_back(err.substr(at + 14, 12));
  }
  std::set<int> shards_used;
  for (const std::string& db :
       {std::string("core"), std::string("t0"), std::string("t1"), std::string("t2"),
        std::string("t3"), std::string("t4"), std::string("t5"), std::string("t6"),
        std::string("t7"), std::string("t8"), std::string("t9"), std::string("t10"),
        std::string("t11")}) {
    int shard = ShardOfName(db, 3);
    shards_used.insert(shard);
    EXPECT_EQ(Count(db, "SELECT string_agg(DISTINCT run_id, ',') FROM lockstep.history"),
              runs[shard])
        << db << " belongs to shard " << shard;
    EXPECT_EQ(Count(db, "SELECT count(*) FROM lockstep.history"), db == "core" ? "1" : "2") << db;
  }
  EXPECT_EQ(shards_used.size(), 3u);  // every shard had databases of its own
  // Nobody started a tenant before core:001 was in.
  std::string core_done =
      Count("core", "SELECT extract(epoch FROM finished_at) FROM lockstep.history");
  for (int t = 0; t < 12; ++t) {
    std::string db = "t" + std::to_string(t);
    std::string started =
        Count(db, "SELECT extract(epoch FROM min(started_at)) FROM lockstep.history");
    EXPECT_LE(std::stod(core_done), std::stod(started) + 0.001) << db;
  }
  // A bad shard is a usage error, before anything is read.
  Result bad = RunLockstep("-c " + p_.config() + " --shard 3/3 apply", env);
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("--shard: '3/3' is not I/N"), std::string::npos) << bad.err;
}

// A shell word in single quotes.
std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct Container {
  std::string where;  // "Job lockstep-migrate / migrate"
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;  // literal values
  std::vector<std::string> secrets;                      // envFrom secretRef names
  std::vector<std::string> probes;                       // httpGet paths
  bool init = false;
  int indexed = 0;  // an Indexed Job's completions: that many pods, JOB_COMPLETION_INDEX each
};

std::vector<YAML::Node> LoadAll(const std::string& file) { return YAML::LoadAllFromFile(file); }

// Every lockstep container of every workload in deploy/kubernetes.
std::vector<Container> LockstepContainers(std::string* configmap_platform_file) {
  std::vector<Container> out;
  for (const auto& entry : fs::directory_iterator(std::string(LOCKSTEP_DEPLOY) + "/kubernetes")) {
    if (entry.path().extension() != ".yaml") continue;
    for (const YAML::Node& doc : LoadAll(entry.path().string())) {
      std::string kind = doc["kind"].as<std::string>();
      if (kind == "ConfigMap" && doc["data"]["lockstep.yaml"]) {
        *configmap_platform_file = doc["data"]["lockstep.yaml"].as<std::string>();
      }
      if (kind != "Job" && kind != "Deployment") continue;
      YAML::Node pod = doc["spec"]["template"]["spec"];
      for (const char* list : {"initContainers", "containers"}) {
        for (const YAML::Node& c : pod[list]) {
          if (c["image"].as<std::string>().rfind("lockstep:", 0) != 0) continue;
          Container container;
          container.where = kind + " " + doc["metadata"]["name"].as<std::string>() + " / " +
                            c["name"].as<std::string>();
          container.init = std::string(list) == "initContainers";
          if (doc["spec"]["completionMode"] &&
              doc["spec"]["completionMode"].as<std::string>() == "Indexed") {
            container.indexed = doc["spec"]["completions"].as<int>();
          }
          for (const YAML::Node& w : c["command"]) container.argv.push_back(w.as<std::string>());
          for (const YAML::Node& w : c["args"]) container.argv.push_back(w.as<std::string>());
          for (const YAML::Node& e : c["env"]) {
            // A value from a Secret gets a test value of its own.
            std::string value = e["value"] ? e["value"].as<std::string>() : "from-a-secret";
            container.env.emplace_back(e["name"].as<std::string>(), value);
          }
          for (const char* probe : {"livenessProbe", "readinessProbe"}) {
            if (c[probe]) container.probes.push_back(c[probe]["httpGet"]["path"].as<std::string>());
          }
          for (const YAML::Node& e : c["envFrom"]) {
            container.secrets.push_back(e["secretRef"]["name"].as<std::string>());
          }
          out.push_back(std::move(container));
        }
      }
    }
  }
  return out;
}

TEST_F(DeployTest, KubernetesManifestsRunAsWritten) {
  std::string platform_file;
  std::vector<Container> containers = LockstepContainers(&platform_file);
  ASSERT_FALSE(platform_file.empty()) << "no ConfigMap with lockstep.yaml";
  // The image's /platform with the ConfigMap's file mounted over lockstep.yaml.
  std::string platform = p_.root() + "/platform";
  fs::copy(std::string(LOCKSTEP_EXAMPLES) + "/lyss", platform, fs::copy_options::recursive);
  std::ofstream(platform + "/lockstep.yaml") << platform_file;
  std::string urls = ExampleEnv();  // the Secrets' keys, pointing at the test server

  // The sharded Job first (its pods apply everything between them), then the
  // plain Job (nothing left), then the init containers (they wait).
  std::stable_sort(
      containers.begin(), containers.end(), [](const Container& a, const Container& b) {
        return std::make_pair(a.init, a.indexed == 0) < std::make_pair(b.init, b.indexed == 0);
      });
  int shard_pods = 0;
  int jobs = 0, waits = 0, daemons = 0;
  for (const Container& c : containers) {
    ASSERT_EQ(c.argv.at(0), "lockstep") << c.where;
    EXPECT_FALSE(c.secrets.empty()) << c.where << ": where do its database URLs come from?";
    bool serve = std::find(c.argv.begin(), c.argv.end(), "serve") != c.argv.end();
    std::string args;
    for (size_t i = 1; i < c.argv.size(); ++i) {
      std::string a = c.argv[i];
      if (a.rfind("/platform", 0) == 0) a = platform + a.substr(9);
      if (serve && i > 1 && c.argv[i - 1] == "--listen") a = "127.0.0.1:0";  // a free port
      args += Quote(a) + " ";
    }
    std::string env = urls;
    for (const auto& [name, value] : c.env) env += name + "=" + Quote(value) + " ";
    if (c.indexed > 0) {
      // Kubernetes starts every pod at once, each with its index, and expands
      // $(JOB_COMPLETION_INDEX) in args.
      std::vector<std::string> dirs;
      for (int i = 0; i < c.indexed; ++i) {
        std::string pod_args = args, index = std::to_string(i);
        for (size_t at; (at = pod_args.find("$(JOB_COMPLETION_INDEX)")) != std::string::npos;)
          pod_args.replace(at, 23, index);
        dirs.push_back(p_.root() + "/pod" + index);
        StartInBackground(
            "env " + env + "JOB_COMPLETION_INDEX=" + index + " " + kLockstep + " " + pod_args,
            dirs.back());
      }
      for (const std::string& dir : dirs) {
        EXPECT_EQ(WaitForExit(dir), "0\n") << c.where << "\n" << Slurp(dir + "/err");
        ++shard_pods;
      }
      EXPECT_EQ(Count("billing", "SELECT count(*) FROM lockstep.history"), "3") << c.where;
      continue;
    }
    if (!serve) {
      Result r = RunLockstep(args, env);
      EXPECT_EQ(r.code, 0) << c.where << ": lockstep " << args << "\n" << r.err;
      jobs += !c.init;
      waits += c.init;
      continue;
    }
    // The daemon: start it, ask its probes, stop it as Kubernetes would.
    ++daemons;
    std::string dir = p_.root() + "/daemon";
    StartInBackground("env " + env + " " + kLockstep + " " + args, dir);
    std::string port = WaitForPort(dir);
    ASSERT_FALSE(port.empty()) << Slurp(dir + "/err");
    EXPECT_EQ(c.probes.size(), 2u) << c.where;
    for (const std::string& probe : c.probes) {
      std::string code;
      for (int i = 0; i < 100 && code != "200"; ++i) {
        Shell("curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:" + port + probe, &code);
        if (code != "200") std::this_thread::sleep_for(100ms);
      }
      EXPECT_EQ(code, "200") << c.where << " " << probe;
    }
    Shell("kill -TERM $(cat " + dir + "/pid)");
    EXPECT_EQ(WaitForExit(dir), "0\n") << Slurp(dir + "/err");
  }
  EXPECT_GE(jobs, 1);
  EXPECT_GE(waits, 1);
  EXPECT_EQ(daemons, 1);
  EXPECT_EQ(shard_pods, 4);
  EXPECT_EQ(Count("billing", "SELECT count(*) FROM lockstep.history"), "3");
}

// What the next release's `kubectl apply` meets: a Job of its own (templates
// are immutable), no retries of what a retry cannot fix, a ConfigMap that
// reaches running pods and schedules rounds, reads fenced by a NetworkPolicy.
TEST_F(DeployTest, KubernetesManifestsSurviveASecondRollout) {
  std::map<std::string, YAML::Node> by_kind;
  std::vector<YAML::Node> jobs;
  int subpaths = 0;
  for (const auto& entry : fs::directory_iterator(std::string(LOCKSTEP_DEPLOY) + "/kubernetes")) {
    if (entry.path().extension() != ".yaml") continue;
    subpaths += Slurp(entry.path().string()).find("subPath:") != std::string::npos;
    for (const YAML::Node& doc : LoadAll(entry.path().string())) {
      by_kind[doc["kind"].as<std::string>()] = doc;
      if (doc["kind"].as<std::string>() == "Job") jobs.push_back(doc);
    }
  }
  EXPECT_EQ(subpaths, 0) << "a subPath mount never sees an edited ConfigMap";
  ASSERT_EQ(jobs.size(), 2u);  // one pod, and an Indexed Job of shards
  for (const YAML::Node& job : jobs) {
    std::string name = job["metadata"]["name"].as<std::string>();
    std::string image = job["spec"]["template"]["spec"]["containers"][0]["image"].as<std::string>();
    std::string tag = image.substr(image.find(':') + 1);
    std::replace(tag.begin(), tag.end(), '.', '-');
    EXPECT_EQ(name.rfind("lockstep-migrate-", 0), 0u) << name;
    EXPECT_EQ(name.substr(name.size() - tag.size()), tag) << name << ": the release in the name";
    EXPECT_GT(job["spec"]["ttlSecondsAfterFinished"].as<int>(), 0) << name;
    YAML::Node fail = job["spec"]["podFailurePolicy"]["rules"][0];
    EXPECT_EQ(fail["action"].as<std::string>(), "FailJob") << name;
    std::vector<int> codes;
    for (const YAML::Node& c : fail["onExitCodes"]["values"]) codes.push_back(c.as<int>());
    EXPECT_EQ(codes, (std::vector<int>{2, 3, 4})) << name;
    if (job["spec"]["completionMode"]) {  // the shards: "/N" must be the pod count
      std::string args = YAML::Dump(job["spec"]["template"]["spec"]["containers"][0]["args"]);
      std::string n = job["spec"]["completions"].as<std::string>();
      EXPECT_NE(args.find("$(JOB_COMPLETION_INDEX)/" + n), std::string::npos) << args;
      EXPECT_EQ(job["spec"]["parallelism"].as<std::string>(), n) << "shards start together";
    }
  }
  YAML::Node platform = YAML::Load(by_kind["ConfigMap"]["data"]["lockstep.yaml"].as<std::string>());
  EXPECT_TRUE(platform["settings"]["schedule"]["apply_pending"].as<bool>());
  ASSERT_TRUE(by_kind.count("NetworkPolicy"));
  EXPECT_EQ(
      by_kind["NetworkPolicy"]["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
          .as<std::string>(),
      "daemon");
}

TEST_F(DeployTest, SystemdUnitRunsAsWritten) {
  std::string unit = Slurp(std::string(LOCKSTEP_DEPLOY) + "/systemd/lockstep.service");
  size_t at = unit.find("\nExecStart=");
  ASSERT_NE(at, std::string::npos);
  std::string exec = unit.substr(at + 11, unit.find('\n', at + 1) - at - 11);
  const std::string binary = "/usr/local/bin/lockstep ";
  ASSERT_EQ(exec.rfind(binary, 0), 0u) << exec;
  std::string args = exec.substr(binary.size());
  size_t listen = args.find("--listen 127.0.0.1:8080");
  ASSERT_NE(listen, std::string::npos) << args;
  args.replace(listen, 23, "--listen 127.0.0.1:0");
  std::string env = ExampleEnv() + " LOCKSTEP_CONFIG=" + kExample + " LOCKSTEP_LOG_FORMAT=json";
  std::string dir = p_.root() + "/unit";
  StartInBackground("env " + env + " " + kLockstep + " " + args, dir);
  ASSERT_FALSE(WaitForPort(dir).empty()) << Slurp(dir + "/err");
  Shell("kill -HUP $(cat " + dir + "/pid)");  // ExecReload
  std::this_thread::sleep_for(300ms);
  Shell("kill -TERM $(cat " + dir + "/pid)");
  EXPECT_EQ(WaitForExit(dir), "0\n") << Slurp(dir + "/err");
  EXPECT_NE(Slurp(dir + "/err").find("reloaded"), std::string::npos) << Slurp(dir + "/err");
}

TEST_F(DeployTest, TenReplicasTwoApplyEightWait) {
  std::string env = ExampleEnv();
  std::string dir = p_.root();
  const char* waits[] = {"--service billing-service",
                         "--service token-service",
                         "--service chat-session-service",
                         "--for user-service:001",
                         "--service gateway-service",
                         "--service user-service",
                         "--for credential-service:002 --for group-service:003",
                         "--service shared-service"};
  std::string script;
  for (int i = 0; i < 10; ++i) {
    std::string command = i < 2 ? "apply" : std::string("wait --timeout 90s ") + waits[i - 2];
    std::string n = std::to_string(i);
    script += "(env " + env + " " + kLockstep + " -c " + kExample + " " + command + " >" + dir +
              "/out." + n + " 2>" + dir + "/err." + n + "; echo $? >" + dir + "/rc." + n + ") & ";
  }
  Shell(script + "wait");
  for (int i = 0; i < 10; ++i) {
    std::string n = std::to_string(i);
    EXPECT_EQ(Slurp(dir + "/rc." + n), "0\n") << i << ": " << Slurp(dir + "/err." + n);
  }
  const std::pair<const char*, const char*> expected[] = {
      {"identity", "16"}, {"platform", "6"}, {"billing", "3"}, {"chat", "3"}};
  for (auto [db, n] : expected) {
    EXPECT_EQ(Count(db,
                    "SELECT count(*) FROM lockstep.events WHERE action = 'apply' AND "
                    "status = 'applied'"),
              n)
        << db;
  }
}

TEST_F(DeployTest, WaitTimesOutWithExitFive) {
  std::string env = ExampleEnv();
  Result r = RunLockstep("-c " + kExample + " wait --service user-service --timeout 1s", env);
  EXPECT_EQ(r.code, 5) << r.err;
  EXPECT_NE(r.err.find("timed out after 1s waiting for user-service:006"), std::string::npos)
      << r.err;
}

TEST_F(DeployTest, WaitReturnsOnceApplied) {
  std::string env = ExampleEnv();
  ASSERT_EQ(RunLockstep("-c " + kExample + " apply --service auth-service", env).code, 0);
  Result r = RunLockstep("-c " + kExample + " wait --service auth-service --timeout 5s", env);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "ready\n");
  Result other =
      RunLockstep("-c " + kExample + " wait --service billing-service --timeout 1s", env);
  EXPECT_EQ(other.code, 5) << other.err;
}

TEST_F(DeployTest, WaitExitsOneWhenAMigrationFailed) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_index.up.sql",
                    "-- lockstep:no-transaction\nCREATE INDEX CONCURRENTLY i ON nope (x);");
  ASSERT_EQ(RunLockstep("-c " + p_.config() + " apply", env).code, 1);
  Result r = RunLockstep("-c " + p_.config() + " wait --for a:001 --timeout 30s", env);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("a:001 is recorded as failed"), std::string::npos) << r.err;
}

// A long CREATE INDEX CONCURRENTLY is running, not failed: init containers
// keep waiting and CI gates do not fail while its run is alive. (12 s: under
// ASan on a busy machine the three commands below took more than 4.)
TEST_F(DeployTest, RunningNoTransactionMigrationIsNotFailed) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (x int);");
  p_.WriteMigration("a", "002_index.up.sql",
                    "-- lockstep:no-transaction\nSELECT pg_sleep(12);\n"
                    "CREATE INDEX CONCURRENTLY t_x ON t (x);");
  std::string dir = p_.root() + "/apply";
  StartInBackground("env " + env + " " + kLockstep + " -c " + p_.config() + " apply", dir);
  ASSERT_TRUE(WaitFor("main",
                      "SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
                      "'%pg_sleep(12)%' AND application_name LIKE 'lockstep/%'"));
  EXPECT_EQ(Count("main", "SELECT status FROM lockstep.history WHERE version = '002'"), "running");
  Result wait = RunLockstep("-c " + p_.config() + " wait --for a:002 --timeout 1s", env);
  EXPECT_EQ(wait.code, 5) << wait.err;
  Result check = RunLockstep("-c " + p_.config() + " status --check", env);
  EXPECT_EQ(check.code, 0) << check.out << check.err;
  EXPECT_NE(check.out.find("running 002"), std::string::npos) << check.out;
  nlohmann::json status =
      nlohmann::json::parse(RunLockstep("-c " + p_.config() + " status --json", env).out);
  EXPECT_EQ(status["services"][0]["running"], nlohmann::json::array({"a:002"}));
  EXPECT_TRUE(status["services"][0]["failed"].empty());
  Result done = RunLockstep("-c " + p_.config() + " wait --for a:002 --timeout 30s", env);
  EXPECT_EQ(done.code, 0) << done.err;
  EXPECT_EQ(WaitForExit(dir), "0\n");
  EXPECT_EQ(Count("main", "SELECT status FROM lockstep.history WHERE version = '002'"), "applied");
}

// A `running` row whose run died (kill -9) is a failure: wait exits 1, apply
// stops at it, repair resolves it.
TEST_F(DeployTest, RunningRowOfADeadRunIsFailed) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_slow.up.sql", "-- lockstep:no-transaction\nSELECT pg_sleep(2);");
  std::string dir = p_.root() + "/apply";
  std::string pid =
      StartInBackground("env " + env + " " + kLockstep + " -c " + p_.config() + " apply", dir);
  ASSERT_TRUE(WaitFor("main",
                      "SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
                      "'%pg_sleep(2)%' AND application_name LIKE 'lockstep/%'"));
  ASSERT_EQ(Shell("kill -9 " + pid), 0);
  // The backend lets go of the lock once its statement ends.
  ASSERT_TRUE(WaitFor("main", "SELECT count(*) = 0 FROM pg_locks WHERE locktype = 'advisory'"));
  Result wait = RunLockstep("-c " + p_.config() + " wait --for a:001 --timeout 30s", env);
  EXPECT_EQ(wait.code, 1) << wait.err;
  EXPECT_NE(wait.err.find("a:001 is recorded as failed"), std::string::npos) << wait.err;
  Result apply = RunLockstep("-c " + p_.config() + " apply", env);
  EXPECT_EQ(apply.code, 1);
  EXPECT_NE(apply.err.find("a:001 is recorded as failed"), std::string::npos) << apply.err;
  Result repair = RunLockstep("-c " + p_.config() + " repair --service a --mark-applied", env);
  EXPECT_EQ(repair.code, 0) << repair.err;
  EXPECT_EQ(Count("main", "SELECT status FROM lockstep.history"), "applied");
}

TEST_F(DeployTest, WaitBadIdExitsTwo) {
  std::string env = ExampleEnv();
  Result r = RunLockstep("-c " + kExample + " wait --for user-service:042", env);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown migration 'user-service:042'"), std::string::npos) << r.err;
  EXPECT_EQ(RunLockstep("-c " + kExample + " wait", env).code, 2);
  EXPECT_EQ(RunLockstep("-c " + kExample + " wait --service nope", env).code, 2);
}

// Each stderr line a JSON object with time, level and message; no password.
void ExpectJsonLines(const std::string& err, const std::string& secret, int* with_fields) {
  std::istringstream lines(err);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    ++n;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(j.is_object()) << line;
    EXPECT_TRUE(j.contains("time") && j.contains("level") && j.contains("message")) << line;
    EXPECT_EQ(line.find(secret), std::string::npos) << line;
    if (j.contains("migration") && j.contains("database") && j.contains("duration_ms") &&
        j.contains("run_id") && j.contains("service")) {
      ++*with_fields;
    }
  }
  EXPECT_GT(n, 0);
}

TEST_F(DeployTest, JsonLogsAreOneObjectPerLineWithoutPasswords) {
  std::string env = SmallPlatform();
  // The server trusts local connections, so the password is accepted and unused.
  std::string url = pg_.Url("main");
  url.replace(0, std::string("postgresql:///").size(), "postgresql://postgres:s3cr3t-pw@/");
  env = "MAIN_DATABASE_URL='" + url + "'";
  p_.WriteService("a");
  p_.WriteMigration("a", "001_ok.up.sql", "CREATE TABLE ok (x int);");
  p_.WriteMigration("a", "002_bad.up.sql", "INSERT INTO nope VALUES (1);");
  int with_fields = 0;
  Result apply = RunLockstep("-c " + p_.config() + " --log-format json apply", env);
  EXPECT_EQ(apply.code, 1);
  ExpectJsonLines(apply.err, "s3cr3t-pw", &with_fields);
  EXPECT_GE(with_fields, 2);  // the two "done"/"FAILED" lines
  Result wait = RunLockstep("-c " + p_.config() + " wait --for a:002 --timeout 1s",
                            env + " LOCKSTEP_LOG_FORMAT=json");
  EXPECT_EQ(wait.code, 5);
  ExpectJsonLines(wait.err, "s3cr3t-pw", &with_fields);
  // A connection error carries the URL's host but never its password.
  Result down = RunLockstep("-c " + p_.config() + " --log-format json apply",
                            "MAIN_DATABASE_URL='postgresql://app:s3cr3t-pw@127.0.0.1:1/x'");
  EXPECT_EQ(down.code, 1);
  ExpectJsonLines(down.err, "s3cr3t-pw", &with_fields);
  Result invalid = RunLockstep("-c /nonexistent.yaml --log-format json validate");
  EXPECT_EQ(invalid.code, 2);
  ExpectJsonLines(invalid.err, "s3cr3t-pw", &with_fields);
}

TEST_F(DeployTest, VersionNamesTheCommit) {
  Result r = RunLockstep("version");
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out.rfind("lockstep 0.1.0 (commit ", 0), 0u) << r.out;
  EXPECT_EQ(RunLockstep("--version").out, r.out);
}

}  // namespace
}  // namespace lockstep
