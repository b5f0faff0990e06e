// The command line a team lead reaches for: apply --steps N --service S
// (Alembic's upgrade +N), repair --checksum for an intentional edit, --json
// on every command, status's current versions, history with events.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/fixture.h"

namespace lockstep {
namespace {

class CommandLineTest : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    env_ = SmallPlatform();
    p_.WriteService("a");
    p_.WriteMigration("a", "001_users.up.sql", "CREATE TABLE users (id int);\n");
    p_.WriteMigration("a", "001_users.down.sql", "DROP TABLE users;\n");
    p_.WriteMigration("a", "002_orders.up.sql", "CREATE TABLE orders (id int);\n");
    p_.WriteMigration("a", "002_orders.down.sql", "DROP TABLE orders;\n");
    p_.WriteMigration("a", "003_items.up.sql", "CREATE TABLE items (id int);\n");
    p_.WriteMigration("a", "003_items.down.sql", "DROP TABLE items;\n");
    p_.WriteService("b");
    p_.WriteMigration("b", "001_plans.up.sql",
                      "-- lockstep:requires a:002\nCREATE TABLE plans (id int);\n");
  }
  Result Lockstep(const std::string& args) {
    return RunLockstep("-c " + p_.config() + " " + args, env_);
  }
  std::string Applied() {
    return Count("main",
                 "SELECT string_agg(service || ':' || version, ',' ORDER BY service, version) "
                 "FROM lockstep.history WHERE status = 'applied'");
  }

  std::string env_;
};

TEST_F(CommandLineTest, StepsAppliesTheNextNMigrationsOfAService) {
  Result r = Lockstep("apply --service a --steps 1");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Applied(), "a:001");
  EXPECT_NE(r.err.find("--steps 1: a:001"), std::string::npos) << r.err;
  // b's next step needs a:002: it comes along.
  r = Lockstep("apply --service b --steps 1");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Applied(), "a:001,a:002,b:001");
  r = Lockstep("apply --service a --steps 5 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Applied(), "a:001,a:002,a:003,b:001");
  r = Lockstep("apply --service a --steps 1");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("nothing pending for a"), std::string::npos) << r.err;

  EXPECT_EQ(Lockstep("apply --steps 1").code, 2);
  EXPECT_EQ(Lockstep("apply --steps 0 --service a").code, 2);
  r = Lockstep("apply --steps 1 --service nope");
  EXPECT_EQ(r.code, 2);
}

TEST_F(CommandLineTest, RepairChecksumAcceptsAnIntentionalEdit) {
  ASSERT_EQ(Lockstep("apply").code, 0);
  p_.WriteMigration("a", "002_orders.up.sql",
                    "-- orders of a user; the id is the user's.\nCREATE TABLE orders (id int);\n");
  Result r = Lockstep("status --check");
  EXPECT_EQ(r.code, 4) << r.out;
  EXPECT_EQ(Lockstep("repair --service a --checksum").code, 2);  // which one?
  r = Lockstep("repair --service a --version 002 --checksum");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("a:002 orders: checksum accepted ("), std::string::npos) << r.out;
  r = Lockstep("status --check");
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(Count("main",
                  "SELECT status || ' ' || (detail LIKE 'checksum % -> %')::text FROM "
                  "lockstep.events WHERE action = 'repair'"),
            "checksum accepted true");
  r = Lockstep("repair --service a --version 002 --checksum");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("nothing to accept"), std::string::npos) << r.out;
  // A migration that is not applied has no checksum to accept.
  p_.WriteMigration("a", "004_x.up.sql", "SELECT 1;\n");
  r = Lockstep("repair --service a --version 004 --checksum");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("a:004 is not applied"), std::string::npos) << r.err;
}

// --json on every command: one JSON document on stdout.
TEST_F(CommandLineTest, EveryCommandTakesJson) {
  auto json_of = [&](const std::string& args, int code = 0) {
    Result r = Lockstep(args + " --json");
    EXPECT_EQ(r.code, code) << args << ": " << r.out << r.err;
    nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << args << ": " << r.out;
    return j;
  };
  EXPECT_EQ(json_of("baseline --service a --version 001")["recorded"], nlohmann::json{"a:001"});
  EXPECT_EQ(json_of("apply --service a --steps 1")["applied"].size(), 1u);
  EXPECT_EQ(json_of("wait --for a:002")["ready"], true);
  nlohmann::json heads = json_of("heads a");
  EXPECT_EQ(heads["heads"][0]["id"], "a:003");
  nlohmann::json made = json_of("new a add_notes");
  EXPECT_EQ(made["version"], "004");
  EXPECT_NE(made["up"].get<std::string>().find("004_add_notes.up.sql"), std::string::npos);
  p_.WriteMigration("a", "005_x.up.sql", "-- lockstep:parents 003\nSELECT 1;\n");
  nlohmann::json merged = json_of("merge a");
  EXPECT_NE(merged["up"].get<std::string>().find("merge_heads.up.sql"), std::string::npos);
  EXPECT_EQ(json_of("version")["version"].is_string(), true);
  EXPECT_EQ(json_of("graph")["services"].is_array(), true);
  nlohmann::json verified = json_of("verify --service a");
  EXPECT_EQ(verified["problems"], 0);
  EXPECT_EQ(verified["migrations"][0]["result"], "ok");
  // repair of a failed migration
  p_.WriteMigration("b", "002_bad.up.sql", "-- lockstep:no-transaction\nSELECT * FROM nowhere;\n");
  Result r = Lockstep("apply --service b");
  ASSERT_EQ(r.code, 1) << r.err;
  EXPECT_EQ(json_of("repair --service b --forget")["action"], "forgotten");
}

// status leads with each service's current version (Alembic's `current`).
TEST_F(CommandLineTest, StatusShowsEachServicesCurrentVersion) {
  ASSERT_EQ(Lockstep("apply --service a --steps 2").code, 0);
  Result r = Lockstep("status");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("service  current  database  applied  state\n"
                       "a        002      main      2/3      pending 003\n"
                       "b        -        main      0/1      pending 001\n"),
            std::string::npos)
      << r.out;
  nlohmann::json j = nlohmann::json::parse(Lockstep("status --json").out, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["services"][0]["current"], "002");
  EXPECT_EQ(j["services"][1]["current"], "-");
}

// history shows rollbacks and repairs (kept in the events table; a rollback
// deletes the history row), filtered by --service like the rest.
TEST_F(CommandLineTest, HistoryIncludesRollbacksAndRepairs) {
  ASSERT_EQ(Lockstep("apply").code, 0);
  Result r = Lockstep("rollback --to a:002 --yes");
  ASSERT_EQ(r.code, 0) << r.err;
  p_.WriteMigration("a", "001_users.up.sql", "-- users\nCREATE TABLE users (id int);\n");
  ASSERT_EQ(Lockstep("repair --service a --version 001 --checksum").code, 0);
  r = Lockstep("history --service a");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("a:003       rolled back"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("a:001       repair: checksum accepted"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("b:001"), std::string::npos) << r.out;
  nlohmann::json j = nlohmann::json::parse(Lockstep("history --json").out, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  int events = 0;
  for (const auto& row : j) events += row["event"] == true;
  EXPECT_EQ(events, 2) << j.dump(2);
}

}  // namespace
}  // namespace lockstep
