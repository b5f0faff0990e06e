// lockstep lint against a real database: what is applied is history and is
// not linted, what is pending is; findings as text, GitHub annotations and
// JSON; a table another service creates needs a requires; settings.lint.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/fixture.h"

namespace lockstep {
namespace {

class LintCommandTest : public IntegrationTest {};

TEST_F(LintCommandTest, LintsWhatIsPendingNotWhatIsApplied) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (id int);\n");
  p_.WriteMigration("a", "002_t_id.up.sql", "CREATE INDEX t_id ON t (id);\n");
  ASSERT_EQ(Apply(env, p_.config()).code, 0);
  p_.WriteMigration("a", "003_drop.up.sql", "-- t is gone\nDROP TABLE t;\n");
  const std::string dir = p_.root() + "/services/a/migrations/";

  Result r = RunLockstep("-c " + p_.config() + " lint", env);
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_EQ(r.out, dir +
                       "003_drop.up.sql:2:1: LS101 drop-table: DROP TABLE t deletes the "
                       "table and its data\n");
  EXPECT_NE(r.err.find("1 pending migrations checked: 1 error, 0 warnings"), std::string::npos)
      << r.err;

  r = RunLockstep("-c " + p_.config() + " lint --all", env);
  EXPECT_EQ(r.code, 4);
  EXPECT_NE(r.out.find("002_t_id.up.sql:1:1: LS103"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("003_drop.up.sql:2:1: LS101"), std::string::npos) << r.out;

  r = RunLockstep("-c " + p_.config() + " lint --format github", env);
  EXPECT_EQ(r.out, "::error file=" + dir +
                       "003_drop.up.sql,line=2,col=1,title=LS101 drop-table"
                       "::DROP TABLE t deletes the table and its data\n");

  r = RunLockstep("-c " + p_.config() + " lint --json", env);
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["scope"], "pending");
  EXPECT_EQ(j["checked"], 1);
  ASSERT_EQ(j["findings"].size(), 1u);
  EXPECT_EQ(j["findings"][0]["rule"], "LS101");
  EXPECT_EQ(j["findings"][0]["line"], 2);

  // An allow line accepts it, and nothing else is pending.
  p_.WriteMigration("a", "003_drop.up.sql",
                    "-- lockstep:allow LS101\n-- t was replaced by u in 2025.\nDROP TABLE t;\n");
  r = RunLockstep("-c " + p_.config() + " lint", env);
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_F(LintCommandTest, UnreachableDatabaseLintsEverythingAndSaysSo) {
  p_.Write("lockstep.yaml",
           "version: 1\nservices: [services/*/service.yaml]\ndatabases:\n"
           "  main: { url: \"postgresql://nobody:secret@127.0.0.1:1/nowhere\" }\n");
  p_.WriteService("a");
  p_.WriteMigration("a", "001_t.up.sql", "TRUNCATE t;\n");
  Result r = RunLockstep("-c " + p_.config() + " lint");
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_NE(r.out.find("001_t.up.sql:1:1: LS109 truncate"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("linting every migration, as with --all"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("secret"), std::string::npos) << r.err;
}

TEST_F(LintCommandTest, ATableAnotherServiceCreatesNeedsARequires) {
  std::string env = SmallPlatform();
  p_.WriteService("users");
  p_.WriteMigration("users", "001_users.up.sql", "CREATE TABLE users (id bigint PRIMARY KEY);\n");
  p_.WriteService("billing");
  p_.WriteMigration("billing", "001_invoices.up.sql",
                    "CREATE TABLE invoices (id bigint,\n"
                    "  user_id bigint REFERENCES users (id));\n");
  Result r = RunLockstep("-c " + p_.config() + " lint --all", env);
  EXPECT_EQ(r.code, 4) << r.err;
  const std::string file = p_.root() + "/services/billing/migrations/001_invoices.up.sql";
  EXPECT_EQ(r.out, file + ":2:29: LS110 table-of-another-service: users is created by users:001 (" +
                       p_.root() +
                       "/services/users/migrations/001_users.up.sql), which this migration does "
                       "not require: add '-- lockstep:requires users:001'\n");

  p_.WriteMigration("billing", "001_invoices.up.sql",
                    "-- lockstep:requires users:001\n"
                    "CREATE TABLE invoices (id bigint,\n"
                    "  user_id bigint REFERENCES users (id));\n");
  r = RunLockstep("-c " + p_.config() + " lint --all", env);
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "");
  // And it applies: the requires orders them.
  EXPECT_EQ(Apply(env, p_.config()).code, 0);
}

TEST_F(LintCommandTest, SettingsLintSetsSeveritiesAndNamesAnUnknownRule) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_t.up.sql",
                    "CREATE TABLE t (id int);\nALTER TABLE t RENAME TO u;\nTRUNCATE u;\n");
  std::string config = p_.root() + "/lockstep.yaml";
  std::string base = Slurp(config);
  p_.Write("lockstep.yaml", base + "settings:\n  lint: { off: [LS109], error: [LS108] }\n");
  Result r = RunLockstep("-c " + config + " lint --all", env);
  EXPECT_EQ(r.code, 0) << r.out << r.err;  // ALTER of a table made in the file: no finding
  EXPECT_EQ(r.out, "");

  p_.Write("lockstep.yaml", base + "settings:\n  lint: { off: [LS109] }\n");
  p_.WriteMigration("a", "002_rename.up.sql",
                    "SET lock_timeout = '1s';\nALTER TABLE u RENAME x TO y;\n");
  r = RunLockstep("-c " + config + " lint --all", env);
  EXPECT_EQ(r.code, 0) << r.err;  // a warning only
  EXPECT_NE(r.out.find("002_rename.up.sql:2:15: LS108 rename"), std::string::npos) << r.out;
  p_.Write("lockstep.yaml", base + "settings:\n  lint: { error: [LS108] }\n");
  r = RunLockstep("-c " + config + " lint --all", env);
  EXPECT_EQ(r.code, 4) << r.err;

  p_.Write("lockstep.yaml", base + "settings:\n  lint:\n    off: [LS199]\n");
  r = RunLockstep("-c " + config + " lint --all", env);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(
      r.err.find(config + ":" + std::to_string(std::count(base.begin(), base.end(), '\n') + 3)),
      std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("LS199"), std::string::npos) << r.err;

  r = RunLockstep("lint --explain LS103");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("LS103 index-without-concurrently (error by default)"), std::string::npos)
      << r.out;
  r = RunLockstep("lint --explain LS1O3");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("did you mean 'LS103'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace lockstep
