// What a crash of the server may cost (issue 15): migrations commit with
// synchronous_commit = off except each lane's last, so a crash may lose the
// last few commits. It must lose whole migrations with their history rows,
// never half of one, never a migration lockstep reported done, and the next
// run must apply what was lost.
#include <cstdio>
#include <iostream>
#include <random>
#include <set>
#include <sstream>

#include "integration/fixture.h"

namespace lockstep {
namespace {

class DurabilityTest : public IntegrationTest {
 protected:
  DurabilityTest() : IntegrationTest(/*durable_server=*/true) {}

  static constexpr int kMigrations = 40;

  static std::string Version(int i) {
    char v[8];
    std::snprintf(v, sizeof v, "%03d", i);
    return v;
  }

  // For each migration, "T" when its table is there, "R" when its history
  // row is; "TR" or "" when consistent. One line per migration.
  std::vector<std::string> State() {
    bool history = pg_.Query("main", "SELECT to_regclass('lockstep.history') IS NOT NULL") == "t";
    std::string sql =
        "SELECT (CASE WHEN to_regclass('t' || v) IS NOT NULL THEN 'T' ELSE '' END) || " +
        std::string(history ? "(CASE WHEN EXISTS (SELECT 1 FROM lockstep.history h WHERE "
                              "h.service = 'a' AND h.version = v AND h.status = 'applied') "
                              "THEN 'R' ELSE '' END)"
                            : "''") +
        " || '.' FROM (SELECT lpad(g::text, 3, '0') AS v FROM generate_series(1, " +
        std::to_string(kMigrations) + ") g) s ORDER BY v";
    std::vector<std::string> out;
    std::istringstream lines(pg_.Query("main", sql));
    for (std::string line; std::getline(lines, line);)
      out.push_back(line.substr(0, line.size() - 1));
    return out;
  }
};

// The server stopped as a crash would (pg_ctl stop -m immediate: what the WAL
// writer had not written is lost) at random moments of a run, 20 times, on a
// server with fsync = on. After each restart every migration is applied and
// recorded, or neither; everything lockstep printed as done is there; and a
// re-run applies the rest.
TEST_F(DurabilityTest, ServerCrashLosesWholeMigrationsOnlyAndAReRunConverges) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  for (int i = 1; i <= kMigrations; ++i) {
    std::string t = "t" + Version(i);
    p_.WriteMigration("a", Version(i) + "_" + t + ".up.sql",
                      "CREATE TABLE " + t + " (x int);\nINSERT INTO " + t +
                          " SELECT generate_series(1, 5000);\n");
  }
  // How long the migrations of a run take here, from the first one's start
  // to the end of the run, to spread the crashes over that.
  auto start_and_wait = [&](const std::string& dir) {
    StartInBackground("env " + env + " " + kLockstep + " -c " + p_.config() + " apply", dir);
    for (int i = 0; i < 4000 && Slurp(dir + "/err").find("start") == std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  };
  start_and_wait(pg_.dir() + "/first");
  auto begin = std::chrono::steady_clock::now();
  while (Slurp(pg_.dir() + "/first/rc").empty()) std::this_thread::sleep_for(2ms);
  auto window = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - begin);
  ASSERT_EQ(Slurp(pg_.dir() + "/first/rc"), "0\n") << Slurp(pg_.dir() + "/first/err");
  unsigned seed = std::random_device{}();
  std::mt19937 random(seed);
  // Over its first half: runs vary in length on a busy machine, and a crash
  // after the run proves little.
  std::uniform_int_distribution<int> at(0, static_cast<int>(window.count() / 2));
  int interrupted = 0;  // trials whose crash ended the run before it was done
  int torn = 0;         // trials whose crash left some but not all migrations
  for (int trial = 0; trial < 20; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial) + ", seed " + std::to_string(seed));
    env = FreshDatabases({"main"});
    std::string dir = pg_.dir() + "/trial-" + std::to_string(trial);
    start_and_wait(dir);
    std::this_thread::sleep_for(std::chrono::milliseconds(at(random)));
    pg_.Kill();
    std::string rc = WaitForExit(dir);
    ASSERT_FALSE(rc.empty()) << "lockstep did not end after the crash";
    interrupted += rc != "0\n";
    pg_.Start();

    std::vector<std::string> state = State();
    ASSERT_EQ(state.size(), static_cast<size_t>(kMigrations));
    int kept = 0;
    for (int i = 0; i < kMigrations; ++i) {
      EXPECT_TRUE(state[i] == "TR" || state[i].empty())
          << "a:" << Version(i + 1) << " is half there after the crash: " << state[i];
      kept += state[i] == "TR";
    }
    torn += kept > 0 && kept < kMigrations;
    // Nothing reported done was lost.
    std::istringstream err(Slurp(dir + "/err"));
    for (std::string line; std::getline(err, line);) {
      size_t at_id = line.find("  done   main  a:");
      if (at_id == std::string::npos) continue;
      int i = std::stoi(line.substr(at_id + 17, 3));
      EXPECT_EQ(state[i - 1], "TR") << "reported done, lost in the crash: " << line;
    }
    Result again = Apply(env, p_.config());
    ASSERT_EQ(again.code, 0) << again.err;
    for (const std::string& s : State()) EXPECT_EQ(s, "TR");
    EXPECT_EQ(pg_.Query("main", "SELECT count(*) FROM lockstep.history WHERE status = 'applied'"),
              std::to_string(kMigrations));
  }
  // The crashes did land inside runs, not only after them. (How many left
  // some but not all migrations depends on the machine: a crash early in a
  // run often loses every asynchronous commit the WAL writer had not yet
  // written; 13 of 20 here on a quiet day, 4 of 20 under ASan on a busy one.)
  RecordProperty("crashes_inside_a_run", interrupted);
  RecordProperty("crashes_that_kept_some", torn);
  std::cout << "crashes inside a run: " << interrupted << " of 20, " << torn
            << " of them kept some migrations but not all (seed " << seed << ")\n";
  EXPECT_GE(interrupted, 5) << "too few crashes hit a run in progress to prove anything";
  EXPECT_GE(torn, 1) << "no crash left a run half done";
}

}  // namespace
}  // namespace lockstep
