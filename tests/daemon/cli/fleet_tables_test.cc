// status, history and plan on a platform of 300 services over 30 databases:
// summarised so a person can read them, narrowed with --service (names or
// patterns) and --database, in full with --all, complete in --json.
#include <algorithm>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "daemon/cli/commands.h"
#include "daemon/cli/fake_commands.h"
#include "daemon/exit_codes.h"
#include "manifests/sha256.h"

namespace lockstep {
namespace {

constexpr int kServices = 300, kDatabases = 30;

std::string Name(const char* prefix, int i) {
  char name[16];
  snprintf(name, sizeof name, "%s%03d", prefix, i);
  return name;
}

std::string Sql(int service, int version) {
  return "CREATE TABLE t" + std::to_string(service) + "_" + std::to_string(version) + " (x int);";
}

size_t Lines(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

class FleetTablesTest : public FakeCommandsTest {
 protected:
  FleetTablesTest() {
    std::string dbs;
    for (int d = 0; d < kDatabases; ++d) dbs += (d ? "," : "") + Name("db", d);
    p_.WritePlatformFile(dbs);
    for (int s = 0; s < kServices; ++s) {
      p_.WriteService(Name("s", s), Name("db", s % kDatabases));
      p_.WriteMigration(Name("s", s), "001_one.up.sql", Sql(s, 1));
      p_.WriteMigration(Name("s", s), "002_two.up.sql", Sql(s, 2));
    }
  }

  // Everything applied, then on db007: s007's 002 failed, s037's 002 never ran.
  void ApplyAllButTwo() {
    ASSERT_EQ(RunApply(Options(), {}, out_, log_), kExitOk) << err_.str();
    std::vector<HistoryRow> rows = cluster_.history("db007");
    rows.erase(std::remove_if(
                   rows.begin(), rows.end(),
                   [](const HistoryRow& r) { return r.service == "s037" && r.version == "002"; }),
               rows.end());
    for (HistoryRow& r : rows) {
      if (r.service == "s007" && r.version == "002") r.status = "failed";
    }
    cluster_.SetHistory("db007", rows);
    out_.str("");
  }
  std::string Status(StatusOptions status = {}, int expect = kExitOk) {
    out_.str("");
    EXPECT_EQ(RunStatus(Options(), status, out_, log_), expect) << err_.str();
    return out_.str();
  }
};

TEST_F(FleetTablesTest, StatusOfThreeHundredServicesIsSummarised) {
  ApplyAllButTwo();
  std::string out = Status();
  EXPECT_NE(out.find("300 services on 30 databases: 298 up to date, 2 not (1 migration pending, 1 "
                     "failed)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("needs attention (1):"), std::string::npos) << out;
  EXPECT_NE(out.find("s007     001      db007     1/2      FAILED 002"), std::string::npos) << out;
  EXPECT_NE(out.find("pending: 1 service:"), std::string::npos) << out;
  EXPECT_NE(out.find("s037     001      db007     1/2      pending 002"), std::string::npos) << out;
  EXPECT_EQ(out.find("s100"), std::string::npos) << out;  // up to date: counted, not listed
  EXPECT_NE(out.find("db007     10        1        1"), std::string::npos) << out;
  EXPECT_NE(out.find("--service NAME or a pattern"), std::string::npos) << out;
  EXPECT_LT(Lines(out), 30u) << out;
}

TEST_F(FleetTablesTest, StatusNarrowsByServicePatternAndDatabase) {
  ApplyAllButTwo();
  StatusOptions pattern;
  pattern.services = {"s00*"};
  std::string out = Status(pattern);
  EXPECT_EQ(Lines(out), 11u) << out;  // the header and s000..s009, in full
  EXPECT_NE(out.find("s007     001      db007     1/2      FAILED 002"), std::string::npos) << out;

  StatusOptions database;
  database.database = "db008";
  database.check = true;
  out = Status(database);  // nothing wrong on db008: --check passes
  EXPECT_EQ(Lines(out), 11u) << out;
  database.database = "db007";
  Status(database, kExitDrift);

  StatusOptions all;
  all.all = true;
  EXPECT_EQ(Lines(Status(all)), 301u);

  StatusOptions typo;
  typo.services = {"sx007"};
  Status(typo, kExitBadInput);
  EXPECT_NE(err_.str().find("unknown service 'sx007' (did you mean 's007'?)"), std::string::npos)
      << err_.str();
  StatusOptions none;
  none.services = {"billing-*"};
  Status(none, kExitBadInput);
  EXPECT_NE(err_.str().find("no service matches 'billing-*'"), std::string::npos) << err_.str();
  StatusOptions nodb;
  nodb.database = "db7";
  Status(nodb, kExitBadInput);
  EXPECT_NE(err_.str().find("no service uses a database named 'db7'"), std::string::npos);
}

TEST_F(FleetTablesTest, StatusJsonIsNeverSummarised) {
  ApplyAllButTwo();
  CommonOptions o = Options();
  o.json = true;
  ASSERT_EQ(RunStatus(o, {}, out_, log_), kExitOk);
  nlohmann::json j = nlohmann::json::parse(out_.str());
  EXPECT_EQ(j["services"].size(), 300u);
  out_.str("");
  StatusOptions one;
  one.services = {"s037"};
  ASSERT_EQ(RunStatus(o, one, out_, log_), kExitOk);
  j = nlohmann::json::parse(out_.str());
  ASSERT_EQ(j["services"].size(), 1u);
  EXPECT_EQ(j["services"][0]["pending"][0], "s037:002");
  EXPECT_EQ(j["up_to_date"], false);
}

TEST_F(FleetTablesTest, HistoryShowsTheNewestRowsAndNarrows) {
  ApplyAllButTwo();
  HistoryOptions h;
  ASSERT_EQ(RunHistory(Options(), h, out_, log_), kExitOk);
  std::string out = out_.str();
  EXPECT_NE(out.find("the newest 50 of 599 rows (30 databases, 1 runs)"), std::string::npos)
      << out.substr(0, 500);
  EXPECT_EQ(Lines(out), 51u);
  out_.str("");
  h.services = {"s007"};
  ASSERT_EQ(RunHistory(Options(), h, out_, log_), kExitOk);
  EXPECT_EQ(Lines(out_.str()), 2u) << out_.str();
  EXPECT_NE(out_.str().find("s007:002    failed"), std::string::npos) << out_.str();
  out_.str("");
  h = {};
  h.limit = 5;
  ASSERT_EQ(RunHistory(Options(), h, out_, log_), kExitOk);
  EXPECT_EQ(Lines(out_.str()), 6u) << out_.str();
  out_.str("");
  h = {};
  h.all = true;
  ASSERT_EQ(RunHistory(Options(), h, out_, log_), kExitOk);
  EXPECT_EQ(Lines(out_.str()), 599u);
}

TEST_F(FleetTablesTest, PlanOfSixHundredMigrationsIsSummarised) {
  PlanOptions plan;
  ASSERT_EQ(RunPlan(Options(), plan, out_, log_), kExitOk) << err_.str();
  std::string out = out_.str();
  EXPECT_NE(out.find("plan: 600 migrations on 30 databases in 2 waves"), std::string::npos) << out;
  EXPECT_NE(out.find("(summarised past 100 migrations"), std::string::npos) << out;
  EXPECT_NE(out.find("  wave 1    300 migrations on 30 databases"), std::string::npos) << out;
  EXPECT_NE(out.find("and 280 more services"), std::string::npos) << out;
  EXPECT_NE(out.find("and 10 more databases"), std::string::npos) << out;
  EXPECT_LT(Lines(out), 80u) << out;
  out_.str("");
  plan.all = true;
  ASSERT_EQ(RunPlan(Options(), plan, out_, log_), kExitOk);
  EXPECT_GT(Lines(out_.str()), 600u);
}

}  // namespace
}  // namespace lockstep
