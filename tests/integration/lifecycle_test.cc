// The life of a migration after its first apply, on a real PostgreSQL:
// rollback, checksums, out-of-order, baseline and import, repair, plan --sql,
// verify, new and merge.
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "integration/fixture.h"

namespace lockstep {
namespace {

namespace fs = std::filesystem;

class LifecycleTest : public IntegrationTest {
 protected:
  Result Lockstep(const std::string& args, const std::string& env) {
    return RunLockstep("-c " + p_.config() + " " + args, env);
  }
};

TEST_F(LifecycleTest, RollingBackARequiredMigrationRollsBackItsDependentsOnAnotherDatabaseFirst) {
  std::string env = SmallPlatform("dba,dbb");
  p_.Write("services/a/service.yaml", "service: a\ndatabase: dba\n");
  p_.Write("services/b/service.yaml", "service: b\ndatabase: dbb\n");
  p_.WriteMigration("a", "001_a1.up.sql", "CREATE TABLE a1 (x int);");
  p_.WriteMigration("a", "001_a1.down.sql", "DROP TABLE a1;");
  p_.WriteMigration("b", "001_b1.up.sql", "-- lockstep:requires a:001\nCREATE TABLE b1 (x int);");
  p_.WriteMigration("b", "001_b1.down.sql", "DROP TABLE b1;");
  p_.WriteMigration("b", "002_b2.up.sql", "CREATE TABLE b2 (x int);");
  p_.WriteMigration("b", "002_b2.down.sql", "DROP TABLE b2;");
  ASSERT_EQ(Lockstep("apply", env).code, 0);

  Result dry = Lockstep("rollback --target a:001 --dry-run", env);
  ASSERT_EQ(dry.code, 0) << dry.err;
  EXPECT_EQ(dry.out,
            "rollback: 3 migrations, dependents first\n  dbb  b:002  b2\n  dbb  b:001  b1\n"
            "  dba  a:001  a1\n");
  EXPECT_EQ(Count("dbb", "SELECT count(*) FROM lockstep.history"), "2");  // dry run: nothing done

  Result r = Lockstep("rollback --target a:001 --yes", env);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Count("dba", "SELECT count(*) FROM lockstep.history"), "0");
  EXPECT_EQ(Count("dbb", "SELECT count(*) FROM lockstep.history"), "0");
  EXPECT_EQ(Count("dbb", "SELECT count(*) FROM pg_tables WHERE tablename IN ('b1', 'b2')"), "0");
  std::string b_done = Count(
      "dbb", "SELECT extract(epoch FROM max(at)) FROM lockstep.events WHERE action = 'rollback'");
  std::string a_done = Count(
      "dba", "SELECT extract(epoch FROM max(at)) FROM lockstep.events WHERE action = 'rollback'");
  EXPECT_LE(std::stod(b_done), std::stod(a_done));
  ASSERT_EQ(Lockstep("apply", env).code, 0);  // and back up
  EXPECT_EQ(Count("dbb", "SELECT count(*) FROM lockstep.history"), "2");
}

TEST_F(LifecycleTest, ToStepsAndAMissingDownFile) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (x int);");
  p_.WriteMigration("a", "001_t.down.sql", "DROP TABLE t;");
  p_.WriteMigration("a", "002_u.up.sql", "CREATE TABLE u (x int);");
  p_.WriteMigration("a", "003_v.up.sql", "CREATE TABLE v (x int);");
  p_.WriteMigration("a", "003_v.down.sql", "DROP TABLE v;");
  ASSERT_EQ(Lockstep("apply", env).code, 0);
  Result refused = Lockstep("rollback --to a:001 --yes", env);
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(
      refused.err.find("these migrations have no down file that can run:\n  a:002: no down file (" +
                       p_.Path("services/a/migrations/002_u.down.sql") + ")"),
      std::string::npos)
      << refused.err;
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.history"), "3");  // nothing ran
  ASSERT_EQ(Lockstep("rollback --steps 1 --yes", env).code, 0);
  EXPECT_EQ(Count("main", "SELECT string_agg(version, ',' ORDER BY version) FROM lockstep.history"),
            "001,002");
  p_.WriteMigration("a", "002_u.down.sql", "DROP TABLE u;");
  ASSERT_EQ(Lockstep("rollback --to a:001 --yes", env).code, 0);
  EXPECT_EQ(Count("main", "SELECT string_agg(version, ',') FROM lockstep.history"), "001");
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.events WHERE action = 'rollback'"), "2");
}

// accounts:001 <- invoices:001, accounts:002 <- invoices:002 (and invoices:001
// <- invoices:002 as its parent).
class RollbackToTest : public LifecycleTest {
 protected:
  std::string Platform() {
    std::string env = SmallPlatform("acc,inv");
    p_.Write("services/accounts/service.yaml", "service: accounts\ndatabase: acc\n");
    p_.Write("services/invoices/service.yaml", "service: invoices\ndatabase: inv\n");
    p_.WriteMigration("accounts", "001_accounts.up.sql", "CREATE TABLE accounts (id int);");
    p_.WriteMigration("accounts", "001_accounts.down.sql", "DROP TABLE accounts;");
    p_.WriteMigration("accounts", "002_email.up.sql", "ALTER TABLE accounts ADD email text;");
    p_.WriteMigration("accounts", "002_email.down.sql", "ALTER TABLE accounts DROP email;");
    p_.WriteMigration("invoices", "001_invoices.up.sql",
                      "-- lockstep:requires accounts:001\nCREATE TABLE invoices (id int);");
    p_.WriteMigration("invoices", "001_invoices.down.sql", "DROP TABLE invoices;");
    p_.WriteMigration("invoices", "002_email.up.sql",
                      "-- lockstep:requires accounts:002\nALTER TABLE invoices ADD email text;");
    p_.WriteMigration("invoices", "002_email.down.sql", "ALTER TABLE invoices DROP email;");
    EXPECT_EQ(Lockstep("apply", env).code, 0);
    pg_.Query("inv", "INSERT INTO invoices VALUES (1), (2)");
    return env;
  }
};

TEST_F(RollbackToTest, RollbackToKeepsDependentsOfKeptVersion) {
  std::string env = Platform();
  Result dry = Lockstep("rollback --to accounts:001 --dry-run", env);
  ASSERT_EQ(dry.code, 0) << dry.err;
  EXPECT_EQ(dry.out,
            "rollback: 2 migrations, dependents first\n"
            "  inv  invoices:002  email\n  acc  accounts:002  email\n");
  Result r = Lockstep("rollback --to accounts:001 --yes", env);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Count("acc", "SELECT string_agg(version, ',') FROM lockstep.history"), "001");
  EXPECT_EQ(Count("inv", "SELECT string_agg(version, ',') FROM lockstep.history"), "001");
  EXPECT_EQ(Count("inv", "SELECT count(*) FROM invoices"), "2");  // its rows are still there
}

TEST_F(RollbackToTest, RollbackTargetStillTakesEverythingThatDependsOnIt) {
  std::string env = Platform();
  Result dry = Lockstep("rollback --target accounts:001 --dry-run", env);
  ASSERT_EQ(dry.code, 0) << dry.err;
  EXPECT_EQ(dry.out,
            "rollback: 4 migrations, dependents first\n"
            "  inv  invoices:002  email\n  inv  invoices:001  invoices\n"
            "  acc  accounts:002  email\n  acc  accounts:001  accounts\n");
}

TEST_F(RollbackToTest, RollbackWithoutYesIsRefusedWhenNoOneCanAnswer) {
  std::string env = Platform();
  Result r = Lockstep("rollback --to accounts:001 </dev/null", env);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("rollback: would roll back 2 migrations (their down files run; what they "
                       "drop is lost); nothing was touched. Run it again with --yes to go ahead, "
                       "or --dry-run to only see the plan"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(Count("acc", "SELECT string_agg(version, ',' ORDER BY version) FROM lockstep.history"),
            "001,002");
}

TEST_F(RollbackToTest, RollbackAsksOnATerminal) {
  std::string env = Platform();
  // `script` gives lockstep a terminal; the answer comes through it.
  auto on_terminal = [&](const std::string& answer) {
    std::string out;
    int code =
        Shell("printf '" + answer + "\\n' | env " + env + " script -qec " +
                  ShellQuoted(kLockstep + " -c " + p_.config() + " rollback --to accounts:001") +
                  " /dev/null",
              &out);
    return std::make_pair(code, out);
  };
  auto [no_code, no_out] = on_terminal("n");
  EXPECT_NE(no_out.find("roll back 2 migrations (their down files run; what they drop is lost)? "
                        "[y/N]"),
            std::string::npos)
      << no_out;
  EXPECT_NE(no_out.find("not confirmed; nothing was touched"), std::string::npos) << no_out;
  EXPECT_EQ(Count("acc", "SELECT count(*) FROM lockstep.history"), "2");
  auto [yes_code, yes_out] = on_terminal("y");
  EXPECT_EQ(yes_code, 0) << yes_out;
  EXPECT_EQ(Count("acc", "SELECT count(*) FROM lockstep.history"), "1");
}

// crates.io's history holds a down file with CREATE INDEX CONCURRENTLY inside
// a transaction: nobody ever ran it, and it must not stop a deploy.
TEST_F(LifecycleTest, BrokenDownFileDoesNotBlockApply) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (x int);");
  p_.WriteMigration("a", "001_t.down.sql",
                    "BEGIN;\nDROP TABLE t;\nCREATE INDEX CONCURRENTLY t_x ON t (x);\nCOMMIT;\n");
  p_.WriteMigration("a", "002_u.up.sql", "CREATE TABLE u (x int);");
  p_.WriteMigration("a", "002_u.down.sql", "DROP TABLE u;");
  Result apply = Lockstep("apply", env);
  ASSERT_EQ(apply.code, 0) << apply.err;
  EXPECT_NE(apply.err.find("001_t.down.sql:3: warning: "), std::string::npos) << apply.err;
  EXPECT_EQ(Lockstep("rollback --to a:001 --yes", env).code, 0);  // 002's down is fine
  Result refused = Lockstep("rollback --target a:001 --yes", env);
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(refused.err.find("a:001: its down file cannot run: " +
                             p_.Path("services/a/migrations/001_t.down.sql") + ":3: "),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.history"), "1");
  Result strict = Lockstep("validate --strict", env);
  EXPECT_EQ(strict.code, 2);
  EXPECT_NE(strict.err.find("001_t.down.sql:3: "), std::string::npos) << strict.err;
  EXPECT_EQ(Lockstep("validate", env).code, 0);
}

TEST_F(LifecycleTest, AnEditedAppliedFileIsCaught) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (x int);");
  ASSERT_EQ(Lockstep("apply", env).code, 0);
  p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (x bigint);");
  p_.WriteMigration("a", "002_u.up.sql", "CREATE TABLE u (x int);");
  Result r = Lockstep("apply", env);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(p_.Path("services/a/migrations/001_t.up.sql") +
                       ": a:001 was applied with checksum "),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("restore the file and put the change in a new migration"),
            std::string::npos);
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.history"), "1");  // 002 did not run
  Result status = Lockstep("status --check", env);
  EXPECT_EQ(status.code, 4);
  EXPECT_NE(status.out.find("CHECKSUM MISMATCH 001"), std::string::npos) << status.out;
}

TEST_F(LifecycleTest, AppliedMigrationWithoutAFileIsUnknownApplied) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (x int);");
  p_.WriteMigration("a", "002_u.up.sql", "CREATE TABLE u (x int);");
  ASSERT_EQ(Lockstep("apply", env).code, 0);
  fs::remove(p_.Path("services/a/migrations/002_u.up.sql"));
  Result status = Lockstep("status", env);
  EXPECT_NE(
      status.out.find("unknown-applied on main: a:002 u (recorded, but no such migration file)"),
      std::string::npos)
      << status.out;
}

TEST_F(LifecycleTest, OutOfOrderNeedsToBeAllowed) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (x int);");
  p_.WriteMigration("a", "003_v.up.sql", "CREATE TABLE v (x int);");
  ASSERT_EQ(Lockstep("apply", env).code, 0);
  p_.WriteMigration("a", "002_u.up.sql", "-- lockstep:parents 001\nCREATE TABLE u (x int);");
  EXPECT_NE(Lockstep("status", env).out.find("pending 002; OUT OF ORDER 002"), std::string::npos)
      << Lockstep("status", env).out;
  Result refused = Lockstep("apply", env);
  EXPECT_EQ(refused.code, 2) << refused.err;
  EXPECT_NE(refused.err.find("out of order: a:002 (older than a:003)"), std::string::npos)
      << refused.err;
  ASSERT_EQ(Lockstep("apply --allow-out-of-order", env).code, 0);
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.history"), "3");
}

TEST_F(LifecycleTest, BaselineRecordsWithoutRunning) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (x int);");
  p_.WriteMigration("a", "002_u.up.sql", "CREATE TABLE u (x int);");
  p_.WriteMigration("a", "003_v.up.sql", "CREATE TABLE v (x int);");
  pg_.Query("main", "CREATE TABLE t (x int); CREATE TABLE u (x int);");  // made before lockstep
  Result r = Lockstep("baseline --service a --version 002", env);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "  baseline  a:001  t\n  baseline  a:002  u\n");
  EXPECT_EQ(Count("main", "SELECT string_agg(status, ',') FROM lockstep.history"),
            "baseline,baseline");
  ASSERT_EQ(Lockstep("apply", env).code, 0);  // runs only 003
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.history WHERE status = 'applied'"), "1");
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.events WHERE action = 'baseline'"), "2");
}

TEST_F(LifecycleTest, ImportFromOtherToolsHistory) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_init.up.sql", "CREATE TABLE t (x int);");
  p_.WriteMigration("a", "002_10967fd178d8_add_u.up.sql", "CREATE TABLE u (x int);");
  p_.WriteMigration("a", "003_v.up.sql", "CREATE TABLE v (x int);");
  pg_.Query(
      "main",
      "CREATE TABLE flyway_schema_history (installed_rank int, version text, description text, "
      "success bool); INSERT INTO flyway_schema_history VALUES (1, '1', 'init', true), "
      "(2, '2', 'add u', true), (3, '7', 'gone', true), (4, '3', 'failed', false);");
  Result flyway = Lockstep("baseline --import flyway", env);
  EXPECT_EQ(flyway.code, 1);  // one entry matched nothing: say so
  EXPECT_NE(flyway.out.find("matched    1 -> a:001"), std::string::npos) << flyway.out;
  EXPECT_NE(flyway.out.find("matched    2 -> a:002"), std::string::npos);
  EXPECT_NE(flyway.out.find("unmatched  7 (no lockstep migration matches)"), std::string::npos);
  // An import that exits 1 writes nothing: half an import is an out-of-order state.
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.history"), "0");
  pg_.Query("main", "DELETE FROM flyway_schema_history WHERE version = '7'");
  ASSERT_EQ(Lockstep("baseline --import flyway", env).code, 0);
  EXPECT_EQ(Count("main", "SELECT string_agg(version, ',' ORDER BY version) FROM lockstep.history"),
            "001,002");

  pg_.CreateDatabase("main");
  pg_.Query("main",
            "CREATE TABLE schema_migrations (version bigint, dirty bool); "
            "INSERT INTO schema_migrations VALUES (2, false);");
  Result golang = Lockstep("baseline --import golang-migrate", env);
  EXPECT_EQ(golang.code, 0) << golang.out << golang.err;
  EXPECT_EQ(Count("main", "SELECT string_agg(version, ',' ORDER BY version) FROM lockstep.history"),
            "001,002");
  pg_.Query("main", "UPDATE schema_migrations SET dirty = true");
  EXPECT_EQ(Lockstep("baseline --import golang-migrate", env).code, 1);

  pg_.CreateDatabase("main");
  pg_.Query("main",
            "CREATE TABLE schema_migrations (version varchar(255) PRIMARY KEY); "
            "INSERT INTO schema_migrations VALUES ('001'), ('003');");
  Result dbmate = Lockstep("baseline --import dbmate", env);
  EXPECT_EQ(dbmate.code, 0) << dbmate.out << dbmate.err;
  EXPECT_EQ(Count("main", "SELECT string_agg(version, ',' ORDER BY version) FROM lockstep.history"),
            "001,003");

  pg_.CreateDatabase("main");
  pg_.Query("main",
            "CREATE SCHEMA sqitch; CREATE TABLE sqitch.changes (change text, committed_at "
            "timestamptz); INSERT INTO sqitch.changes VALUES ('init', now());");
  Result sqitch = Lockstep("baseline --import sqitch", env);
  EXPECT_EQ(sqitch.code, 0) << sqitch.out << sqitch.err;
  EXPECT_EQ(Count("main", "SELECT string_agg(version, ',' ORDER BY version) FROM lockstep.history"),
            "001");

  pg_.CreateDatabase("main");
  pg_.Query("main",
            "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); "
            "INSERT INTO alembic_version VALUES ('10967fd178d8');");
  Result alembic = Lockstep("baseline --import alembic", env);
  EXPECT_EQ(alembic.code, 0) << alembic.out << alembic.err;
  EXPECT_EQ(Count("main", "SELECT string_agg(version, ',' ORDER BY version) FROM lockstep.history"),
            "001,002");
}

TEST_F(LifecycleTest, SqitchImportMatchesChangeNamesExactly) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_users.up.sql", "CREATE TABLE users (x int);");
  p_.WriteMigration("a", "002_users_phone.up.sql", "ALTER TABLE users ADD phone text;");
  pg_.Query("main",
            "CREATE TABLE users (x int); CREATE SCHEMA sqitch; CREATE TABLE sqitch.changes "
            "(change text, committed_at timestamptz); INSERT INTO sqitch.changes VALUES "
            "('users', now());");
  Result sqitch = Lockstep("baseline --import sqitch", env);
  EXPECT_EQ(sqitch.code, 0) << sqitch.out << sqitch.err;
  EXPECT_NE(sqitch.out.find("matched    users -> a:001\n"), std::string::npos) << sqitch.out;
  EXPECT_EQ(Count("main", "SELECT string_agg(version, ',') FROM lockstep.history"), "001");
  ASSERT_EQ(Lockstep("apply", env).code, 0);  // 002 runs: its column exists
  EXPECT_EQ(
      Count("main", "SELECT count(*) FROM information_schema.columns WHERE column_name = 'phone'"),
      "1");
}

TEST_F(LifecycleTest, ImportThatMatchesOnOneDatabaseButNotAnotherWritesNothing) {
  std::string env = SmallPlatform("dba,dbb");
  p_.Write("services/a/service.yaml", "service: a\ndatabase: dba\n");
  p_.Write("services/b/service.yaml", "service: b\ndatabase: dbb\n");
  p_.WriteMigration("a", "001_x.up.sql", "SELECT 1;");
  p_.WriteMigration("b", "001_y.up.sql", "SELECT 1;");
  for (const char* db : {"dba", "dbb"}) {
    pg_.Query(db, "CREATE TABLE schema_migrations (version varchar(255) PRIMARY KEY);");
  }
  pg_.Query("dba", "INSERT INTO schema_migrations VALUES ('001')");
  pg_.Query("dbb", "INSERT INTO schema_migrations VALUES ('001'), ('099')");
  Result dbmate = Lockstep("baseline --import dbmate", env);
  EXPECT_EQ(dbmate.code, 1) << dbmate.out << dbmate.err;
  EXPECT_NE(dbmate.err.find("nothing was recorded"), std::string::npos) << dbmate.err;
  EXPECT_EQ(Count("dba", "SELECT count(*) FROM lockstep.history"), "0");
  EXPECT_EQ(Count("dbb", "SELECT count(*) FROM lockstep.history"), "0");
}

TEST_F(LifecycleTest, RepairForgetsOrMarksAFailedMigration) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_index.up.sql",
                    "-- lockstep:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (x);");
  ASSERT_EQ(Lockstep("apply", env).code, 1);
  Result stopped = Lockstep("apply", env);
  EXPECT_EQ(stopped.code, 1);
  EXPECT_NE(stopped.err.find("lockstep repair --service a --mark-applied"), std::string::npos)
      << stopped.err;
  EXPECT_EQ(Lockstep("repair --service a", env).code, 2);  // which way?
  pg_.Query("main", "CREATE TABLE t (x int)");
  Result forget = Lockstep("repair --service a --forget", env);
  ASSERT_EQ(forget.code, 0) << forget.err;
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.history"), "0");
  ASSERT_EQ(Lockstep("apply", env).code, 0);
  EXPECT_EQ(Lockstep("repair --service a --forget", env).code, 2);  // nothing failed now

  p_.WriteMigration("a", "002_index.up.sql",
                    "-- lockstep:no-transaction\nCREATE INDEX CONCURRENTLY j ON nope (x);");
  ASSERT_EQ(Lockstep("apply", env).code, 1);
  pg_.Query("main", "CREATE INDEX j ON t (x)");  // finished by hand, differently
  ASSERT_EQ(Lockstep("repair --service a --mark-applied", env).code, 0);
  EXPECT_EQ(Count("main", "SELECT status FROM lockstep.history WHERE version = '002'"), "applied");
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.events WHERE action = 'repair'"), "2");
  EXPECT_EQ(Lockstep("status --check", env).code, 0);
}

TEST_F(LifecycleTest, PlanSqlRunWithPsqlGivesTheSameSchemaAsApply) {
  std::string env = ExampleEnv();
  ASSERT_EQ(RunLockstep("-c " + kExample + " apply", env).code, 0);
  std::string dumps;
  for (const char* db : kExampleDatabases) {
    std::string copy = std::string(db) + "_sql";
    pg_.CreateDatabase(copy);
    Result script = RunLockstep("-c " + kExample + " plan --offline --sql --database " + db, env);
    ASSERT_EQ(script.code, 0) << script.err;
    std::ofstream(p_.root() + "/" + db + ".sql") << script.out;
    std::string out;
    ASSERT_EQ(
        Shell("psql '" + pg_.Url(copy) + "' -X -q -f " + p_.root() + "/" + db + ".sql 2>&1", &out),
        0)
        << out;
    // pg_dump's \restrict lines carry a random key: leave them out.
    std::string a, b;
    const std::string dump = "pg_dump --schema-only --no-owner --exclude-schema=lockstep '";
    Shell(dump + pg_.Url(db) + "' | grep -v '^.restrict\\|^.unrestrict'", &a);
    Shell(dump + pg_.Url(copy) + "' | grep -v '^.restrict\\|^.unrestrict'", &b);
    EXPECT_GT(a.size(), 1000u) << db;
    EXPECT_TRUE(a == b) << db << ": the schemas differ (diff the pg_dump of " << db << " and "
                        << copy << ")";
    EXPECT_EQ(Count(db,
                    "SELECT string_agg(service || ':' || version, ',' ORDER BY service, version) "
                    "FROM lockstep.history"),
              Count(copy,
                    "SELECT string_agg(service || ':' || version, ',' ORDER BY service, version) "
                    "FROM lockstep.history"));
  }
  // And back: rollback --sql undoes it.
  Result down = RunLockstep(
      "-c " + kExample + " rollback --target shared-service:001 --sql --database platform", env);
  ASSERT_EQ(down.code, 0) << down.err;
  std::ofstream(p_.root() + "/down.sql") << down.out;
  std::string out;
  ASSERT_EQ(Shell("psql '" + pg_.Url("platform_sql") + "' -X -q -f " + p_.root() + "/down.sql 2>&1",
                  &out),
            0)
      << out;
  EXPECT_EQ(
      Count(
          "platform_sql",
          "SELECT count(*) FROM pg_tables WHERE tablename IN ('system_configs', 'notifications')"),
      "0");
}

TEST_F(LifecycleTest, VerifyCatchesADownThatForgetsAnIndex) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (x int);");
  p_.WriteMigration("a", "001_t.down.sql", "DROP TABLE t;");
  p_.WriteMigration("a", "002_i.up.sql", "CREATE INDEX t_x ON t (x);");
  p_.WriteMigration("a", "002_i.down.sql", "SELECT 1;  -- forgot DROP INDEX t_x");
  Result r = Lockstep("verify", env);
  EXPECT_EQ(r.code, 4) << r.out << r.err;
  EXPECT_NE(r.out.find("ok    a:001"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FAIL  a:002 i: its down does not undo its up"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("left behind by the down:\n      added index public.t_x"), std::string::npos)
      << r.out;
  EXPECT_EQ(Count("main", "SELECT count(*) FROM pg_database WHERE datname LIKE 'lockstep_verify%'"),
            "0");
  EXPECT_EQ(Count("main", "SELECT to_regclass('lockstep.history') IS NULL"),
            "t");  // the real one untouched
  p_.WriteMigration("a", "002_i.down.sql", "DROP INDEX t_x;");
  Result fixed = Lockstep("verify", env);
  EXPECT_EQ(fixed.code, 0) << fixed.out;
  EXPECT_NE(fixed.out.find("verify: 2 migrations checked, 0 problems"), std::string::npos);
}

TEST_F(LifecycleTest, NewAndMergeWriteMigrationsThatValidate) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteService("b");
  p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (x int);");
  p_.WriteMigration("b", "20250824_001_init.up.sql", "CREATE TABLE b (x int);");
  Result made = Lockstep("new a add_x --requires b:20250824_001", env);
  ASSERT_EQ(made.code, 0) << made.err;
  EXPECT_EQ(made.out, p_.Path("services/a/migrations/002_add_x.up.sql") + "\n" +
                          p_.Path("services/a/migrations/002_add_x.down.sql") + "\n");
  EXPECT_EQ(Slurp(p_.Path("services/a/migrations/002_add_x.up.sql"))
                .rfind("-- lockstep:requires b:20250824_001\n", 0),
            0u);
  Result dated = Lockstep("new b add_y", env);
  ASSERT_EQ(dated.code, 0);
  EXPECT_EQ(dated.out.find(p_.Path("services/b/migrations/20250824_")),
            std::string::npos);  // a new day
  EXPECT_EQ(Lockstep("new a Bad-Name", env).code, 2);
  EXPECT_EQ(Lockstep("new a add_z --requires nope:1", env).code, 2);
  p_.WriteMigration("a", "003_branch.up.sql", "-- lockstep:parents 001\nSELECT 1;");
  EXPECT_NE(Lockstep("heads a", env).out.find("2 heads"), std::string::npos);
  Result merged = Lockstep("merge a", env);
  ASSERT_EQ(merged.code, 0) << merged.err;
  EXPECT_EQ(Slurp(p_.Path("services/a/migrations/004_merge_heads.up.sql"))
                .rfind("-- lockstep:parents 002 003\n", 0),
            0u);
  Result valid = Lockstep("validate", env);
  EXPECT_EQ(valid.code, 0) << valid.err;
  EXPECT_EQ(valid.err.find("has 2 heads"), std::string::npos) << valid.err;
  EXPECT_EQ(Lockstep("merge a", env).code, 2);  // one head now
}

}  // namespace
}  // namespace lockstep
