// lockstep's own tables in each database (DESIGN.md, "the database
// footprint"): made once, looked at (one query) on every later run instead
// of running their DDL again, and an old history table's status check
// widened.
#include "adapters/postgres.h"
#include "integration/fixture.h"

namespace lockstep {
namespace {

class TablesTest : public IntegrationTest {
 protected:
  // Opens `database`, takes its lock and makes lockstep's tables.
  Status EnsureSchema(const std::string& database) {
    PostgresOptions o;
    o.url = pg_.Url(database);
    o.database = database;
    o.run_id = "tablestest";
    std::unique_ptr<Database> db = NewPostgresDatabase(o);
    if (Status s = db->Open(); !s.ok()) return s;
    bool acquired = false;
    LockHolder holder;
    if (Status s = db->TryLock(&acquired, &holder); !s.ok()) return s;
    if (!acquired) return Status::Failed("lock not acquired");
    return db->EnsureSchema();
  }
  // DDL messages that created lockstep's schema, as the server logged them.
  int LoggedCreations() {
    return LogLines([](const std::string& line) {
      return line.find("statement: CREATE SCHEMA IF NOT EXISTS \"lockstep\"") != std::string::npos;
    });
  }
};

TEST_F(TablesTest, TablesThatAreThereAreNotCreatedAgain) {
  ASSERT_TRUE(SetOnServer("log_statement", "ddl"));
  pg_.CreateDatabase("main");
  ASSERT_TRUE(EnsureSchema("main").ok());
  EXPECT_EQ(LoggedCreations(), 1);
  EXPECT_EQ(Count("main",
                  "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables "
                  "WHERE schemaname = 'lockstep'"),
            "events,history,schema_snapshots");
  ASSERT_TRUE(EnsureSchema("main").ok());
  EXPECT_EQ(LoggedCreations(), 1);  // looked at, not created again
  // One missing: the rest are made again, as IF NOT EXISTS leaves them.
  Count("main", "DROP TABLE lockstep.events");
  ASSERT_TRUE(EnsureSchema("main").ok());
  EXPECT_EQ(LoggedCreations(), 2);
  EXPECT_EQ(Count("main", "SELECT count(*) FROM pg_tables WHERE schemaname = 'lockstep'"), "3");
}

// A history table made before `running` existed has a narrower check; the
// next run widens it (only then: no DDL otherwise).
TEST_F(TablesTest, AnOldStatusCheckIsWidened) {
  pg_.CreateDatabase("main");
  ASSERT_TRUE(EnsureSchema("main").ok());
  Count("main",
        "ALTER TABLE lockstep.history DROP CONSTRAINT history_status_check, ADD CONSTRAINT "
        "history_status_check CHECK (status IN ('applied', 'failed', 'baseline'))");
  const std::string check =
      "SELECT pg_get_constraintdef(oid) LIKE '%running%' FROM pg_constraint "
      "WHERE conname = 'history_status_check'";
  ASSERT_EQ(Count("main", check), "f");
  ASSERT_TRUE(EnsureSchema("main").ok());
  EXPECT_EQ(Count("main", check), "t");
  EXPECT_EQ(Count("main",
                  "INSERT INTO lockstep.history VALUES ('a', '001', 'x', 'c', 'running', now(), "
                  "NULL, NULL, 'me', 'r', 'v') RETURNING status"),
            "running");
}

}  // namespace
}  // namespace lockstep
