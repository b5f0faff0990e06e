// lockstep report on a history with seed 001's warts: a generated id in a
// name, fix migrations, an unmerged branch, a missing down, an undocumented
// file, a file edited after it was applied (read from a real database).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/fixture.h"

namespace lockstep {
namespace {

class ReportTest : public IntegrationTest {};

TEST_F(ReportTest, MeasuresNamingFixesBranchesDownsDocumentationAndEdits) {
  std::string env = SmallPlatform();
  std::string platform = Slurp(p_.config());
  p_.Write("lockstep.yaml", platform +
                                "settings:\n  report:\n"
                                "    naming: \"{date}_{number}_{description}\"\n"
                                "    ranges: { \"001-099\": base, \"900-999\": fixes }\n");
  p_.WriteService("api");
  auto up_down = [&](const std::string& service, const std::string& stem, const std::string& sql,
                     bool down = true) {
    p_.WriteMigration(service, stem + ".up.sql", sql);
    if (down) p_.WriteMigration(service, stem + ".down.sql", "SELECT 1;\n");
  };
  up_down("api", "20250824_001_init_base_tables", "-- the base tables\nCREATE TABLE t (id int);\n");
  up_down("api", "20250824_002_add_cloud_urls_abc123def456",
          "-- cloud urls\nALTER TABLE t ADD COLUMN url text;\n");
  up_down("api", "20250825_901_fix_missing_index", "-- the index 001 forgot\nSELECT 1;\n");
  up_down("api", "20250825_902_add_missing_column", "SELECT 1;\n", /*down=*/false);
  up_down("api", "20250826_500_add_reports", "-- reports\nSELECT 1;\n");
  p_.WriteService("chat");
  up_down("chat", "20250824_001_init_chat", "-- chat\nCREATE TABLE c (id int);\n");
  up_down("chat", "20250825_002_add_rooms",
          "-- lockstep:parents 20250824_001\n-- rooms\nSELECT 1;\n");
  up_down("chat", "20250825_003_add_files",
          "-- lockstep:parents 20250824_001\n-- files\nSELECT 1;\n");
  ASSERT_EQ(Apply(env, p_.config()).code, 0);
  // Edited after apply: a comment added to an applied file.
  up_down("api", "20250824_001_init_base_tables",
          "-- the base tables (all of them)\nCREATE TABLE t (id int);\n");

  Result r = RunLockstep("-c " + p_.config() + " report --json", env);
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["migrations"], 8);
  EXPECT_EQ(j["databases_read"], true);
  const nlohmann::json& api = j["services"][0];
  EXPECT_EQ(api["service"], "api");
  ASSERT_EQ(api["naming_problems"].size(), 2u) << api.dump(2);
  EXPECT_EQ(api["naming_problems"][0]["id"], "api:20250824_002");
  EXPECT_EQ(api["naming_problems"][0]["why"],
            "'abc123def456' looks like a generated id, not a description");
  EXPECT_EQ(api["naming_problems"][1]["id"], "api:20250826_500");
  EXPECT_EQ(api["naming_problems"][1]["why"],
            "version 20250826_500 is in no range of settings.report.ranges");
  EXPECT_EQ(api["fixes"], (nlohmann::json{"api:20250825_901", "api:20250825_902"}));
  EXPECT_EQ(api["without_down"], nlohmann::json{"api:20250825_902"});
  EXPECT_EQ(api["undocumented"], nlohmann::json{"api:20250825_902"});
  EXPECT_EQ(api["edited_after_apply"], nlohmann::json{"api:20250824_001"});
  const nlohmann::json& chat = j["services"][1];
  EXPECT_EQ(chat["heads"], 2);
  EXPECT_EQ(chat["merges"], 0);
  // 6 of 8 names follow the rule; 2 of 8 are fixes; 1 of 2 services has
  // unmerged heads; 7 of 8 files say what they do.
  EXPECT_EQ(j["scores"]["naming"], 75);
  EXPECT_EQ(j["scores"]["integrity"], 75);
  EXPECT_EQ(j["scores"]["dependency_clarity"], 50);
  EXPECT_EQ(j["scores"]["documentation"], 88);

  r = RunLockstep("-c " + p_.config() + " report", env);
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("  naming           75%  (6 of 8 follow the rule)"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("  2 heads: lockstep merge chat"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  api:20250824_001: edited after it was applied"), std::string::npos)
      << r.out;

  r = RunLockstep("-c " + p_.config() + " report --format markdown", env);
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("| naming | 75% |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| api | 5 | 60% | 2 | 0 | 1 | 1 | 1 | 1 |"), std::string::npos) << r.out;

  // Without a database, the edits are not counted and it says so.
  r = RunLockstep("-c " + p_.config() + " report --json",
                  "MAIN_DATABASE_URL=postgresql://nobody@127.0.0.1:1/none");
  EXPECT_EQ(r.code, 0) << r.err;
  j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_EQ(j["databases_read"], false);
  EXPECT_TRUE(j["services"][0]["edited_after_apply"].is_null());
  EXPECT_NE(r.err.find("files edited after apply are not counted"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace lockstep
