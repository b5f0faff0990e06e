// A migration goes to the server in one message (issue 15): BEGIN, its
// statements, its history and events rows and COMMIT, one round trip. What
// the server answers must still name the failing statement by file:line, and
// the history row must still say when it ran and for how long.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <thread>

#include "adapters/postgres.h"
#include "integration/fixture.h"
#include "manifests/sha256.h"

namespace lockstep {
namespace {

class OneMessageTest : public IntegrationTest {
 protected:
  // Service a on database main with migrations {file name, SQL}, applied.
  Result ApplyMigrations(const std::vector<std::pair<std::string, std::string>>& files) {
    std::string env = SmallPlatform();
    p_.WriteService("a");
    for (const auto& [name, sql] : files) p_.WriteMigration("a", name, sql);
    return Apply(env, p_.config());
  }
  std::string File(const std::string& name) { return p_.Path("services/a/migrations/" + name); }
};

// An error without a position (RAISE in a DO block) is placed by counting
// the server's answers before it: the third statement.
TEST_F(OneMessageTest, ErrorWithoutAPositionNamesItsStatementsLine) {
  Result r = ApplyMigrations(
      {{"001_do.up.sql",
        "CREATE TABLE a1 (x int);\nCREATE TABLE a2 (x int);\n"
        "DO $$ BEGIN RAISE EXCEPTION 'boom'; END $$;\nCREATE TABLE a3 (x int);\n"}});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(File("001_do.up.sql") + ":3: a:001 failed on database 'main' (SQLSTATE "
                                               "P0001): boom"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(Count("main", "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'a_'"), "0");
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.history"), "0");
}

// The server's error position counts characters; text before it with
// multi-byte characters must not shift the statement it names.
TEST_F(OneMessageTest, ErrorPositionAfterMultiByteTextNamesItsStatementsLine) {
  Result r =
      ApplyMigrations({{"001_utf8.up.sql",
                        "CREATE TABLE notes (body text);\n"
                        "INSERT INTO notes VALUES ('größe, çà, 日本語, ünïcödé ✓✓✓✓✓✓✓✓✓✓✓✓✓✓');\n"
                        "-- ☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃\n"
                        "INSERT INTO notes VALUES ('ok');\n"
                        "INSERT INTO\n  missing VALUES ('x');\n"}});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(File("001_utf8.up.sql") + ":5: a:001 failed on database 'main' (SQLSTATE "
                                                 "42P01): relation \"missing\" does not exist"),
            std::string::npos)
      << r.err;
}

// The message joins statements with newlines, so a last statement that ends
// in a comment (and no newline) does not swallow the history row or COMMIT.
TEST_F(OneMessageTest, LastStatementEndingInACommentKeepsItsRecord) {
  Result r =
      ApplyMigrations({{"001_c.up.sql", "CREATE TABLE c (x int) -- and no newline after this"},
                       {"002_d.up.sql", "CREATE TABLE d (x int); -- the last line"}});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Count("main", "SELECT count(*) FROM pg_tables WHERE tablename IN ('c', 'd')"), "2");
  EXPECT_EQ(Count("main",
                  "SELECT string_agg(version || ' ' || status, ',' ORDER BY version) "
                  "FROM lockstep.history"),
            "001 applied,002 applied");
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.events WHERE action = 'apply'"), "2");
}

// Timed by the server from the message's arrival to the history row.
TEST_F(OneMessageTest, ExecutionTimeIsMeasuredByTheServer) {
  ASSERT_EQ(
      ApplyMigrations({{"001_slow.up.sql", "CREATE TABLE s (x int);\nSELECT pg_sleep(0.3);\n"}})
          .code,
      0);
  EXPECT_EQ(Count("main",
                  "SELECT execution_ms >= 290 AND execution_ms < 60000 AND "
                  "finished_at - started_at >= interval '290 milliseconds' "
                  "FROM lockstep.history"),
            "t");
}

// RAISE NOTICE and "does not exist, skipping" stay out of the output.
TEST_F(OneMessageTest, NoticesStayQuiet) {
  Result r = ApplyMigrations({{"001_n.up.sql",
                               "DROP TABLE IF EXISTS nothing_here;\n"
                               "DO $$ BEGIN RAISE NOTICE 'hello from the migration'; END $$;\n"}});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ((r.out + r.err).find("hello from the migration"), std::string::npos) << r.err;
  EXPECT_EQ((r.out + r.err).find("skipping"), std::string::npos) << r.err;
}

// Several migrations in one message (Database::ApplyBatch), straight to the
// adapter so that the batch is exactly what the test says.
class BatchTest : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    FreshDatabases({"main"});
    SetUpDatabase();
  }

  // Opens main as db_, holds its lock, and makes lockstep's tables.
  void SetUpDatabase() {
    PostgresOptions o;
    o.url = pg_.Url("main");
    o.database = "main";
    o.run_id = "batchtest";
    db_ = NewPostgresDatabase(o);
    ASSERT_TRUE(db_->Open().ok());
    bool acquired = false;
    LockHolder holder;
    // A Database destroyed just before may still hold it for a moment: its
    // server process ends after the client has gone.
    for (int i = 0; i < 100 && !acquired; ++i) {
      if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      ASSERT_TRUE(db_->TryLock(&acquired, &holder).ok());
    }
    ASSERT_TRUE(acquired);
    ASSERT_TRUE(db_->EnsureSchema().ok());
  }

  // Migration `version` of service a, one statement per line of `sql`.
  MigrationToRun Run(const std::string& version, const std::vector<std::string>& lines) {
    Migration& m = migrations_.emplace_back();
    m.version = *Version::Parse(version);
    m.name = "m" + version;
    m.up_path = "a/" + version + ".up.sql";
    m.checksum = Sha256(version);
    for (size_t i = 0; i < lines.size(); ++i) m.up.push_back({lines[i], static_cast<int>(i + 1)});
    MigrationToRun run{&m, "a", "", "batchtest"};
    run.durable = false;
    return run;
  }

  // Applies `runs` as one batch; what `ended` said, "index ok|message".
  std::vector<std::string> ApplyBatch(const std::vector<MigrationToRun>& runs, Status* status) {
    std::vector<std::string> ended;
    std::atomic<bool> cut{false};
    *status = db_->ApplyBatch(
        runs,
        [&](size_t i, const Status& s) {
          ended.push_back(std::to_string(i) + " " + (s.ok() ? "ok" : s.message()));
        },
        cut);
    return ended;
  }

  std::string History() {
    return Count("main",
                 "SELECT string_agg(version || ' ' || status, ',' ORDER BY version) FROM "
                 "lockstep.history");
  }

  std::deque<Migration> migrations_;  // stable addresses for MigrationToRun
  std::unique_ptr<Database> db_;
};

TEST_F(BatchTest, EveryMigrationCommitsWithItsOwnRowAndTime) {
  Status status;
  std::vector<std::string> ended =
      ApplyBatch({Run("001", {"CREATE TABLE b1 (x int)"}),
                  Run("002", {"CREATE TABLE b2 (x int)", "SELECT pg_sleep(0.2)"}),
                  Run("003", {"CREATE TABLE b3 (x int)"})},
                 &status);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(ended, (std::vector<std::string>{"0 ok", "1 ok", "2 ok"}));
  EXPECT_EQ(History(), "001 applied,002 applied,003 applied");
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.events WHERE action = 'apply'"), "3");
  // Each timed from its own start, not the message's: only 002 slept.
  EXPECT_EQ(Count("main",
                  "SELECT string_agg((execution_ms >= 190)::text, ',' ORDER BY version) FROM "
                  "lockstep.history"),
            "false,true,false");
  EXPECT_EQ(Count("main",
                  "SELECT bool_and(started_at >= lag) FROM (SELECT started_at, lag(finished_at, "
                  "1, '-infinity') OVER (ORDER BY version) FROM lockstep.history) t"),
            "t");
}

// The last migration's end is told once the connection is free: the
// executor starts the lane's next batch (on another thread) the moment it
// hears of it. A regression test: it was told as soon as the server answered
// the last COMMIT, before the rest of the answer was read, and the next
// batch failed with "another command is already in progress" (seen once in
// ApplyTest.EightConcurrentAppliesApplyEachMigrationOnce).
TEST_F(BatchTest, TheLastEndIsToldOnceTheConnectionIsFree) {
  std::vector<std::string> seen;
  std::atomic<bool> cut{false};
  MigrationToRun next = Run("003", {"CREATE TABLE l3 (x int)"});
  Status status = db_->ApplyBatch(
      {Run("001", {"CREATE TABLE l1 (x int)"}), Run("002", {"CREATE TABLE l2 (x int)"})},
      [&](size_t i, const Status& s) {
        if (i + 1 < 2 || !s.ok()) return;
        Status applied = db_->Apply(next);
        seen.push_back(applied.ok() ? "applied" : applied.message());
      },
      cut);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(seen, (std::vector<std::string>{"applied"}));
  EXPECT_EQ(History(), "001 applied,002 applied,003 applied");
}

// The last `ended` is the last thing ApplyBatch does with the Database: the
// executor may let its lock go and destroy it from that call on, on another
// thread. Here the call destroys it at once, after a batch that commits,
// one that fails and one that is cut. Regression test: ApplyBatch ended the
// cut a second time after the last call, on a Database already destroyed
// (a data race under TSan, a use after free under ASan).
TEST_F(BatchTest, TheLastEndIsTheLastUseOfTheDatabase) {
  struct Case {
    const char* name;
    std::vector<std::string> second;
    bool cut;
    std::string history;
  };
  for (const Case& c :
       {Case{"commits", {"CREATE TABLE u2 (x int)"}, false, "001 applied,002 applied,003 applied"},
        Case{"fails", {"SELECT 1 / 0"}, false, "001 applied"},
        Case{"is cut", {"SELECT pg_sleep(0.5)"}, true, "001 applied,002 applied"}}) {
    SCOPED_TRACE(c.name);
    Count("main", "DROP TABLE IF EXISTS u1, u2, u3; TRUNCATE lockstep.history");
    if (!db_) SetUpDatabase();
    std::atomic<bool> cut{false};
    std::atomic<bool> destroyed{false};
    Database* db = db_.get();
    std::thread cutter;
    if (c.cut) {
      cutter = std::thread([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        cut = true;
        db->CutBatch();
      });
    }
    size_t calls = 0, last = 0;
    Status status = db->ApplyBatch(
        {Run("001", {"CREATE TABLE u1 (x int)"}), Run("002", c.second),
         Run("003", {"CREATE TABLE u3 (x int)"})},
        [&](size_t i, const Status& s) {
          ++calls;
          last = i;
          if (i == 2 || !s.ok()) {
            if (cutter.joinable()) cutter.join();  // no CutBatch on a destroyed Database
            db_.reset();
            destroyed = true;
          }
        },
        cut);
    if (cutter.joinable()) cutter.join();
    EXPECT_TRUE(destroyed);
    EXPECT_EQ(status.ok(), std::string(c.name) == "commits") << status.message();
    EXPECT_EQ(calls, last + 1);
    EXPECT_EQ(History(), c.history);
  }
}

// A failure in the third migration: the first two stay committed with their
// rows, the third is rolled back, the fourth never runs; the error names the
// third's file and line, with a position (a missing table) or without one
// (a division by zero, placed by counting answers).
TEST_F(BatchTest, AFailureStopsTheBatchAtItsMigrationAndLine) {
  for (const char* bad : {"INSERT INTO missing VALUES (1)", "SELECT 1 / 0"}) {
    SCOPED_TRACE(bad);
    Count("main", "DROP TABLE IF EXISTS f1, f2, f3, f4; TRUNCATE lockstep.history");
    Status status;
    std::vector<std::string> ended = ApplyBatch(
        {Run("001", {"CREATE TABLE f1 (x int)"}), Run("002", {"CREATE TABLE f2 (x int)"}),
         Run("003", {"CREATE TABLE f3 (x int)", bad, "CREATE TABLE never (x int)"}),
         Run("004", {"CREATE TABLE f4 (x int)"})},
        &status);
    EXPECT_FALSE(status.ok());
    ASSERT_EQ(ended.size(), 3u);
    EXPECT_EQ(ended[0], "0 ok");
    EXPECT_EQ(ended[1], "1 ok");
    EXPECT_EQ(ended[2].rfind("2 a/003.up.sql:2: a:003 failed on database 'main' (SQLSTATE ", 0), 0u)
        << ended[2];
    EXPECT_EQ(History(), "001 applied,002 applied");
    EXPECT_EQ(Count("main",
                    "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE "
                    "schemaname = 'public'"),
              "f1,f2");
  }
}

// A stop while a batch runs: the server would go on to the next migration on
// its own; CutBatch closes the gate in front of it, so the running one
// commits and nothing after it begins (its gate fails before its first
// statement).
TEST_F(BatchTest, ACutBatchFinishesTheRunningMigrationAndBeginsNoOther) {
  Status status;
  std::thread cutter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    db_->CutBatch();
  });
  std::vector<std::string> ended =
      ApplyBatch({Run("001", {"CREATE TABLE c1 (x int)"}),
                  Run("002", {"SELECT pg_sleep(1)", "CREATE TABLE c2 (x int)"}),
                  Run("003", {"CREATE TABLE c3 (x int)"}), Run("004", {"CREATE TABLE c4 (x int)"})},
                 &status);
  cutter.join();
  EXPECT_FALSE(status.ok());
  ASSERT_EQ(ended.size(), 3u);
  EXPECT_EQ(ended[1], "1 ok");
  EXPECT_EQ(ended[2].rfind("2 a/003.up.sql:1: a:003 failed on database 'main'", 0), 0u) << ended[2];
  EXPECT_EQ(History(), "001 applied,002 applied");
  EXPECT_EQ(Count("main", "SELECT count(*) FROM pg_tables WHERE tablename IN ('c3', 'c4')"), "0");
  // The gate's lock went with the batch: the next batch runs.
  ended = ApplyBatch(
      {Run("003", {"CREATE TABLE c3 (x int)"}), Run("004", {"CREATE TABLE c4 (x int)"})}, &status);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(History(), "001 applied,002 applied,003 applied,004 applied");
  EXPECT_EQ(Count("main",
                  "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND "
                  "classid = 1819239275 AND objsubid = 2"),
            "0");
}

}  // namespace
}  // namespace lockstep
