// The commands that talk to databases, on the fake database and a fake clock:
// no server, no real time.
#include <sstream>

#include <gtest/gtest.h>

#include "daemon/cli/commands.h"
#include "daemon/cli/fake_commands.h"
#include "daemon/exit_codes.h"
#include "manifests/sha256.h"

namespace lockstep {
namespace {

StatusOptions Checking() {
  StatusOptions status;
  status.check = true;
  return status;
}

using Millis = std::chrono::milliseconds;

const char* kT1 = "CREATE TABLE t1 (x int);";
const char* kT2 = "CREATE TABLE t2 (x int);";

class CommandsTest : public FakeCommandsTest {
 protected:
  CommandsTest() {
    p_.WritePlatformFile("main");
    p_.WriteService("a");
    p_.WriteMigration("a", "001_t1.up.sql", kT1);
    p_.WriteMigration("a", "001_t1.down.sql", "DROP TABLE t1;");
    p_.WriteMigration("a", "002_t2.up.sql", kT2);
    p_.WriteMigration("a", "002_t2.down.sql", "DROP TABLE t2;");
  }

  static HistoryRow Row(const std::string& version, const std::string& status,
                        const std::string& sql) {
    HistoryRow r;
    r.service = "a";
    r.version = version;
    r.status = status;
    r.checksum = Sha256Hex(sql);
    r.run_id = "earlier";
    return r;
  }
  std::string Versions() {
    std::string out;
    for (const HistoryRow& r : cluster_.history("main")) out += r.version + " " + r.status + ";";
    return out;
  }
  int Apply() { return RunApply(Options(), {}, out_, log_); }
};

TEST_F(CommandsTest, StatusCheckCountsPendingButNotRunning) {
  cluster_.SetHistory("main", {Row("001", "applied", kT1)});
  EXPECT_EQ(RunStatus(Options(), Checking(), out_, log_), kExitDrift);
  EXPECT_NE(out_.str().find("1/2      pending 002"), std::string::npos) << out_.str();
  out_.str("");
  cluster_.SetHistory("main", {Row("001", "applied", kT1), Row("002", "running", kT2)});
  EXPECT_EQ(RunStatus(Options(), Checking(), out_, log_), kExitOk);
  EXPECT_NE(out_.str().find("running 002"), std::string::npos) << out_.str();
}

TEST_F(CommandsTest, StatusIsColouredOnlyWhenAsked) {
  cluster_.SetHistory("main", {Row("001", "applied", kT1), Row("002", "failed", kT2)});
  CommonOptions o = Options();
  EXPECT_EQ(RunStatus(o, {}, out_, log_), kExitOk);
  EXPECT_EQ(out_.str().find("\033"), std::string::npos) << out_.str();
  out_.str("");
  o.color = true;
  EXPECT_EQ(RunStatus(o, {}, out_, log_), kExitOk);
  EXPECT_NE(out_.str().find("\033[31mFAILED 002\033[0m"), std::string::npos) << out_.str();
}

TEST_F(CommandsTest, StatusOfAnUnreachableDatabaseIsAFailure) {
  cluster_.MakeUnreachable("main");
  EXPECT_EQ(RunStatus(Options(), {}, out_, log_), kExitFailed);
  EXPECT_NE(err_.str().find("database 'main': cannot connect: refused"), std::string::npos);
}

TEST_F(CommandsTest, RollbackToRunsTheLaterDownOnly) {
  ASSERT_EQ(Apply(), kExitOk) << err_.str();
  RollbackOptions r;
  r.to = "a:001";
  r.yes = true;
  EXPECT_EQ(RunRollback(Options(), r, out_, log_), kExitOk) << err_.str();
  EXPECT_EQ(Versions(), "001 applied;");
}

TEST_F(CommandsTest, RollbackNeedsYesWhenNoOneCanBeAsked) {
  ASSERT_EQ(Apply(), kExitOk);
  RollbackOptions r;
  r.target = "a:001";
  EXPECT_EQ(RunRollback(Options(), r, out_, log_), kExitBadInput);
  EXPECT_EQ(Versions(), "001 applied;002 applied;");
  std::string asked;
  r.confirm = [&](const std::string& question) {
    asked = question;
    return false;
  };
  EXPECT_EQ(RunRollback(Options(), r, out_, log_), kExitBadInput);
  EXPECT_EQ(asked,
            "lockstep: roll back 2 migrations (their down files run; what they drop is "
            "lost)?");
  r.confirm = [](const std::string&) { return true; };
  EXPECT_EQ(RunRollback(Options(), r, out_, log_), kExitOk) << err_.str();
  EXPECT_EQ(Versions(), "");
}

TEST_F(CommandsTest, BaselineRecordsWithoutRunning) {
  BaselineOptions b;
  b.service = "a";
  b.version = "001";
  EXPECT_EQ(RunBaseline(Options(), b, out_, log_), kExitOk) << err_.str();
  EXPECT_EQ(Versions(), "001 baseline;");
  EXPECT_TRUE(cluster_.started().empty());
  EXPECT_FALSE(cluster_.any_lock_left());
}

TEST_F(CommandsTest, ImportRecordsNothingUnlessEveryEntryMatches) {
  BaselineOptions b;
  b.import_tool = "dbmate";
  cluster_.SetForeignHistory("main", "dbmate", {"001", "099"});
  EXPECT_EQ(RunBaseline(Options(), b, out_, log_), kExitFailed);
  EXPECT_NE(out_.str().find("unmatched  099 (no lockstep migration matches)"), std::string::npos);
  EXPECT_EQ(Versions(), "");
  cluster_.SetForeignHistory("main", "dbmate", {"001"});
  EXPECT_EQ(RunBaseline(Options(), b, out_, log_), kExitOk) << err_.str();
  EXPECT_EQ(Versions(), "001 baseline;");
}

TEST_F(CommandsTest, RepairMarksAFailedMigrationApplied) {
  cluster_.SetHistory("main", {Row("001", "applied", kT1), Row("002", "failed", kT2)});
  EXPECT_EQ(Apply(), kExitFailed);
  RepairOptions r;
  r.service = "a";
  r.mark_applied = true;
  EXPECT_EQ(RunRepair(Options(), r, out_, log_), kExitOk) << err_.str();
  EXPECT_EQ(Versions(), "001 applied;002 applied;");
  EXPECT_EQ(RunRepair(Options(), r, out_, log_), kExitBadInput);  // nothing left to repair
}

TEST_F(CommandsTest, DriftNamesWhatChangedByHand) {
  ASSERT_EQ(Apply(), kExitOk);
  EXPECT_EQ(RunDrift(Options(), DriftOptions{}, out_, log_), kExitOk) << out_.str();
  cluster_.SetLiveObject("main", "index public.by_hand", "CREATE INDEX by_hand ON t1 (x)");
  out_.str("");
  EXPECT_EQ(RunDrift(Options(), DriftOptions{}, out_, log_), kExitDrift);
  EXPECT_NE(out_.str().find("index public.by_hand"), std::string::npos) << out_.str();
}

TEST_F(CommandsTest, WaitTimesOutInFakeTime) {
  WaitOptions w;
  w.targets = {"a:002"};
  w.timeout = "2s";
  EXPECT_EQ(RunWait(Options(), w, out_, log_), kExitWaitTimeout);
  EXPECT_EQ(clock_.elapsed(), Millis(2000));
  EXPECT_EQ(clock_.sleeps(),
            (std::vector<Millis>{Millis(200), Millis(300), Millis(450), Millis(675), Millis(375)}));
}

TEST_F(CommandsTest, WaitReturnsOnceApplied) {
  clock_.OnSleep([&](int sleeps) {
    if (sleeps == 2) cluster_.SetHistory("main", {Row("001", "applied", kT1)});
  });
  WaitOptions w;
  w.targets = {"a:001"};
  EXPECT_EQ(RunWait(Options(), w, out_, log_), kExitOk);
  EXPECT_EQ(out_.str(), "ready\n");
  EXPECT_EQ(clock_.elapsed(), Millis(500));
}

TEST_F(CommandsTest, WaitStopsAtAFailedMigration) {
  cluster_.SetHistory("main", {Row("001", "failed", kT1)});
  WaitOptions w;
  w.services = {"a"};
  EXPECT_EQ(RunWait(Options(), w, out_, log_), kExitFailed);
  EXPECT_TRUE(clock_.sleeps().empty());
}

}  // namespace
}  // namespace lockstep
