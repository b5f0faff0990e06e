// apply --atomic on a real server with max_prepared_transactions set (the
// throwaway server's postgresql.conf): all or nothing across three
// databases, refusals, and kill -9 at each step between the two phases
// (LOCKSTEP_FAILPOINT), each followed by a run that converges with no
// prepared transaction left behind.
#include <cstdio>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/fixture.h"

namespace lockstep {
namespace {

class AtomicTest : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    env_ = SmallPlatform("one,two,three");
    p_.WriteService("s1", "one");
    p_.WriteService("s2", "two");
    p_.WriteService("s3", "three");
    p_.WriteMigration("s1", "001_a.up.sql", "CREATE TABLE a (id int);\n");
    p_.WriteMigration("s2", "001_b.up.sql", "CREATE TABLE b (id int);\n");
    p_.WriteMigration("s3", "001_c.up.sql", "CREATE TABLE c (id int);\n");
    p_.WriteMigration("s3", "002_c_name.up.sql", "ALTER TABLE c ADD COLUMN name text;\n");
  }
  Result Lockstep(const std::string& args, const std::string& extra_env = "") {
    return RunLockstep("-c " + p_.config() + " " + args, extra_env + " " + env_);
  }
  std::string Tables() {
    std::string out;
    for (const char* db : {"one", "two", "three"}) {
      out += std::string(db) + ":" +
             pg_.Query(db,
                       "SELECT coalesce(string_agg(table_name, ',' ORDER BY table_name), '') "
                       "FROM information_schema.tables WHERE table_schema = 'public'") +
             " ";
    }
    return out;
  }
  std::string Recorded() {
    std::string out;
    for (const char* db : {"one", "two", "three"}) {
      out += pg_.Query(db,
                       "SELECT CASE WHEN to_regclass('lockstep.history') IS NULL THEN 0 "
                       "ELSE (SELECT count(*) FROM lockstep.history) END") +
             " ";
    }
    return out;
  }
  std::string Prepared() { return pg_.Query("postgres", "SELECT count(*) FROM pg_prepared_xacts"); }

  std::string env_;
};

TEST_F(AtomicTest, CommitsOnEveryDatabaseOrNone) {
  Result r = Lockstep("apply --atomic");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(Tables(), "one:a two:b three:c ");
  EXPECT_EQ(Recorded(), "1 1 2 ");
  EXPECT_EQ(Prepared(), "0");
  EXPECT_EQ(pg_.Query("one",
                      "SELECT count(*) FROM lockstep.events WHERE action = "
                      "'atomic decision'"),
            "1");
  EXPECT_NE(r.err.find("decided: commit on one, three, two"), std::string::npos) << r.err;
  // Drift sees the snapshots it stored.
  EXPECT_EQ(Lockstep("drift").code, 0);
  Result again = Lockstep("apply --atomic --json");
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_TRUE(nlohmann::json::parse(again.out)["applied"].empty()) << again.out;
}

TEST_F(AtomicTest, AFailureOnTheThirdDatabaseLeavesAllThreeUntouched) {
  // In lock order (one, three, two) the last is two.
  p_.WriteMigration("s2", "002_broken.up.sql", "ALTER TABLE b ADD COLUMN x int;\nSELECT 1/0;\n");
  Result r = Lockstep("apply --atomic");
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("002_broken.up.sql:2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("division by zero"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("rolled back on every database"), std::string::npos) << r.err;
  EXPECT_EQ(Tables(), "one: two: three: ");
  EXPECT_EQ(Recorded(), "0 0 0 ");
  EXPECT_EQ(Prepared(), "0");
}

TEST_F(AtomicTest, RefusesNoTransactionMigrationsAndServersThatCannotPrepare) {
  p_.WriteMigration("s3", "003_idx.up.sql",
                    "-- lockstep:no-transaction\nCREATE INDEX CONCURRENTLY c_name ON c (name);\n");
  Result r = Lockstep("apply --atomic");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("003_idx.up.sql: s3:003 is no-transaction"), std::string::npos) << r.err;
  EXPECT_EQ(Tables(), "one: two: three: ");
  std::remove(p_.Path("services/s3/migrations/003_idx.up.sql").c_str());

  pg_.Query("postgres", "ALTER SYSTEM SET max_prepared_transactions = 0");
  pg_.Stop();
  pg_.Start();
  ASSERT_EQ(pg_.Query("postgres", "SHOW max_prepared_transactions"), "0");
  r = Lockstep("apply --atomic");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("max_prepared_transactions = 0"), std::string::npos) << r.err;
  EXPECT_EQ(Tables(), "one: two: three: ");
  EXPECT_EQ(Recorded(), "0 0 0 ");
  // Without --atomic it applies as ever.
  EXPECT_EQ(Lockstep("apply").code, 0);
  EXPECT_EQ(Tables(), "one:a two:b three:c ");
}

TEST_F(AtomicTest, HooksRunAsInAnyApply) {
  std::string config = Slurp(p_.config());
  // before_apply fails on three: nothing anywhere.
  p_.Write("lockstep.yaml",
           config +
               "settings:\n  hooks:\n    before_apply: \"test $LOCKSTEP_DATABASE != "
               "three\"\n    after_apply: \"echo $LOCKSTEP_SERVICES >> " +
               p_.root() + "/after.txt\"\n");
  Result r = Lockstep("apply --atomic");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("nothing was applied"), std::string::npos) << r.err;
  EXPECT_EQ(Tables(), "one: two: three: ");
  // It passes: after_apply once per database, after the commit.
  p_.Write("lockstep.yaml", config +
                                "settings:\n  hooks:\n    after_apply: \"echo "
                                "$LOCKSTEP_SERVICES >> " +
                                p_.root() + "/after.txt\"\n");
  r = Lockstep("apply --atomic");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Slurp(p_.root() + "/after.txt"), "s1\ns3\ns2\n");
}

struct Crash {
  const char* failpoint;
  bool decided;       // the decision was recorded before the kill
  const char* after;  // what runs next: "apply --atomic", "apply" or "repair --in-doubt"
};

class AtomicCrashTest : public AtomicTest, public ::testing::WithParamInterface<Crash> {};

TEST_P(AtomicCrashTest, KillNineThenTheNextRunConverges) {
  const Crash& crash = GetParam();
  Result killed = Lockstep("apply --atomic", std::string("LOCKSTEP_FAILPOINT=") + crash.failpoint);
  ASSERT_NE(killed.code, 0) << killed.out << killed.err;
  ASSERT_EQ(killed.err.find("committed on"), std::string::npos) << killed.err;
  // Left prepared: holding their locks until someone resolves them.
  EXPECT_NE(Prepared(), "0");
  Result next = Lockstep(crash.after);
  ASSERT_EQ(next.code, 0) << next.out << next.err;
  std::string told = next.out + next.err;
  EXPECT_NE(told.find(crash.decided ? "committed the prepared transaction"
                                    : "rolled back the prepared transaction"),
            std::string::npos)
      << told;
  EXPECT_EQ(Prepared(), "0");
  if (std::string(crash.after) == "repair --in-doubt") {
    // The decision was kept: everything is in, nothing left to apply.
    EXPECT_EQ(Tables(), "one:a two:b three:c ");
    EXPECT_EQ(Recorded(), "1 1 2 ");
  }
  // Converges: every migration exactly once.
  Result last = Lockstep("apply");
  ASSERT_EQ(last.code, 0) << last.out << last.err;
  EXPECT_EQ(Tables(), "one:a two:b three:c ");
  EXPECT_EQ(Recorded(), "1 1 2 ");
  EXPECT_EQ(Prepared(), "0");
  Result status = Lockstep("status --check");
  EXPECT_EQ(status.code, 0) << status.out;
}

INSTANTIATE_TEST_SUITE_P(Moments, AtomicCrashTest,
                         ::testing::Values(Crash{"atomic-after-prepare-1", false, "apply --atomic"},
                                           Crash{"atomic-after-prepare-2", false, "apply"},
                                           Crash{"atomic-before-decision", false, "apply --atomic"},
                                           Crash{"atomic-after-decision", true, "apply"},
                                           Crash{"atomic-after-commit-1", true,
                                                 "repair --in-doubt"},
                                           Crash{"atomic-after-commit-2", true, "apply --atomic"}),
                         [](const ::testing::TestParamInfo<Crash>& info) {
                           std::string name;
                           for (const char* c = info.param.failpoint; *c; ++c)
                             name += *c == '-' ? '_' : *c;
                           return name;
                         });

}  // namespace
}  // namespace lockstep
