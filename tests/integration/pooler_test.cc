// lockstep through a real PgBouncer (Debian's package) in front of the
// throwaway PostgreSQL: in transaction mode the session advisory lock is
// refused with exit 2 naming `lock: lease`; the lease applies every migration
// exactly once across concurrent deploys, leaves nothing behind, survives a
// kill -9 of its holder, and fences a migration whose lease was taken over.
#include <fstream>

#include "adapters/postgres.h"
#include "integration/fixture.h"

namespace lockstep {
namespace {

const std::string kBouncer =
    ShellQuoted(std::string(LOCKSTEP_SOURCE_DIR) + "/scripts/throwaway-pgbouncer.sh");

class PoolerTest : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    dir_ = pg_.dir() + "/bouncer";  // where the postgres user can reach it
    pg_.CreateDatabase("main");
  }
  void TearDown() override {
    if (!port_.empty()) Shell(kBouncer + " stop " + ShellQuoted(dir_));
  }
  // Starts PgBouncer in `mode` and writes a platform whose database `main`
  // goes through it, with `settings` (YAML lines under settings:).
  void Start(const std::string& mode, const std::string& settings) {
    std::string out;
    ASSERT_EQ(Shell(kBouncer + " start " + ShellQuoted(dir_) + " " + ShellQuoted(pg_.dir()) + " " +
                        mode + " 2>" + p_.root() + "/bouncer.err",
                    &out),
              0)
        << Slurp(p_.root() + "/bouncer.err");
    port_ = out.substr(0, out.find('\n'));
    p_.Write("lockstep.yaml",
             "version: 1\nservices: [services/*/service.yaml]\ndatabases:\n"
             "  main: { url: \"postgresql://postgres@127.0.0.1:" +
                 port_ + "/main\" }\nsettings:\n" + settings);
    p_.WriteService("a");
  }
  void WriteMigrations(int n, const std::string& extra = "") {
    for (int i = 1; i <= n; ++i) {
      std::string v = std::to_string(1000 + i).substr(1);
      p_.WriteMigration("a", v + "_t" + v + ".up.sql",
                        "CREATE TABLE t" + v + " (x int);\nINSERT INTO t" + v + " VALUES (1);\n" +
                            (i == 3 ? extra : ""));
    }
  }
  Result Apply() { return RunLockstep("-c " + p_.config() + " apply"); }
  // Session advisory locks of lockstep held anywhere on the server.
  std::string AdvisoryLocks() {
    return Count("main", "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'");
  }

  std::string dir_, port_;
};

TEST_F(PoolerTest, AdvisoryLockThroughTransactionPoolingIsRefused) {
  ASSERT_NO_FATAL_FAILURE(Start("transaction", "  lock_timeout: 5s\n"));
  WriteMigrations(3);
  Result r = Apply();
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("pooler in transaction mode"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'lock: lease'"), std::string::npos) << r.err;
  EXPECT_EQ(Count("main", "SELECT to_regclass('lockstep.history') IS NULL"), "t");
  EXPECT_EQ(AdvisoryLocks(), "0");  // nothing left on a pooled server connection
}

// The session's timeouts are set with the first attempt at the lock, once
// the connection is known to hold a session of its own: a run refused for a
// transaction pooler used to set them first, on a server connection that
// PgBouncer then handed to other clients with lockstep's statement_timeout.
TEST_F(PoolerTest, ARefusedRunLeavesNoSettingOnPooledConnections) {
  ASSERT_NO_FATAL_FAILURE(Start("transaction", "  lock_timeout: 5s\n  statement_timeout: 1234s\n"));
  WriteMigrations(1);
  Result r = Apply();
  ASSERT_EQ(r.code, 2) << r.err;
  // As many clients at once as the pool has server connections: each gets
  // its own, so every one of them is looked at.
  std::string out;
  Shell("(for i in 1 2 3 4; do psql 'postgresql://postgres@127.0.0.1:" + port_ +
            "/main' -XAtc \"SELECT current_setting('statement_timeout'), pg_sleep(1)\" & done; "
            "wait)",
        &out);
  EXPECT_EQ(out, "0|\n0|\n0|\n0|\n");
}

TEST_F(PoolerTest, AdvisoryLockThroughSessionPoolingWorks) {
  ASSERT_NO_FATAL_FAILURE(Start("session", "  lock_timeout: 5s\n"));
  WriteMigrations(3);
  Result r = Apply();
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.history"), "3");
}

TEST_F(PoolerTest, FourConcurrentAppliesThroughPgBouncerApplyEachMigrationOnce) {
  ASSERT_NO_FATAL_FAILURE(
      Start("transaction", "  lock: lease\n  lease_ttl: 5s\n  lock_timeout: 60s\n"));
  WriteMigrations(30, "SELECT pg_sleep(0.3);\n");
  std::vector<std::string> dirs;
  for (int i = 0; i < 4; ++i) {
    dirs.push_back(p_.root() + "/run" + std::to_string(i));
    StartInBackground(kLockstep + " -c " + p_.config() + " apply", dirs.back());
  }
  int applied = 0;
  for (const std::string& d : dirs) {
    for (int i = 0; i < 1200 && Slurp(d + "/rc").empty(); ++i) std::this_thread::sleep_for(50ms);
    EXPECT_EQ(Slurp(d + "/rc"), "0\n") << Slurp(d + "/err");
    std::string err = Slurp(d + "/err");
    size_t at = err.find("lockstep: applied ");
    if (at != std::string::npos) applied += atoi(err.c_str() + at + 18);
  }
  EXPECT_EQ(applied, 30);  // each migration by exactly one of them
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.history WHERE status = 'applied'"), "30");
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.events WHERE action = 'apply'"), "30");
  EXPECT_EQ(Count("main", "SELECT sum(x) FROM t030"), "1");
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.lease"), "0");  // released
  EXPECT_EQ(AdvisoryLocks(), "0");
  EXPECT_EQ(Apply().code, 0);  // and a later run takes it at once
}

TEST_F(PoolerTest, KilledLeaseHolderIsTakenOverOnceTheLeaseExpires) {
  ASSERT_NO_FATAL_FAILURE(
      Start("transaction", "  lock: lease\n  lease_ttl: 3s\n  lock_timeout: 30s\n"));
  WriteMigrations(5, "SELECT pg_sleep(8);\n");
  std::string run = p_.root() + "/killed";
  std::string pid = StartInBackground(kLockstep + " -c " + p_.config() + " apply", run);
  ASSERT_TRUE(WaitFor("main",
                      "SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
                      "'%pg_sleep(8)%' AND pid <> pg_backend_pid()"));
  Shell("kill -9 " + pid);
  // Its lease row stays until it expires; the next run waits, then takes over.
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.lease"), "1");
  // Its server session sleeps on (PostgreSQL notices the lost client only
  // after the statement); the next run waits for it, not for the file.
  for (int i = 1; i <= 5; ++i) {
    std::string v = std::to_string(1000 + i).substr(1);
    p_.WriteMigration("a", v + "_t" + v + ".up.sql",
                      "CREATE TABLE t" + v + " (x int);\nINSERT INTO t" + v + " VALUES (1);\n");
  }
  auto start = std::chrono::steady_clock::now();
  Result r = Apply();
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("lease expires in"), std::string::npos) << r.err;
  EXPECT_GE(took, 1s);  // it waited for the expiry rather than sharing the database
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.history WHERE status = 'applied'"), "5");
  EXPECT_EQ(Count("main", "SELECT sum(x) FROM t003"), "1");
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.lease"), "0");
}

// The lease taken from under a running migration: its commit is fenced, so
// it rolls back and the run stops, rather than both runs applying it.
TEST_F(PoolerTest, MigrationWhoseLeaseWasTakenOverRollsBack) {
  ASSERT_NO_FATAL_FAILURE(
      Start("transaction", "  lock: lease\n  lease_ttl: 3s\n  lock_timeout: 30s\n"));
  WriteMigrations(5, "SELECT pg_sleep(2);\n");
  std::string run = p_.root() + "/fenced";
  StartInBackground(kLockstep + " -c " + p_.config() + " apply", run);
  ASSERT_TRUE(WaitFor("main",
                      "SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
                      "'%pg_sleep(2)%' AND pid <> pg_backend_pid()"));
  Count("main",
        "UPDATE lockstep.lease SET holder = 'someone-else', expires = clock_timestamp() + "
        "interval '1 hour'");
  ASSERT_FALSE(WaitForExit(run).empty());
  EXPECT_EQ(Slurp(run + "/rc"), "1\n") << Slurp(run + "/err");
  EXPECT_NE(Slurp(run + "/err").find("lease"), std::string::npos) << Slurp(run + "/err");
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.history"), "2");  // 001, 002
  EXPECT_EQ(Count("main", "SELECT to_regclass('t003') IS NULL"), "t");
  // The other holder's lease is left alone.
  EXPECT_EQ(Count("main", "SELECT holder FROM lockstep.lease"), "someone-else");
}

// Outside a transaction a service's schema is a session search_path, which a
// transaction pooler does not keep: refused, never run in the wrong schema.
TEST_F(PoolerTest, NoTransactionMigrationOfASchemaServiceIsRefusedThroughThePooler) {
  ASSERT_NO_FATAL_FAILURE(Start("transaction", "  lock: lease\n  lock_timeout: 30s\n"));
  p_.Write("services/b/service.yaml",
           "service: b\ndatabase: main\nschema: billing\nmigrations: migrations\n");
  p_.WriteMigration("b", "001_t.up.sql", "CREATE SCHEMA billing;\nCREATE TABLE t (x int);");
  p_.WriteMigration("b", "002_i.up.sql",
                    "-- lockstep:no-transaction\nCREATE INDEX CONCURRENTLY t_x ON t (x);");
  Result r = Apply();
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("its search_path would not stay with it"), std::string::npos) << r.err;
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.history WHERE service = 'b'"), "1");
  EXPECT_EQ(Count("main", "SELECT to_regclass('billing.t') IS NULL"), "f");
  EXPECT_EQ(Count("main", "SELECT count(*) FROM pg_indexes WHERE indexname = 't_x'"), "0");
}

// A connection that reaches the backend directly, over a Unix socket or
// TCP, is told so by one query: no pooler probe on a second connection,
// which over a fleet of a thousand databases was a thousand connections
// (issue 15). Through PgBouncer the probe still runs (the tests above).
TEST_F(PoolerTest, DirectConnectionTakesTheLockWithoutASecondConnection) {
  ASSERT_TRUE(SetOnServer("log_connections", "on"));
  std::string port = Slurp(pg_.dir() + "/port");
  while (!port.empty() && port.back() == '\n') port.pop_back();
  const std::vector<std::pair<std::string, std::string>> urls = {
      {"direct_unix", pg_.Url("direct_unix")},
      {"direct_tcp", "postgresql://postgres@127.0.0.1:" + port + "/direct_tcp"}};
  for (const auto& [name, url] : urls) {
    SCOPED_TRACE(url);
    pg_.CreateDatabase(name);
    PostgresOptions o;
    o.url = url;
    o.database = name;
    o.run_id = "direct";
    std::unique_ptr<Database> db = NewPostgresDatabase(o);
    ASSERT_TRUE(db->Open().ok());
    bool acquired = false;
    LockHolder holder;
    Status s = db->TryLock(&acquired, &holder);
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_TRUE(acquired);
    EXPECT_EQ(ConnectionsTo(name), 1);
  }
}

}  // namespace
}  // namespace lockstep
