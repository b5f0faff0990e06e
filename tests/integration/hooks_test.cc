// settings.hooks on a real server: a pg_dump backup taken by before_apply
// (libpq's environment, no password on a command line) restores with
// pg_restore into a fresh database equal to the state before the migration;
// after_apply sees what was applied; a failing or slow before_apply stops the
// database and applies nothing; no hook runs when nothing is pending.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/integration/fixture.h"

namespace lockstep {
namespace {

namespace fs = std::filesystem;

class HooksTest : public IntegrationTest {
 protected:
  // A platform of one service on database `main` (its URL carrying a
  // password, which trust authentication ignores) with `hooks:` as given.
  std::string Platform(const std::string& hooks) {
    pg_.CreateDatabase("main");
    backups_ = p_.root() + "/backups";
    fs::create_directories(backups_);
    p_.Write("lockstep.yaml",
             "version: 1\nservices: [services/*/service.yaml]\ndatabases:\n"
             "  main: { url: \"${MAIN_DATABASE_URL}\" }\n"
             "settings:\n  hooks:\n" +
                 hooks);
    p_.WriteService("app");
    p_.WriteMigration("app", "001_t.up.sql",
                      "CREATE TABLE t (id int PRIMARY KEY, name text);\n"
                      "INSERT INTO t VALUES (1, 'one'), (2, 'two');\n");
    return "MAIN_DATABASE_URL='" + pg_.Url("main") + "&password=hook-s3cret' BACKUPS='" + backups_ +
           "'";
  }
  std::vector<std::string> Backups() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(backups_)) out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
  }
  // The public schema of `db`, schema and data.
  std::string Dump(const std::string& db) { return PgDump(db, "--schema=public"); }

  std::string backups_;
};

TEST_F(HooksTest, BeforeApplyBackupRestoresToTheStateBeforeTheMigration) {
  std::string env = Platform(
      "    before_apply: \"pg_dump -Fc -f $BACKUPS/$LOCKSTEP_DATABASE-$LOCKSTEP_RUN_ID.dump && "
      "echo backed up $PGDATABASE for $LOCKSTEP_SERVICES with password $PGPASSWORD\"\n"
      "    after_apply: \"psql -Atc 'SELECT count(*) FROM t' > $BACKUPS/after.txt\"\n"
      "    timeout: 1m\n");
  Result r = Apply(env, p_.config());
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(Backups().size(), 2u) << r.err;  // the first dump, after.txt
  EXPECT_NE(r.err.find("before_apply hook for main: backed up main for app with password ***"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("hook-s3cret"), std::string::npos) << r.err;
  EXPECT_EQ(Slurp(backups_ + "/after.txt"), "2\n");

  // The state the next migration starts from, built independently.
  pg_.CreateDatabase("expected");
  pg_.Query("expected",
            "CREATE TABLE t (id int PRIMARY KEY, name text);"
            "INSERT INTO t VALUES (1, 'one'), (2, 'two');");
  p_.WriteMigration("app", "002_more.up.sql",
                    "ALTER TABLE t ADD COLUMN n int NOT NULL DEFAULT 0;\n"
                    "INSERT INTO t VALUES (3, 'three', 3);\nDELETE FROM t WHERE id = 1;\n");
  fs::remove(backups_ + "/after.txt");
  std::vector<std::string> before = Backups();
  r = Apply(env, p_.config());
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<std::string> after = Backups();
  ASSERT_EQ(after.size(), before.size() + 2) << r.err;
  EXPECT_EQ(Slurp(backups_ + "/after.txt"), "2\n");  // 3 rows, one deleted
  std::string dump;
  for (const std::string& f : after) {
    if (f.find("main-") != std::string::npos &&
        std::find(before.begin(), before.end(), f) == before.end()) {
      dump = f;
    }
  }
  ASSERT_FALSE(dump.empty());
  pg_.CreateDatabase("restored");
  std::string out;
  EXPECT_EQ(Shell("pg_restore --no-owner -d '" + pg_.Url("restored") + "' " + dump + " 2>&1", &out),
            0)
      << out;
  EXPECT_EQ(Dump("restored"), Dump("expected"));
  EXPECT_NE(Dump("main"), Dump("expected")) << Dump("main") << r.err;

  // Nothing pending: no hook.
  r = Apply(env, p_.config());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Backups().size(), after.size());
  EXPECT_EQ(r.err.find("hook"), std::string::npos) << r.err;
}

TEST_F(HooksTest, AFailingBeforeApplyStopsTheDatabase) {
  std::string env = Platform("    before_apply: \"echo disk full >&2; exit 3\"\n");
  Result r = Apply(env, p_.config());
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("before_apply hook for main: disk full"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("settings.hooks.before_apply for database 'main' exited with status 3"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(Count("main", "SELECT count(*) FROM pg_tables WHERE tablename = 't'"), "0");
}

TEST_F(HooksTest, ASlowBeforeApplyIsKilledAtItsTimeout) {
  std::string env =
      Platform("    before_apply: \"sleep 60 & sleep 60; echo never\"\n    timeout: 1s\n");
  auto start = std::chrono::steady_clock::now();
  Result r = Apply(env, p_.config());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("did not finish within 1s (settings.hooks.timeout); it was killed"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(Count("main", "SELECT count(*) FROM pg_tables WHERE tablename = 't'"), "0");
  // The whole process group went, the background sleep too (a killed
  // process takes a moment to go on a busy machine: ctest -j2 once saw it).
  std::string out;
  for (int i = 0; i < 50; ++i) {
    Shell("pgrep -f '^sleep 60$' | wc -l", &out);
    if (out == "0\n") break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(out, "0\n");
}

TEST_F(HooksTest, AnUnknownHookKeyIsABadConfiguration) {
  std::string env = Platform("    before_aply: \"true\"\n");
  Result r = Apply(env, p_.config());
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("before_aply"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("before_apply"), std::string::npos) << r.err;  // did you mean
}

}  // namespace
}  // namespace lockstep
