// The PostgreSQL adapter's contract that needs no server: connection strings
// parsed by libpq and never echoed, secrets scrubbed, the history SQL.
#include "adapters/postgres.h"

#include <gtest/gtest.h>

#include "adapters/history_sql.h"

namespace lockstep {
namespace {

std::vector<std::string> SecretsOf(const std::string& url) {
  std::vector<std::string> secrets;
  EXPECT_EQ(ConnectionStringProblem(url, &secrets), "") << url;
  return secrets;
}

TEST(ConnectionStringTest, UnparsableUrlsAreRefusedWithoutEchoingThem) {
  for (const char* url : {"postgresql://u:%ZZsecret@host/db", "postgresql://u:secret@h/db?bogus=1",
                          "host=db password='secret"}) {
    std::string problem = ConnectionStringProblem(url);
    EXPECT_NE(problem, "") << url;
    EXPECT_EQ(problem.find("secret"), std::string::npos) << problem;
  }
}

TEST(ConnectionStringTest, OtherSchemesAndEmptyUrlsAreRefused) {
  EXPECT_EQ(
      ConnectionStringProblem("mysql://u:secret@h/db"),
      "'mysql://' is not a PostgreSQL URL; write postgresql://user:password@host:port/dbname");
  EXPECT_NE(ConnectionStringProblem("  "), "");
  EXPECT_EQ(ConnectionStringProblem("postgres://u@h/db"), "");
  EXPECT_EQ(ConnectionStringProblem("host=/tmp dbname=x"), "");
}

TEST(ScrubTest, HidesThePasswordAsWrittenAndAsDecoded) {
  std::string url = "postgresql://app:p%40ss-word@db:5432/users?sslmode=require";
  EXPECT_EQ(Scrub(url, SecretsOf(url)), "postgresql://app:***@db:5432/users?sslmode=require");
  EXPECT_EQ(Scrub("FATAL: bad p@ss-word", SecretsOf(url)), "FATAL: bad ***");
}

TEST(ScrubTest, KeyValueAndQueryPasswords) {
  EXPECT_EQ(
      Scrub("host=db password=s3cret user=app", SecretsOf("host=db password=s3cret user=app")),
      "host=db password=*** user=app");
  std::string query = "postgresql:///db?user=a&password=s3cret&sslmode=disable";
  EXPECT_EQ(Scrub(query, SecretsOf(query)), "postgresql:///db?user=a&password=***&sslmode=disable");
  EXPECT_EQ(Scrub("postgresql://app@db/users", SecretsOf("postgresql://app@db/users")),
            "postgresql://app@db/users");
}

TEST(WithDatabaseNameTest, KeepsEverySettingButTheDatabase) {
  EXPECT_EQ(WithDatabaseName("postgresql://app:pw@db:5433/users?sslmode=require", "scratch"),
            "dbname='scratch' user='app' password='pw' host='db' port='5433' sslmode='require'");
  EXPECT_EQ(WithDatabaseName("postgresql:///users?host=/tmp/x&port=5", "it's"),
            "dbname='it\\'s' host='/tmp/x' port='5'");
}

std::string Quote(const std::string& s) { return "'" + s + "'"; }

TEST(HistorySqlTest, RecordAndForgetOneRowWithItsEvent) {
  HistoryEntry e;
  e.service = "a";
  e.version = "001";
  e.name = "init";
  e.checksum = "c0ffee";
  e.run_id = "r1";
  e.status = "running";
  e.event = "started";
  e.applied_by_sql = "current_user";
  e.lockstep_version = "0.1.0";
  std::string record = RecordSql("ops", e, Quote);
  EXPECT_NE(record.find("INSERT INTO \"ops\".history"), std::string::npos) << record;
  EXPECT_NE(record.find("'a', '001', 'init', 'started', 'r1', current_user FROM h"),
            std::string::npos)
      << record;
  EXPECT_NE(record.find("ON CONFLICT (service, version) DO UPDATE"), std::string::npos);
  std::string forget = ForgetSql("ops", e, Quote);
  EXPECT_EQ(forget.rfind("WITH h AS (DELETE FROM \"ops\".history WHERE service = 'a' AND version = "
                         "'001' RETURNING 1)",
                         0),
            0u)
      << forget;
}

TEST(HistorySqlTest, TablesAllowRunningAndWidenOldChecks) {
  std::string all;
  for (const std::string& ddl : HistoryTablesDdl("lockstep")) all += ddl + ";\n";
  EXPECT_NE(all.find("CHECK (status IN ('applied', 'failed', 'baseline', 'running'))"),
            std::string::npos);
  EXPECT_NE(all.find("DROP CONSTRAINT history_status_check"), std::string::npos);
}

}  // namespace
}  // namespace lockstep
