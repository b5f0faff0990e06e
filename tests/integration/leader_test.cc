// Several `lockstep serve` replicas with settings.coordination: one leader,
// which alone runs rounds and accepts runs; kill -9 of the leader hands over
// within lock_timeout; a restart of the coordination database never makes two
// leaders.
#include <fstream>

#include <nlohmann/json.hpp>

#include "integration/fixture.h"

namespace lockstep {
namespace {

struct Replica {
  std::string dir, port, pid;
};

class LeaderTest : public IntegrationTest {
 protected:
  void TearDown() override {
    for (const Replica& r : replicas_) Shell("kill -9 " + r.pid + " 2>/dev/null");
  }

  // One service `a` on `main`, which is also the coordination database;
  // lock_timeout 3s: a poll every 500 ms. Rounds every second apply.
  std::string Platform() {
    std::string env = SmallPlatform();
    p_.Write("lockstep.yaml", Slurp(p_.config()) +
                                  "settings:\n  coordination: main\n  lock_timeout: 3s\n"
                                  "  schedule: {interval: 1s, apply_pending: true}\n");
    p_.WriteService("a");
    p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (x int);");
    return env;
  }

  Replica& Start(const std::string& env) {
    Replica r;
    r.dir = p_.root() + "/replica" + std::to_string(replicas_.size());
    r.pid = StartInBackground("env " + env + " " + kLockstep + " -c " + p_.config() +
                                  " serve --listen 127.0.0.1:0 --refresh 300ms",
                              r.dir);
    r.port = WaitForPort(r.dir);
    EXPECT_FALSE(r.port.empty()) << Slurp(r.dir + "/err");
    replicas_.push_back(r);
    return replicas_.back();
  }

  std::pair<int, std::string> Call(const Replica& r, const std::string& method,
                                   const std::string& path, const std::string& body = "") {
    std::ofstream(r.dir + "/request") << body;
    std::string code;
    Shell("curl -s -m 2 -X " + method + " -o " + r.dir + "/response -w '%{http_code}' " +
              "-H 'Authorization: Bearer secret' " +
              (body.empty() ? "" : "--data-binary @" + r.dir + "/request ") +
              "'http://127.0.0.1:" + r.port + path + "'",
          &code);
    return {atoi(code.c_str()), Slurp(r.dir + "/response")};
  }

  std::string Role(const Replica& r) {
    auto [code, body] = Call(r, "GET", "/v1/status");
    if (code != 200) return "";
    return nlohmann::json::parse(body, nullptr, false).value("role", "");
  }

  // The replica that leads once exactly one does, or -1 after 20 s.
  int WaitForOneLeader() {
    for (int i = 0; i < 200; ++i) {
      int leaders = 0, which = -1;
      for (size_t r = 0; r < replicas_.size(); ++r) {
        if (Role(replicas_[r]) == "leader") ++leaders, which = static_cast<int>(r);
      }
      if (leaders == 1) return which;
      std::this_thread::sleep_for(100ms);
    }
    return -1;
  }

  std::vector<Replica> replicas_;
};

TEST_F(LeaderTest, TwoReplicasElectOneLeaderAndOnlyItRunsRoundsAndRuns) {
  std::string env = Platform() + " LOCKSTEP_API_TOKEN=secret";
  Start(env);
  Start(env);
  int leader = WaitForOneLeader();
  ASSERT_GE(leader, 0) << Slurp(replicas_[0].dir + "/err") << Slurp(replicas_[1].dir + "/err");
  const Replica& l = replicas_[leader];
  const Replica& f = replicas_[1 - leader];
  EXPECT_EQ(Role(f), "follower");
  ASSERT_TRUE(WaitFor("main", "SELECT count(*) FROM lockstep.history WHERE status = 'applied'"));

  // Only the leader ran rounds; the follower answers runs with 409 naming it.
  EXPECT_NE(Call(l, "GET", "/v1/runs").second.find("\"schedule\""), std::string::npos);
  EXPECT_EQ(Call(f, "GET", "/v1/runs").second.find("\"schedule\""), std::string::npos)
      << Call(f, "GET", "/v1/runs").second;
  auto [code, body] = Call(f, "POST", "/v1/runs", R"({"action": "apply"})");
  EXPECT_EQ(code, 409) << body;
  EXPECT_NE(body.find("lockstep/serve-"), std::string::npos) << body;
  EXPECT_EQ(Call(l, "POST", "/v1/runs", R"({"action": "apply"})").first, 202);
  EXPECT_NE(Call(l, "GET", "/metrics").second.find("lockstep_leader 1"), std::string::npos);
  EXPECT_NE(Call(f, "GET", "/metrics").second.find("lockstep_leader 0"), std::string::npos);
  EXPECT_NE(Call(l, "GET", "/metrics")
                .second.find("lockstep_runs_total{trigger=\"schedule\",result=\"succeeded\"}"),
            std::string::npos);
  // The leader's lock is not the migration lock: a CLI apply goes through.
  Result r = Apply(env, p_.config());
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST_F(LeaderTest, KillNineOfTheLeaderHandsOverWithinLockTimeout) {
  std::string env = Platform() + " LOCKSTEP_API_TOKEN=secret";
  Start(env);
  Start(env);
  int leader = WaitForOneLeader();
  ASSERT_GE(leader, 0);
  ASSERT_TRUE(WaitFor("main", "SELECT count(*) FROM lockstep.history WHERE status = 'applied'"));
  Shell("kill -9 " + replicas_[leader].pid);
  auto killed = std::chrono::steady_clock::now();
  const Replica& next = replicas_[1 - leader];
  bool took_over = false;
  while (std::chrono::steady_clock::now() - killed < 10s && !took_over) {
    took_over = Role(next) == "leader";
    if (!took_over) std::this_thread::sleep_for(50ms);
  }
  auto after = std::chrono::steady_clock::now() - killed;
  ASSERT_TRUE(took_over) << Slurp(next.dir + "/err");
  EXPECT_LT(after, 3s) << "lock_timeout is 3s";
  // And it runs the next round.
  p_.WriteMigration("a", "002_u.up.sql", "CREATE TABLE u (x int);");
  EXPECT_TRUE(WaitFor("main", "SELECT count(*) FROM lockstep.history WHERE version = '002'"))
      << Slurp(next.dir + "/err");
}

TEST_F(LeaderTest, RestartingTheCoordinationDatabaseNeverMakesTwoLeaders) {
  std::string env = Platform() + " LOCKSTEP_API_TOKEN=secret";
  Start(env);
  Start(env);
  ASSERT_GE(WaitForOneLeader(), 0);
  int both = 0, samples = 0;
  auto sample = [&](std::chrono::milliseconds d) {
    auto end = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < end) {
      if (Role(replicas_[0]) == "leader" && Role(replicas_[1]) == "leader") ++both;
      ++samples;
      std::this_thread::sleep_for(100ms);
    }
  };
  sample(1s);
  pg_.Stop();
  sample(2s);
  pg_.Start();
  sample(6s);
  EXPECT_EQ(both, 0) << "of " << samples << " samples";
  EXPECT_GT(samples, 30);
  EXPECT_GE(WaitForOneLeader(), 0) << Slurp(replicas_[0].dir + "/err");
  // The restart did take the lead away: the samples saw a hand-over, not a
  // steady state.
  std::string logs = Slurp(replicas_[0].dir + "/err") + Slurp(replicas_[1].dir + "/err");
  EXPECT_NE(logs.find("no longer leading"), std::string::npos) << logs;
}

}  // namespace
}  // namespace lockstep
