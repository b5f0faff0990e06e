// apply, status and history against a real PostgreSQL that each test starts
// for itself (scripts/throwaway-pg.sh). Never skipped: without a server the
// test fails and says why.
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "integration/fixture.h"

namespace lockstep {
namespace {

using namespace std::chrono_literals;

class ApplyTest : public IntegrationTest {
 protected:
  // Service a on database main with one migration that has a down file.
  void OneReversibleMigration() {
    SmallPlatform();
    p_.WriteService("a");
    p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (x int);");
    p_.WriteMigration("a", "001_t.down.sql", "DROP TABLE t;");
  }
};

// Every command that connects to a database, as a user would type it.
const char* const kDatabaseCommands[] = {"apply",
                                         "plan",
                                         "status",
                                         "history",
                                         "drift",
                                         "rollback --to a:001 --yes",
                                         "baseline --service a --version 001",
                                         "repair --service a --forget",
                                         "verify",
                                         "wait --for a:001 --timeout 2s"};

TEST_F(ApplyTest, ExamplePlatformAppliesAndReRunAppliesNothing) {
  std::string env = ExampleEnv();
  Result first = Apply(env, kExample, "--json");
  ASSERT_EQ(first.code, 0) << first.err;
  auto j = nlohmann::json::parse(first.out);
  EXPECT_EQ(j["applied"].size(), 28u);
  EXPECT_EQ(Count("identity", "SELECT count(*) FROM lockstep.history WHERE status = 'applied'"),
            "16");
  EXPECT_EQ(Count("identity", "SELECT count(*) FROM users"), "0");  // the table exists
  EXPECT_EQ(Count("identity",
                  "SELECT indisvalid FROM pg_index WHERE indexrelid = "
                  "'idx_token_logs_user_created'::regclass"),
            "t");

  Result again = Apply(env, kExample, "--json");
  ASSERT_EQ(again.code, 0) << again.err;
  auto k = nlohmann::json::parse(again.out);
  EXPECT_EQ(k["applied"].size(), 0u);
  EXPECT_EQ(k["already_applied"], 28);

  Result status = RunLockstep("-c " + kExample + " status --check --json", env);
  ASSERT_EQ(status.code, 0) << status.err;
  EXPECT_TRUE(nlohmann::json::parse(status.out)["up_to_date"].get<bool>());
  Result history = RunLockstep("-c " + kExample + " history --json", env);
  ASSERT_EQ(history.code, 0) << history.err;
  EXPECT_EQ(nlohmann::json::parse(history.out).size(), 28u);
}

TEST_F(ApplyTest, StatusCheckReportsPending) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (x int);");
  ASSERT_EQ(Apply(env, p_.config()).code, 0);
  p_.WriteMigration("a", "002_u.up.sql", "CREATE TABLE u (x int);");
  Result r = RunLockstep("-c " + p_.config() + " status --check", env);
  EXPECT_EQ(r.code, 4) << r.out << r.err;
  EXPECT_NE(r.out.find("pending 002"), std::string::npos) << r.out;
  Result plan = RunLockstep("-c " + p_.config() + " plan", env);
  EXPECT_NE(plan.out.find("plan: 1 migration on 1 database"), std::string::npos) << plan.out;
}

TEST_F(ApplyTest, EightConcurrentAppliesApplyEachMigrationOnce) {
  std::string env = ExampleEnv();
  std::string dir = p_.root();
  std::string script;
  for (int i = 0; i < 8; ++i) {
    script += "(env " + env + " " + kLockstep + " -c " + kExample + " apply >" + dir + "/out." +
              std::to_string(i) + " 2>" + dir + "/err." + std::to_string(i) + "; echo $? >" + dir +
              "/rc." + std::to_string(i) + ") & ";
  }
  Shell(script + "wait");
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(Slurp(dir + "/rc." + std::to_string(i)), "0\n")
        << Slurp(dir + "/err." + std::to_string(i));
  }
  const std::pair<const char*, const char*> expected[] = {
      {"identity", "16"}, {"platform", "6"}, {"billing", "3"}, {"chat", "3"}};
  for (auto [db, n] : expected) {
    EXPECT_EQ(Count(db, "SELECT count(*) FROM lockstep.history"), n) << db;
    EXPECT_EQ(Count(db,
                    "SELECT count(*) FROM lockstep.events WHERE action = 'apply' AND "
                    "status = 'applied'"),
              n)
        << db;
  }
}

TEST_F(ApplyTest, FailingSqlNamesFileLineAndSqlstate) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_ok.up.sql", "CREATE TABLE ok (x int);");
  p_.WriteMigration("a", "002_bad.up.sql",
                    "CREATE TABLE half (x int);\n\nINSERT INTO nope VALUES (1);\n");
  p_.WriteMigration("a", "003_after.up.sql", "CREATE TABLE after (x int);");
  Result r = Apply(env, p_.config());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(p_.Path("services/a/migrations/002_bad.up.sql") +
                       ":3: a:002 failed on "
                       "database 'main' (SQLSTATE 42P01): relation \"nope\" does not exist"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(Count("main", "SELECT string_agg(version || ' ' || status, ',') FROM lockstep.history"),
            "001 applied");
  EXPECT_EQ(Count("main", "SELECT count(*) FROM pg_tables WHERE tablename IN ('half', 'after')"),
            "0");
}

TEST_F(ApplyTest, SeedStyleFileIsAtomicWithItsHistoryRow) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_seed.up.sql",
                    "-- seed style\nBEGIN;\nCREATE TABLE s (a int);\nINSERT INTO s VALUES (1);\n"
                    "SELECT 1 / 0;\nCOMMIT;\n");
  Result r = Apply(env, p_.config());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("001_seed.up.sql:5: a:001 failed on database 'main' (SQLSTATE 22012)"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(Count("main", "SELECT count(*) FROM pg_tables WHERE tablename = 's'"), "0");
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.history"), "0");
  p_.WriteMigration("a", "001_seed.up.sql",
                    "BEGIN;\nCREATE TABLE s (a int);\nINSERT INTO s VALUES (1);\nCOMMIT;\n");
  ASSERT_EQ(Apply(env, p_.config()).code, 0);
  EXPECT_EQ(Count("main", "SELECT count(*) FROM s"), "1");
}

TEST_F(ApplyTest, LockHeldByAnotherSessionTimesOutNamingTheHolder) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (x int);");
  pg_.CreateDatabase("main");
  Shell(
      "(psql '" + pg_.Url("main") +
      "&application_name=holder' -X -q -c "
      "'SELECT pg_advisory_lock(7813573191660758384)' -c 'SELECT pg_sleep(30)' >/dev/null 2>&1 &)");
  ASSERT_TRUE(
      WaitFor("main", "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"));
  Result r = Apply(env + " LOCKSTEP_LOCK_TIMEOUT=1s", p_.config());
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("database 'main': the migration lock is held by pid "), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("(holder, from local, since "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("gave up after 1s"), std::string::npos) << r.err;
  pg_.Query(
      "main",
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'holder'");
  EXPECT_EQ(Count("main", "SELECT count(*) FROM pg_tables WHERE tablename = 't'"), "0");
}

TEST_F(ApplyTest, KilledDuringLongMigrationReRunCompletesIt) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (x int);");
  p_.WriteMigration(
      "a", "002_slow.up.sql",
      "CREATE TABLE slow (x int);\nSELECT pg_sleep(3);\nINSERT INTO slow VALUES (1);");
  std::string pid;
  Shell("env " + env + " " + kLockstep + " -c " + p_.config() + " apply >/dev/null 2>&1 & echo $!",
        &pid);
  ASSERT_TRUE(WaitFor("main",
                      "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(3)%' "
                      "AND application_name LIKE 'lockstep/%'"));
  ASSERT_EQ(Shell("kill -9 " + pid), 0);
  EXPECT_EQ(Count("main", "SELECT string_agg(version, ',') FROM lockstep.history"), "001");
  Result r = Apply(env, p_.config());  // waits for the dead run's backend to let go
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Count("main", "SELECT string_agg(version, ',' ORDER BY version) FROM lockstep.history"),
            "001,002");
  EXPECT_EQ(Count("main", "SELECT count(*) FROM slow"), "1");
}

TEST_F(ApplyTest, TerminatedConnectionFailsClearlyAndReRunConverges) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration(
      "a", "001_slow.up.sql",
      "CREATE TABLE slow (x int);\nSELECT pg_sleep(3);\nINSERT INTO slow VALUES (1);");
  std::string dir = p_.root();
  Shell("(env " + env + " " + kLockstep + " -c " + p_.config() + " apply >" + dir + "/out 2>" +
        dir + "/err; echo $? >" + dir + "/rc) >/dev/null 2>&1 &");
  ASSERT_TRUE(WaitFor("main",
                      "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(3)%' "
                      "AND application_name LIKE 'lockstep/%'"));
  pg_.Query("main",
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
            "application_name LIKE 'lockstep/%'");
  for (int i = 0; i < 200 && Slurp(dir + "/rc").empty(); ++i) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(Slurp(dir + "/rc"), "1\n");
  EXPECT_NE(Slurp(dir + "/err").find("001_slow.up.sql:2: a:001 failed on database 'main'"),
            std::string::npos)
      << Slurp(dir + "/err");
  // The server's reason, not libpqxx's "Could not obtain client encoding".
  EXPECT_NE(Slurp(dir + "/err")
                .find("lost the connection to the database: terminating "
                      "connection due to administrator command"),
            std::string::npos)
      << Slurp(dir + "/err");
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.history"), "0");
  Result r = Apply(env, p_.config());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Count("main", "SELECT count(*) FROM slow"), "1");
}

// Starts apply in the background; returns the pid of lockstep itself.
std::string StartApply(const std::string& env, const std::string& config, const std::string& dir) {
  return StartInBackground("env " + env + " " + kLockstep + " -c " + config + " apply", dir);
}

TEST_F(ApplyTest, SigtermLetsTheRunningMigrationFinishAndStartsNothingNew) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_slow.up.sql", "SELECT pg_sleep(2);\nCREATE TABLE slow (x int);");
  p_.WriteMigration("a", "002_next.up.sql", "CREATE TABLE next (x int);");
  std::string pid = StartApply(env, p_.config(), p_.root());
  ASSERT_TRUE(WaitFor("main",
                      "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(2)%' "
                      "AND application_name LIKE 'lockstep/%'"));
  Shell("kill -TERM " + pid);
  EXPECT_EQ(WaitForExit(p_.root()), "1\n");
  EXPECT_NE(
      Slurp(p_.root() + "/err").find("stopped by a signal; 1 pending migrations were not started"),
      std::string::npos)
      << Slurp(p_.root() + "/err");
  EXPECT_EQ(Count("main", "SELECT string_agg(version, ',') FROM lockstep.history"), "001");
  Result again = Apply(env, p_.config());  // the lock was released
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.history"), "2");
}

// Quick migrations go to the server in batches (issue 15), and the server
// runs a batch without waiting for lockstep: a SIGTERM while a batch's slow
// migration runs lets that one finish, and the rest of the batch, which the
// server would start on its own, is cancelled before it can commit.
TEST_F(ApplyTest, SigtermDuringABatchLetsItsRunningMigrationFinishAndStartsNothingNew) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  for (const char* name : {"001_q", "002_q", "003_q"}) {
    p_.WriteMigration("a", std::string(name) + ".up.sql",
                      "CREATE TABLE t" + std::string(name) + " (x int);");
  }
  p_.WriteMigration("a", "004_slow.up.sql", "SELECT pg_sleep(2);\nCREATE TABLE slow (x int);");
  for (const char* name : {"005_q", "006_q", "007_q"}) {
    p_.WriteMigration("a", std::string(name) + ".up.sql",
                      "CREATE TABLE t" + std::string(name) + " (x int);");
  }
  std::string pid = StartApply(env, p_.config(), p_.root());
  ASSERT_TRUE(WaitFor("main",
                      "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(2)%' "
                      "AND application_name LIKE 'lockstep/%'"));
  Shell("kill -TERM " + pid);
  EXPECT_EQ(WaitForExit(p_.root()), "1\n");
  std::string err = Slurp(p_.root() + "/err");
  EXPECT_NE(err.find("stopped by a signal; 3 pending migrations were not started"),
            std::string::npos)
      << err;
  EXPECT_EQ(err.find("FAILED"), std::string::npos) << err;
  EXPECT_EQ(Count("main", "SELECT string_agg(version, ',' ORDER BY version) FROM lockstep.history"),
            "001,002,003,004");
  EXPECT_EQ(Count("main", "SELECT count(*) FROM pg_tables WHERE tablename LIKE 't00%'"), "3");
  Result again = Apply(env, p_.config());
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.history"), "7");
}

TEST_F(ApplyTest, SigtermCancelsAfterTheGracePeriod) {
  std::string env = SmallPlatform() + " LOCKSTEP_SHUTDOWN_GRACE=200ms";
  p_.WriteService("a");
  p_.WriteMigration("a", "001_slow.up.sql", "CREATE TABLE slow (x int);\nSELECT pg_sleep(30);");
  std::string pid = StartApply(env, p_.config(), p_.root());
  ASSERT_TRUE(WaitFor("main",
                      "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' "
                      "AND application_name LIKE 'lockstep/%'"));
  Shell("kill -TERM " + pid);
  EXPECT_EQ(WaitForExit(p_.root()), "1\n");
  EXPECT_NE(
      Slurp(p_.root() + "/err").find("(SQLSTATE 57014): canceling statement due to user request"),
      std::string::npos)
      << Slurp(p_.root() + "/err");
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.history"), "0");
  EXPECT_EQ(Count("main", "SELECT count(*) FROM pg_tables WHERE tablename = 'slow'"), "0");
  EXPECT_EQ(Count("main", "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), "0");
}

TEST_F(ApplyTest, ConcurrentIndexWhileAnotherRunWaitsForTheLock) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_big.up.sql",
                    "CREATE TABLE big AS SELECT g AS id, md5(g::text) AS v FROM "
                    "generate_series(1, 200000) g;\nSELECT pg_sleep(0.5);");
  p_.WriteMigration("a", "002_index.up.sql",
                    "-- lockstep:no-transaction\nCREATE INDEX CONCURRENTLY big_v ON big (v);");
  std::string dir = p_.root();
  std::string script;
  for (int i = 0; i < 2; ++i) {
    script += "(timeout 60 env " + env + " " + kLockstep + " -c " + p_.config() + " apply >" + dir +
              "/out." + std::to_string(i) + " 2>" + dir + "/err." + std::to_string(i) +
              "; echo $? >" + dir + "/rc." + std::to_string(i) + ") & ";
  }
  Shell(script + "wait");
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(Slurp(dir + "/rc." + std::to_string(i)), "0\n")
        << Slurp(dir + "/err." + std::to_string(i));
  }
  EXPECT_EQ(Count("main", "SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_v'::regclass"),
            "t");
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.history WHERE status = 'applied'"), "2");
}

TEST_F(ApplyTest, RequirementOnAnotherDatabaseWaitsForIt) {
  std::string env = SmallPlatform("dba,dbb");
  p_.Write("services/a/service.yaml", "service: a\ndatabase: dba\n");
  p_.Write("services/b/service.yaml", "service: b\ndatabase: dbb\n");
  p_.WriteMigration("a", "001_slow.up.sql", "SELECT pg_sleep(1);\nCREATE TABLE a1 (x int);");
  p_.WriteMigration("b", "001_needs_a.up.sql",
                    "-- lockstep:requires a:001\nCREATE TABLE b1 (x int);");
  ASSERT_EQ(Apply(env, p_.config()).code, 0);
  std::string a_done = Count("dba", "SELECT extract(epoch FROM finished_at) FROM lockstep.history");
  std::string b_start = Count("dbb", "SELECT extract(epoch FROM started_at) FROM lockstep.history");
  EXPECT_LE(std::stod(a_done), std::stod(b_start) + 0.001) << a_done << " " << b_start;
}

// Locks are per lane now, taken and let go as a lane's work comes and goes:
// concurrent runs with different selections over a chain that zig-zags
// between two databases (a:001 <- b:001 <- a:002 <- ...) must neither wait
// on each other for good nor apply anything twice.
TEST_F(ApplyTest, ConcurrentRunsOverAZigZagAcrossDatabasesApplyEachOnce) {
  std::string env = SmallPlatform("dba,dbb");
  p_.Write("services/a/service.yaml", "service: a\ndatabase: dba\n");
  p_.Write("services/b/service.yaml", "service: b\ndatabase: dbb\n");
  for (int i = 1; i <= 6; ++i) {
    std::string v = "00" + std::to_string(i);
    std::string a_needs = i > 1 ? "-- lockstep:requires b:00" + std::to_string(i - 1) + "\n" : "";
    p_.WriteMigration("a", v + "_a.up.sql",
                      a_needs + "SELECT pg_sleep(0.05);\nCREATE TABLE a" + v + " (x int);");
    p_.WriteMigration("b", v + "_b.up.sql",
                      "-- lockstep:requires a:" + v + "\nSELECT pg_sleep(0.05);\nCREATE TABLE b" +
                          v + " (x int);");
  }
  const char* selections[] = {"", "", "--target b:003", "--service a", "--target a:005", ""};
  std::string dir = p_.root(), script;
  for (int i = 0; i < 6; ++i) {
    std::string n = std::to_string(i);
    script += "(env " + env + " " + kLockstep + " -c " + p_.config() + " apply " + selections[i] +
              " >" + dir + "/out." + n + " 2>" + dir + "/err." + n + "; echo $? >" + dir + "/rc." +
              n + ") & ";
  }
  auto start = std::chrono::steady_clock::now();
  Shell(script + "wait");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);  // nobody sat out a lock_timeout
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(Slurp(dir + "/rc." + std::to_string(i)), "0\n")
        << selections[i] << "\n"
        << Slurp(dir + "/err." + std::to_string(i));
  }
  for (const char* db : {"dba", "dbb"}) {
    EXPECT_EQ(Count(db, "SELECT count(*) FROM lockstep.history"), "6") << db;
    EXPECT_EQ(Count(db, "SELECT count(*) FROM lockstep.events WHERE action = 'apply'"), "6") << db;
  }
}

// settings.on_failure: continue on real databases: two of three fail, the
// third is migrated to the end, exit 1 names both failed databases.
TEST_F(ApplyTest, OnFailureContinueMigratesTheOthersAndNamesTheFailed) {
  std::string env = SmallPlatform("d1,d2,d3");
  p_.Write("lockstep.yaml", Slurp(p_.config()) + "settings:\n  on_failure: continue\n");
  for (int i = 1; i <= 3; ++i) {
    std::string s = "s" + std::to_string(i);
    p_.Write("services/" + s + "/service.yaml",
             "service: " + s + "\ndatabase: d" + std::to_string(i) + "\n");
    p_.WriteMigration(s, "001_a.up.sql", i == 3 ? "CREATE TABLE a (x int);" : "SELECT 1/0;");
    p_.WriteMigration(s, "002_b.up.sql", "CREATE TABLE b (x int);");
  }
  Result r = Apply(env, p_.config());
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("failed on 2 databases (the others went on: settings.on_failure: "
                       "continue): d1, d2"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("applied 2, already applied 0, failed 2, not started 2"), std::string::npos)
      << r.err;
  EXPECT_EQ(Count("d3", "SELECT count(*) FROM lockstep.history"), "2");
  EXPECT_EQ(Count("d1", "SELECT count(*) FROM lockstep.history"), "0");
}

// libpq's own parse errors quote the text they choke on, which can be the
// password; lockstep never shows any part of a URL that failed to parse.
TEST_F(ApplyTest, PasswordNeverLeaksFromAMalformedUrl) {
  OneReversibleMigration();
  for (const char* url : {"postgresql://u:%ZZsecret-pw@db/x",
                          "postgresql://u:secret-pw@db/x?bogus=1", "mysql://u:secret-pw@db/x"}) {
    for (const char* command : kDatabaseCommands) {
      Result r = RunLockstep("-c " + p_.config() + " " + command,
                             std::string("MAIN_DATABASE_URL='") + url + "'");
      EXPECT_EQ(r.code, 2) << command << " " << url << "\n" << r.err;
      EXPECT_EQ((r.out + r.err).find("secret-pw"), std::string::npos) << command << "\n" << r.err;
      EXPECT_EQ(r.err.find("applied 0"), std::string::npos) << command << "\n" << r.err;
    }
  }
}

// An unset ${VAR}, an empty URL and a URL that is not PostgreSQL's are
// configuration: exit 2 whatever the command.
TEST_F(ApplyTest, ConfigurationErrorsExitTwoEverywhere) {
  OneReversibleMigration();
  for (const char* env : {"", "MAIN_DATABASE_URL=", "MAIN_DATABASE_URL=mysql://u@h/db"}) {
    for (const char* command : kDatabaseCommands) {
      Result r = RunLockstep("-c " + p_.config() + " " + command, env);
      EXPECT_EQ(r.code, 2) << command << " [" << env << "]\n" << r.err;
    }
  }
}

// A history the size of a real project's (kratos and crates.io carry over a
// hundred empty down files, crates.io one broken down): it applies, re-runs
// as a no-op, and the warnings stay a handful of lines.
TEST_F(ApplyTest, RealWorldSizedHistoryAppliesWithBoundedWarnings) {
  std::string env = SmallPlatform();
  int empty = 0, broken = 0;
  for (const char* service : {"accounts", "billing", "search"}) {
    p_.WriteService(service);
    for (int v = 1; v <= 100; ++v) {
      char version[8];
      snprintf(version, sizeof version, "%03d", v);
      std::string table = std::string(service) + "_" + version;
      std::string stem = std::string(version) + "_step";
      p_.WriteMigration(service, stem + ".up.sql", "CREATE TABLE " + table + " (id int);");
      if (v % 5 == 0) {
        p_.WriteMigration(service, stem + ".down.sql", "-- irreversible\n");
        ++empty;
      } else if (v == 51) {
        p_.WriteMigration(
            service, stem + ".down.sql",
            "BEGIN;\nCREATE INDEX CONCURRENTLY i_" + table + " ON " + table + " (id);\nCOMMIT;\n");
        ++broken;
      } else if (v % 7 != 0) {
        p_.WriteMigration(service, stem + ".down.sql", "DROP TABLE " + table + ";");
      }
    }
  }
  ASSERT_EQ(empty, 60);
  ASSERT_EQ(broken, 3);
  Result first = Apply(env, p_.config());
  ASSERT_EQ(first.code, 0) << first.err;
  auto warning_lines = [](const std::string& err) {
    int n = 0;
    std::istringstream lines(err);
    for (std::string line; std::getline(lines, line);)
      n += line.find("warning: ") != std::string::npos;
    return n;
  };
  EXPECT_LE(warning_lines(first.err), 3) << first.err;
  EXPECT_NE(first.err.find("warning: 60 down files hold no SQL statement"), std::string::npos)
      << first.err;
  EXPECT_NE(first.err.find("applied 300, already applied 0"), std::string::npos) << first.err;
  Result again = Apply(env, p_.config());
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.err.find("applied 0, already applied 300"), std::string::npos) << again.err;
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.history"), "300");
  Result verbose = RunLockstep("-c " + p_.config() + " --verbose validate", env);
  EXPECT_EQ(warning_lines(verbose.err), 63) << verbose.err;
}

TEST_F(ApplyTest, PasswordsNeverAppearInOutput) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (x int);");
  Result r = Apply("MAIN_DATABASE_URL='postgresql://app:hunter2@127.0.0.1:1/none'", p_.config());
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err.find("hunter2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("database 'main': cannot connect"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace lockstep
