// A migration goes to the server in one message (issue 15): BEGIN, its
// statements, its history and events rows and COMMIT, one round trip. What
// the server answers must still name the failing statement by file:line, and
// the history row must still say when it ran and for how long.
#include <gtest/gtest.h>

#include "integration/fixture.h"

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

}  // namespace
}  // namespace lockstep
