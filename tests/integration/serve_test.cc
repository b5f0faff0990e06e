// lockstep serve as a real process against a real PostgreSQL: every endpoint,
// auth, scheduled rounds, drift, reload, drain and a database restart. The
// status page is in status_page_test.cc.
#include <signal.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "integration/daemon_fixture.h"

namespace lockstep {
namespace {

using nlohmann::json;

class ServeTest : public DaemonTest {};

TEST_F(ServeTest, EveryEndpointAnswers) {
  std::string env = ExampleEnv();
  ASSERT_EQ(RunLockstep("-c " + kExample + " apply --service auth-service", env).code, 0);
  StartDaemon(env, kExample);
  EXPECT_EQ(Get("/healthz").Json()["status"], "ok");
  ASSERT_TRUE(Until("/v1/status", [](const Http& h) { return h.code == 200; }));
  json status = Get("/v1/status").Json();
  EXPECT_EQ(status["services"].size(), 9u);
  EXPECT_FALSE(status["up_to_date"].get<bool>());
  Http ready = Get("/readyz");
  EXPECT_EQ(ready.code, 200) << ready.body;
  json plan = Get("/v1/plan").Json();
  EXPECT_EQ(plan["pending"], 25);  // 28 less auth-service's two and user-service:001
  EXPECT_EQ(Get("/v1/graph?format=json").Json()["migrations"].size(), 28u);
  EXPECT_EQ(Get("/v1/graph?format=dot").body.rfind("digraph lockstep {", 0), 0u);
  EXPECT_EQ(Get("/v1/graph?format=mermaid").body.rfind("flowchart LR", 0), 0u);
  EXPECT_EQ(Get("/v1/graph?format=png").code, 400);
  EXPECT_EQ(Get("/v1/runs").Json()["runs"].size(), 0u);
  EXPECT_EQ(Get("/v1/runs/nope").code, 404);
  Http metrics = Get("/metrics");
  EXPECT_EQ(metrics.code, 200);
  for (const char* name : {"lockstep_migrations_applied_total", "lockstep_migrations_failed_total",
                           "lockstep_migration_duration_seconds_bucket",
                           "lockstep_pending_migrations{service=\"user-service\"} 5",
                           "lockstep_lock_wait_seconds_count", "lockstep_drift_objects",
                           "lockstep_last_successful_run_timestamp_seconds"}) {
    EXPECT_NE(metrics.body.find(name), std::string::npos) << name << "\n" << metrics.body;
  }
  // One migration: what the graph and the history know of it.
  json one = Get("/v1/migrations/user-service:001").Json();
  EXPECT_EQ(one["state"], "applied") << one;
  EXPECT_EQ(one["history"]["status"], "applied") << one;
  for (const char* needs : {"user-service:002", "auth-service:001"}) {
    EXPECT_NE(one["dependents"].dump().find(needs), std::string::npos) << one;
  }
  json next = Get("/v1/migrations/user-service%3A002").Json();
  EXPECT_EQ(next["state"], "pending") << next;
  EXPECT_TRUE(next["history"].is_null()) << next;
  EXPECT_EQ(next["requires"][0]["id"], "user-service:001") << next;
  EXPECT_EQ(Get("/v1/migrations/no-such-service:001").code, 404);
  Http page = Get("/");
  EXPECT_EQ(page.code, 200);
  EXPECT_NE(page.body.find("<title>lockstep</title>"), std::string::npos);
  EXPECT_EQ(Get("/nope").code, 404);
  EXPECT_EQ(Request("DELETE", "/v1/status").code, 405);
  EXPECT_EQ(Request("POST", "/v1/runs", std::string(70 * 1024, 'x'), "t").code, 413);
  std::string garbage;
  Shell("bash -c 'exec 3<>/dev/tcp/127.0.0.1/" + port_ +
            "; printf \"NOT HTTP AT ALL\\r\\n\\r\\n\" >&3; timeout 5 cat <&3'",
        &garbage);
  EXPECT_NE(garbage.find("HTTP/1.1 400"), std::string::npos) << garbage;
  EXPECT_NE(garbage.find("malformed HTTP request"), std::string::npos) << garbage;
  EXPECT_EQ(Get("/healthz").code, 200);  // still serving
}

TEST_F(ServeTest, ChangesAreRefusedWithoutAToken) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (x int);");
  StartDaemon(env, p_.config());
  Http refused = Request("POST", "/v1/runs", R"({"action": "apply"})");
  EXPECT_EQ(refused.code, 403);
  EXPECT_NE(refused.body.find("no API token is configured"), std::string::npos);
  EXPECT_EQ(Count("main", "SELECT count(*) FROM pg_tables WHERE tablename = 't'"), "0");
}

TEST_F(ServeTest, RunsStartedThroughTheApiNeedTheRightToken) {
  std::string env = SmallPlatform() + " LOCKSTEP_API_TOKEN=s3cret";
  p_.WriteService("a");
  p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (x int);");
  p_.WriteMigration("a", "002_u.up.sql", "CREATE TABLE u (x int);");
  p_.WriteMigration("a", "002_u.down.sql", "DROP TABLE u;");
  StartDaemon(env, p_.config());
  EXPECT_EQ(Request("POST", "/v1/runs", R"({"action": "apply"})").code, 401);
  EXPECT_EQ(Request("POST", "/v1/runs", R"({"action": "apply"})", "wrong").code, 401);
  EXPECT_EQ(Request("POST", "/v1/runs", "not json", "s3cret").code, 400);
  EXPECT_EQ(Request("POST", "/v1/runs", R"({"action": "apply", "target": "a:9"})", "s3cret").code,
            400);
  Http started = Request("POST", "/v1/runs", R"({"action": "apply", "target": "a:001"})", "s3cret");
  ASSERT_EQ(started.code, 202) << started.body;
  std::string id = started.Json()["id"];
  EXPECT_EQ(WaitForRun(id), "succeeded");
  json run = Get("/v1/runs/" + id).Json();
  ASSERT_EQ(run["migrations"].size(), 1u);
  EXPECT_EQ(run["migrations"][0]["id"], "a:001");
  EXPECT_EQ(run["migrations"][0]["state"], "applied");
  EXPECT_TRUE(run["migrations"][0]["duration_ms"].is_number());
  EXPECT_FALSE(run["log"].empty());
  EXPECT_EQ(Get("/v1/runs").Json()["runs"][0]["id"], id);
  EXPECT_EQ(Count("main", "SELECT string_agg(version, ',') FROM lockstep.history"), "001");
  EXPECT_TRUE(Until("/metrics", [](const Http& h) {
    return h.body.find("lockstep_migrations_applied_total 1") != std::string::npos;
  }));
  // A rollback through the API rolls back what depends on its target.
  ASSERT_EQ(Request("POST", "/v1/runs", R"({"action": "apply"})", "s3cret").code, 202);
  ASSERT_TRUE(WaitFor("main", "SELECT count(*) FROM lockstep.history WHERE version = '002'"));
  EXPECT_EQ(Request("POST", "/v1/runs", R"({"action": "rollback"})", "s3cret").code, 400);
  Http back = Request("POST", "/v1/runs", R"({"action": "rollback", "target": "a:001"})", "s3cret");
  ASSERT_EQ(back.code, 202) << back.body;
  EXPECT_EQ(WaitForRun(back.Json()["id"]), "succeeded");
  EXPECT_EQ(Count("main", "SELECT string_agg(version, ',') FROM lockstep.history"), "001");
}

// A wrongly typed or misspelt field once started a run of everything pending.
TEST_F(ServeTest, WrongJsonTypesAreRefusedAndApplyNothing) {
  std::string env = SmallPlatform() + " LOCKSTEP_API_TOKEN=s3cret";
  p_.WriteService("a");
  p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (x int);");
  StartDaemon(env, p_.config());
  for (const char* body : {R"({"action": "apply", "target": 123})",
                           R"({"action": "apply", "target": {"id": "a:001"}})",
                           R"({"action": "apply", "target": null})",
                           R"({"action": "apply", "taget": "a:001"})", R"({"action": 1})", "[]"}) {
    Http r = Request("POST", "/v1/runs", body, "s3cret");
    EXPECT_EQ(r.code, 400) << body << "\n" << r.body;
  }
  EXPECT_EQ(Get("/v1/runs").Json()["runs"].size(), 0u);
  EXPECT_EQ(Count("main", "SELECT count(*) FROM pg_tables WHERE tablename = 't'"), "0");
}

// Raw bytes on the socket: a path that is not UTF-8 is the client's error.
TEST_F(ServeTest, InvalidUtf8InThePathIsABadRequest) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (x int);");
  StartDaemon(env, p_.config());
  std::string answer;
  Shell("python3 -c 'import socket; s = socket.create_connection((\"127.0.0.1\", " + port_ +
            ")); s.sendall(b\"GET /v1/\\xff\\xfe HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n\"); "
            "print(s.recv(4096).decode(\"latin-1\"))'",
        &answer);
  EXPECT_NE(answer.find("HTTP/1.1 400"), std::string::npos) << answer;
  EXPECT_EQ(answer.find("HTTP/1.1 500"), std::string::npos) << answer;
  EXPECT_EQ(Get("/healthz").code, 200);
}

// Past --max-connections a client gets 503 at once; the others are served.
TEST_F(ServeTest, ConnectionsPastTheCapGet503) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (x int);");
  StartDaemon(env, p_.config(), "--max-connections 3");
  std::string answer;
  Shell(
      "python3 -c 'import socket, time\n"
      "held = [socket.create_connection((\"127.0.0.1\", " +
          port_ +
          ")) for _ in range(3)]\n"
          "time.sleep(0.3)\n"
          "s = socket.create_connection((\"127.0.0.1\", " +
          port_ +
          "))\n"
          "s.sendall(b\"GET /healthz HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n\")\n"
          "print(s.recv(4096).decode())'",
      &answer);
  EXPECT_NE(answer.find("HTTP/1.1 503"), std::string::npos) << answer;
  EXPECT_EQ(Get("/healthz").code, 200);  // the held ones are gone: served again
}

// With its file descriptors exhausted the daemon neither spins nor stops
// answering once they come back.
TEST_F(ServeTest, OutOfFileDescriptorsBacksOffAndRecovers) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (x int);");
  StartDaemon(env, p_.config());
  ASSERT_TRUE(Until("/readyz", [](const Http& h) { return h.code == 200; }));
  ASSERT_EQ(Shell("prlimit --pid " + pid_ + " --nofile=40:40"), 0);
  auto cpu = [&] {
    std::string stat = Slurp("/proc/" + pid_ + "/stat");
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string field;
    long ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14 || i == 15) ticks += std::stol(field);  // utime, stime
    }
    return ticks;
  };
  // More clients than descriptors: the rest wait in the listen backlog, and
  // every accept of them fails with EMFILE until the held ones close.
  std::ofstream(dir_ + "/hold.py") << "import socket, time\n"
                                      "held = [socket.create_connection(('127.0.0.1', "
                                   << port_
                                   << ")) for _ in range(60)]\n"
                                      "time.sleep(2)\n";
  StartInBackground("python3 " + dir_ + "/hold.py", dir_ + "/hold");
  std::this_thread::sleep_for(700ms);
  long before = cpu();
  std::this_thread::sleep_for(800ms);
  long after = cpu();
  EXPECT_LT(after - before, 40) << "CPU ticks in 0.8 s out of descriptors (spinning: about 80)";
  EXPECT_EQ(lockstep::WaitForExit(dir_ + "/hold"), "0\n") << Slurp(dir_ + "/hold/err");
  EXPECT_TRUE(Until(
      "/healthz", [](const Http& h) { return h.code == 200; }, 10s));
}

TEST_F(ServeTest, ScheduledRoundAppliesAMigrationAddedWhileRunning) {
  std::string env = SmallPlatform();
  p_.Write("lockstep.yaml",
           Slurp(p_.config()) + "settings:\n  schedule: {interval: 1s, apply_pending: true}\n");
  p_.WriteService("a");
  p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (x int);");
  StartDaemon(env, p_.config());
  ASSERT_TRUE(WaitFor("main", "SELECT count(*) FROM lockstep.history WHERE version = '001'"));
  p_.WriteMigration("a", "002_added.up.sql", "ALTER TABLE t ADD COLUMN y int;");
  ASSERT_TRUE(WaitFor("main", "SELECT count(*) FROM lockstep.history WHERE version = '002'"))
      << Slurp(dir_ + "/err");
  EXPECT_NE(Slurp(dir_ + "/err").find("(schedule): apply"), std::string::npos);
}

TEST_F(ServeTest, DriftAfterAManualAlterTableNamesTheColumn) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (x int);");
  ASSERT_EQ(RunLockstep("-c " + p_.config() + " apply", env).code, 0);
  StartDaemon(env, p_.config());
  pg_.Query("main", "ALTER TABLE t ADD COLUMN added_by_hand text");
  json drift;
  ASSERT_TRUE(Until("/v1/status", [&](const Http& h) {
    drift = h.Json()["drift"];
    return h.code == 200 && !drift[0]["drift"].empty();
  })) << drift.dump();
  EXPECT_EQ(drift[0]["drift"][0]["change"], "added");
  EXPECT_EQ(drift[0]["drift"][0]["object"], "column public.t.added_by_hand");
  EXPECT_EQ(drift[0]["drift"][0]["after"], "text");
  EXPECT_NE(Get("/metrics").body.find("lockstep_drift_objects{database=\"main\"} 1"),
            std::string::npos);
  // The daemon's own refresh takes the lock now and then to check drift; a
  // CLI drift at that moment says "not checked" and does not wait (under
  // TSan in CI it once met it). Ask again then.
  Result cli;
  for (int i = 0; i < 20; ++i) {
    cli = RunLockstep("-c " + p_.config() + " drift", env);
    if (cli.out.find("not checked: a migration run holds the lock") == std::string::npos) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(cli.code, 4) << cli.out;
  EXPECT_NE(cli.out.find("added    column public.t.added_by_hand"), std::string::npos) << cli.out;
}

TEST_F(ServeTest, CorrectDriftRevertRevertsIndexesViewsFunctionsAndReportsColumns) {
  std::string env = SmallPlatform();
  p_.Write("lockstep.yaml",
           Slurp(p_.config()) + "settings:\n  schedule: {interval: 1s, correct_drift: revert}\n");
  p_.WriteService("a");
  p_.WriteMigration("a", "001_t.up.sql",
                    "CREATE TABLE t (x int);\nCREATE INDEX t_x ON t (x);\n"
                    "CREATE VIEW v AS SELECT x FROM t;\n"
                    "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';\n"
                    "COMMENT ON TABLE t IS 'kept';\n");
  ASSERT_EQ(RunLockstep("-c " + p_.config() + " apply", env).code, 0);
  // By hand: an index dropped, one added, a view and a function redefined, a
  // comment changed (all reverted), and a column added (reported only).
  int code = 0;
  std::string out = pg_.Query("main",
                              "DROP INDEX t_x; CREATE INDEX t_by_hand ON t (x DESC); "
                              "CREATE OR REPLACE VIEW v AS SELECT x FROM t WHERE x > 0; "
                              "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS "
                              "'SELECT 2'; COMMENT ON TABLE t IS 'changed'; "
                              "ALTER TABLE t ADD COLUMN by_hand text;",
                              &code);
  ASSERT_EQ(code, 0) << out;
  StartDaemon(env, p_.config());
  ASSERT_TRUE(WaitFor("main", "SELECT count(*) FROM lockstep.events WHERE action = 'revert drift'"))
      << Slurp(dir_ + "/err");
  EXPECT_EQ(pg_.Query("main",
                      "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM "
                      "pg_indexes WHERE tablename = 't'"),
            "t_x");
  EXPECT_EQ(pg_.Query("main", "SELECT f()"), "1");
  EXPECT_EQ(pg_.Query("main", "SELECT obj_description('t'::regclass)"), "kept");
  EXPECT_EQ(pg_.Query("main", "SELECT pg_get_viewdef('v')").find("WHERE"), std::string::npos);
  // The column is data: left, and reported.
  EXPECT_EQ(pg_.Query("main",
                      "SELECT count(*) FROM information_schema.columns WHERE "
                      "table_name = 't' AND column_name = 'by_hand'"),
            "1");
  std::string detail = pg_.Query("main",
                                 "SELECT detail FROM lockstep.events WHERE action = "
                                 "'revert drift'");
  EXPECT_NE(detail.find("index public.t_by_hand"), std::string::npos) << detail;
  EXPECT_EQ(detail.find("by_hand text"), std::string::npos) << detail;
  std::string metrics;
  ASSERT_TRUE(Until("/metrics", [&](const Http& h) {
    metrics = h.body;
    return metrics.find("lockstep_drift_objects{database=\"main\"} 1") != std::string::npos;
  })) << metrics;
  EXPECT_NE(metrics.find("lockstep_drift_corrected_objects_total{database=\"main\",action="
                         "\"reverted\"} 5"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("lockstep_drift_corrected_objects_total{database=\"main\",action="
                         "\"reported\"}"),
            std::string::npos)
      << metrics;
  EXPECT_NE(Slurp(dir_ + "/err").find("left for a person"), std::string::npos);
  // Reverted once: later rounds find only the column.
  std::this_thread::sleep_for(2500ms);
  EXPECT_EQ(pg_.Query("main", "SELECT count(*) FROM lockstep.events WHERE action = 'revert drift'"),
            "1");
}

TEST_F(ServeTest, SighupWithABrokenManifestKeepsServingTheOldPlatform) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (x int);");
  StartDaemon(env, p_.config());
  ASSERT_TRUE(Until("/v1/status", [](const Http& h) { return h.code == 200; }));
  p_.WriteMigration("a", "002_bad.up.sql", "-- lockstep:requires nowhere:001\nSELECT 1;");
  Shell("kill -HUP " + pid_);
  ASSERT_TRUE(
      Until("/v1/status", [](const Http& h) { return h.Json()["reload_error"].is_string(); }));
  EXPECT_EQ(Get("/healthz").code, 200);
  EXPECT_EQ(Get("/v1/graph?format=json").Json()["migrations"].size(), 1u);
  EXPECT_NE(Slurp(dir_ + "/err").find("requires unknown migration 'nowhere:001'"),
            std::string::npos);
  // A good reload then takes.
  p_.WriteMigration("a", "002_bad.up.sql", "SELECT 1;");
  Shell("kill -HUP " + pid_);
  ASSERT_TRUE(Until("/v1/graph?format=json",
                    [](const Http& h) { return h.Json()["migrations"].size() == 2; }));
}

TEST_F(ServeTest, SigtermDuringALongMigrationDrains) {
  std::string env = SmallPlatform() + " LOCKSTEP_API_TOKEN=t";
  p_.WriteService("a");
  p_.WriteMigration("a", "001_slow.up.sql", "SELECT pg_sleep(2);\nCREATE TABLE slow (x int);");
  p_.WriteMigration("a", "002_next.up.sql", "CREATE TABLE next (x int);");
  StartDaemon(env, p_.config());
  ASSERT_EQ(Request("POST", "/v1/runs", R"({"action": "apply"})", "t").code, 202);
  ASSERT_TRUE(WaitFor("main",
                      "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(2)%' "
                      "AND application_name LIKE 'lockstep/%'"));
  Shell("kill -TERM " + pid_);
  EXPECT_EQ(WaitForExit(), "0\n") << Slurp(dir_ + "/err");
  EXPECT_EQ(Count("main", "SELECT string_agg(version || ' ' || status, ',') FROM lockstep.history"),
            "001 applied");
  EXPECT_EQ(Count("main", "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), "0");
  EXPECT_NE(Slurp(dir_ + "/err").find("draining"), std::string::npos);
}

TEST_F(ServeTest, RecoversWhenTheDatabaseRestartsUnderIt) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (x int);");
  ASSERT_EQ(RunLockstep("-c " + p_.config() + " apply", env).code, 0);
  StartDaemon(env, p_.config());
  ASSERT_TRUE(Until("/readyz", [](const Http& h) { return h.code == 200; }));
  pg_.Stop();
  ASSERT_TRUE(Until("/metrics", [](const Http& h) {
    return h.body.find("lockstep_database_up{database=\"main\"} 0") != std::string::npos;
  }));
  // A database down is the fleet's health, not the daemon's: it stays ready,
  // and the unauthenticated /readyz names no connection.
  Http ready = Get("/readyz");
  EXPECT_EQ(ready.code, 200);
  EXPECT_EQ(ready.body.find("main"), std::string::npos) << ready.body;
  EXPECT_FALSE(Get("/v1/status").Json()["databases"][0]["reachable"].get<bool>());
  pg_.Start();
  ASSERT_TRUE(Until(
      "/metrics",
      [](const Http& h) {
        return h.body.find("lockstep_database_up{database=\"main\"} 1") != std::string::npos;
      },
      30s));
  EXPECT_EQ(Get("/healthz").code, 200);
}

}  // namespace
}  // namespace lockstep
