// environments and lockstep compare on three real databases standing for
// dev, staging and production at different versions.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/fixture.h"

namespace lockstep {
namespace {

class CompareTest : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    std::string environments = "environments:\n";
    for (const char* env : {"dev", "staging", "production"}) {
      std::string db = std::string("cmp_") + env;
      pg_.CreateDatabase(db);
      p_.Write(std::string("envs/") + env + ".env",
               "# " + std::string(env) + "\nexport MAIN_DATABASE_URL='" + pg_.Url(db) + "'\n");
      environments += std::string("  ") + env + ": { env_file: envs/" + env + ".env }\n";
    }
    p_.Write("lockstep.yaml",
             "version: 1\nservices: [services/*/service.yaml]\ndatabases:\n"
             "  main: { url: \"${MAIN_DATABASE_URL}\" }\n" +
                 environments);
    p_.WriteService("a");
    p_.WriteMigration("a", "001_users.up.sql", "CREATE TABLE users (id int);\n");
    p_.WriteMigration("a", "002_orders.up.sql", "CREATE TABLE orders (id int);\n");
    p_.WriteMigration("a", "003_items.up.sql", "CREATE TABLE items (id int);\n");
    p_.WriteService("b");
    p_.WriteMigration("b", "001_plans.up.sql", "CREATE TABLE plans (id int);\n");
  }
  Result Lockstep(const std::string& args) { return RunLockstep("-c " + p_.config() + " " + args); }
};

TEST_F(CompareTest, ThreeEnvironmentsAtDifferentVersions) {
  ASSERT_EQ(Lockstep("--env dev apply").code, 0);
  ASSERT_EQ(Lockstep("--env staging apply --target a:002").code, 0);
  Result r = Lockstep("--env production apply --target a:001");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Count("cmp_production", "SELECT count(*) FROM lockstep.history"), "1");
  EXPECT_EQ(Count("cmp_dev", "SELECT count(*) FROM lockstep.history"), "4");

  r = Lockstep("compare dev staging production");
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_EQ(r.out,
            "a: differs\n"
            "  migration                         dev         staging     production\n"
            "  002 orders                        applied     applied     -\n"
            "  003 items                         applied     -           -\n"
            "b: differs\n"
            "  migration                         dev         staging     production\n"
            "  001 plans                         applied     -           -\n");
  EXPECT_NE(r.err.find("2 of 2 services differ between dev, staging and production"),
            std::string::npos)
      << r.err;

  r = Lockstep("compare staging production --json");
  EXPECT_EQ(r.code, 4);
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["differ"], true);
  EXPECT_EQ(j["services"][0]["service"], "a");
  EXPECT_EQ(j["services"][0]["migrations"][0]["differs"], false);
  EXPECT_EQ(j["services"][0]["migrations"][1]["states"]["staging"], "applied");
  EXPECT_TRUE(j["services"][0]["migrations"][1]["states"]["production"].is_null());

  // Staging catches up: dev and staging are the same.
  ASSERT_EQ(Lockstep("--env staging apply").code, 0);
  r = Lockstep("compare dev staging");
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "a: the same everywhere (3 applied)\nb: the same everywhere (1 applied)\n");

  // Production gets an edited 003 (someone "fixed" a comment after dev and
  // staging had it): the checksums differ.
  p_.WriteMigration("a", "003_items.up.sql", "-- items\nCREATE TABLE items (id int);\n");
  ASSERT_EQ(Lockstep("--env production apply").code, 0);
  r = Lockstep("compare dev staging production");
  EXPECT_EQ(r.code, 4);
  EXPECT_NE(r.out.find("  003 items                         applied     applied     applied"
                       "     checksum differs: dev "),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("b: differs"), std::string::npos) << r.out;
}

TEST_F(CompareTest, UnknownEnvironmentsAndBadEnvFilesAreBadInput) {
  Result r = Lockstep("--env stagin status");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no environment 'stagin' (did you mean 'staging'?); environments: dev, "
                       "staging, production"),
            std::string::npos)
      << r.err;
  r = Lockstep("compare dev");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("two environments or more"), std::string::npos) << r.err;

  p_.Write("envs/staging.env", "# staging\nMAIN_DATABASE_URL='postgresql://u:s3cret@h/db\n");
  r = Lockstep("compare dev staging");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(p_.root() + "/envs/staging.env:2: MAIN_DATABASE_URL: the value's quote is "
                                   "not closed"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("s3cret"), std::string::npos) << r.err;

  // LOCKSTEP_ENV picks one too.
  r = RunLockstep("-c " + p_.config() + " apply", "LOCKSTEP_ENV=dev");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Count("cmp_dev", "SELECT count(*) FROM lockstep.history"), "4");
}

}  // namespace
}  // namespace lockstep
