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
  // Opens `database` and takes its lock; null (and a failure) otherwise.
  std::unique_ptr<Database> Locked(const std::string& database) {
    PostgresOptions o;
    o.url = pg_.Url(database);
    o.database = database;
    o.run_id = "tablestest";
    std::unique_ptr<Database> db = NewPostgresDatabase(o);
    bool acquired = false;
    LockHolder holder;
    Status s = db->Open();
    if (s.ok()) s = db->TryLock(&acquired, &holder);
    EXPECT_TRUE(s.ok()) << s.message();
    EXPECT_TRUE(acquired);
    return s.ok() && acquired ? std::move(db) : nullptr;
  }
  // Opens `database`, takes its lock and makes lockstep's tables.
  Status EnsureSchema(const std::string& database) {
    std::unique_ptr<Database> db = Locked(database);
    return db ? db->EnsureSchema() : Status::Failed("not locked");
  }
  // Messages (simple queries) the server logged so far, with log_statement
  // = 'all'.
  int LoggedMessages() {
    return LogLines([](const std::string& line) {
      return line.find("LOG:  statement: ") != std::string::npos;
    });
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

// What a run does once it holds a database's lock (make the tables, list
// what a dead run left prepared, read the history) takes two messages, on a
// fresh database as on one whose tables are there. It took four on a fresh
// database (look, DDL, prepared transactions, history) and three otherwise:
// round trips and statements that every lane of a fleet paid.
TEST_F(TablesTest, SettlingADatabaseTakesTwoMessages) {
  ASSERT_TRUE(SetOnServer("log_statement", "all"));
  pg_.CreateDatabase("main");
  std::unique_ptr<Database> db = Locked("main");
  ASSERT_TRUE(db);
  std::vector<std::string> in_doubt{"stale"};
  std::vector<HistoryRow> rows(1);
  int before = LoggedMessages();
  Status s = db->Settle(&in_doubt, &rows);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(LoggedMessages() - before, 2);
  EXPECT_TRUE(in_doubt.empty());
  EXPECT_TRUE(rows.empty());
  EXPECT_EQ(Count("main", "SELECT count(*) FROM pg_tables WHERE schemaname = 'lockstep'"), "3");

  Count("main",
        "INSERT INTO lockstep.history VALUES ('billing', '001', 'init', 'c', 'applied', now(), "
        "now(), 1, 'me', 'r', 'v')");
  before = LoggedMessages();
  s = db->Settle(&in_doubt, &rows);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(LoggedMessages() - before, 2);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].service + ":" + rows[0].version + " " + rows[0].status, "billing:001 applied");
}

// The look at the tables also lists the transactions that an apply --atomic
// which died left prepared in this database (lockstep's only, oldest first),
// for the run that settles it to resolve.
TEST_F(TablesTest, SettlingADatabaseListsWhatADeadRunLeftPrepared) {
  pg_.CreateDatabase("main");
  pg_.CreateDatabase("other");
  const std::vector<std::pair<std::string, std::string>> prepared = {
      {"main", "lockstep/r1/1/main"},
      {"main", "someone else"},
      {"other", "lockstep/r1/2/main"},
      {"main", "lockstep/r2/1/main"}};
  for (const auto& [database, gid] : prepared) {
    Count(database, "BEGIN; CREATE TABLE \"" + gid + "\" (); PREPARE TRANSACTION '" + gid + "'");
  }
  std::unique_ptr<Database> db = Locked("main");
  ASSERT_TRUE(db);
  std::vector<std::string> in_doubt;
  std::vector<HistoryRow> rows;
  Status s = db->Settle(&in_doubt, &rows);
  // Settled before the prepared transactions go, so that they never stay
  // behind on the server (DROP DATABASE waits for them).
  for (const auto& [database, gid] : prepared) Count(database, "ROLLBACK PREPARED '" + gid + "'");
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(in_doubt, (std::vector<std::string>{"lockstep/r1/1/main", "lockstep/r2/1/main"}));
  EXPECT_TRUE(rows.empty());
}

// A snapshot is stored with the latest ten kept, in one statement.
TEST_F(TablesTest, StoringASnapshotKeepsTheLatestTen) {
  pg_.CreateDatabase("main");
  std::unique_ptr<Database> db = Locked("main");
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->EnsureSchema().ok());
  for (int i = 1; i <= 12; ++i) {
    Status s = db->SaveSnapshot({{"table public.t", std::to_string(i)}}, "run" + std::to_string(i));
    ASSERT_TRUE(s.ok()) << s.message();
  }
  EXPECT_EQ(
      Count("main", "SELECT string_agg(run_id, ',' ORDER BY id) FROM lockstep.schema_snapshots"),
      "run3,run4,run5,run6,run7,run8,run9,run10,run11,run12");
  SchemaSnapshot latest;
  bool found = false;
  ASSERT_TRUE(db->LoadSnapshot(&latest, &found).ok());
  ASSERT_TRUE(found);
  EXPECT_EQ(latest.at("table public.t"), "12");
}

// A database lockstep has not touched yet is read without a failed
// statement: the read before a plan (every database of a fleet's first
// deploy), `wait` polling before the first deploy, `status` and `history`
// each left `ERROR: relation "lockstep.history" does not exist` in the
// server's log, where log-based alerting sees it. Once applied, the reads
// find the tables as before.
TEST_F(TablesTest, AFreshDatabaseIsReadWithoutAnErrorInTheServerLog) {
  const std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (x int);");
  auto errors = [&] {
    return LogLines(
        [](const std::string& line) { return line.find("ERROR:") != std::string::npos; });
  };
  const int before = errors();
  const std::string c = "-c " + p_.config() + " ";
  EXPECT_EQ(RunLockstep(c + "plan", env).code, 0);
  EXPECT_EQ(RunLockstep(c + "status", env).code, 0);
  EXPECT_EQ(RunLockstep(c + "history", env).code, 0);
  Result wait = RunLockstep(c + "wait --for a:001 --timeout 1s", env);
  EXPECT_NE(wait.code, 0);  // not applied: it times out
  EXPECT_EQ(errors() - before, 0) << Slurp(pg_.dir() + "/server.log");
  Result apply = Apply(env, p_.config());
  ASSERT_EQ(apply.code, 0) << apply.err;
  Result history = RunLockstep(c + "history --json", env);
  EXPECT_EQ(history.code, 0);
  EXPECT_NE(history.out.find("\"a:001\""), std::string::npos) << history.out;
  EXPECT_EQ(RunLockstep(c + "wait --for a:001 --timeout 5s", env).code, 0);
  EXPECT_EQ(errors() - before, 0) << Slurp(pg_.dir() + "/server.log");
}

// An apply connects to each database once: the connection its history was
// read on before the plan takes the lock (two per database before, the
// second a backend's start; with TLS over a network, a handshake too). A
// database with nothing pending is read and closed.
TEST_F(TablesTest, AnApplyConnectsToEachDatabaseOnce) {
  ASSERT_TRUE(SetOnServer("log_connections", "on"));
  const std::string env = SmallPlatform("main,other");
  p_.WriteService("a", "main");
  p_.WriteService("b", "other");
  p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (x int);");
  p_.WriteMigration("b", "001_u.up.sql", "CREATE TABLE u (x int);");
  Result apply = Apply(env, p_.config());
  ASSERT_EQ(apply.code, 0) << apply.err;
  EXPECT_EQ(ConnectionsTo("main"), 1) << Slurp(pg_.dir() + "/server.log");
  EXPECT_EQ(ConnectionsTo("other"), 1);
  p_.WriteMigration("a", "002_t.up.sql", "ALTER TABLE t ADD COLUMN y int;");
  apply = Apply(env, p_.config());
  ASSERT_EQ(apply.code, 0) << apply.err;
  EXPECT_EQ(ConnectionsTo("main"), 2);   // one more run, one more connection
  EXPECT_EQ(ConnectionsTo("other"), 2);  // read, nothing to do
  EXPECT_EQ(Count("main", "SELECT count(*) FROM lockstep.history"), "2");
}

// The kept connection of a lane that waits for another database's migration
// sits idle meanwhile: ended by the server (idle_session_timeout), the run
// still goes on. The timeout is 1 s, not less: the lane's own connection
// must not be ended between its statements on a loaded machine. (Here
// libpqxx reconnects it during the pooler check, before the lock is asked,
// so the executor's own replacement, which the fake's
// PerLaneLockTest.AKeptConnectionThatEndedIsReplaced covers, is not needed.)
TEST_F(TablesTest, AKeptConnectionEndedByTheServerIsReplaced) {
  const std::string env = SmallPlatform("main,other");
  Count("postgres", "ALTER DATABASE other SET idle_session_timeout = '1s'");
  p_.WriteService("a", "main");
  p_.WriteService("b", "other");
  p_.WriteMigration("a", "001_slow.up.sql", "SELECT pg_sleep(3);");
  p_.WriteMigration("b", "001_u.up.sql", "-- lockstep:requires a:001\nCREATE TABLE u (x int);");
  Result apply = Apply(env, p_.config());
  ASSERT_EQ(apply.code, 0) << apply.err;
  EXPECT_EQ(Count("other", "SELECT count(*) FROM lockstep.history WHERE status = 'applied'"), "1");
  EXPECT_GE(LogLines([](const std::string& line) {
              return line.find("idle-session timeout") != std::string::npos;
            }),
            1)
      << Slurp(pg_.dir() + "/server.log");
}

}  // namespace
}  // namespace lockstep
