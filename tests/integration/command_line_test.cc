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

}  // namespace
}  // namespace lockstep
