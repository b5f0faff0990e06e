// The fixture of the integration tests: a throwaway PostgreSQL of its own
// (one per test: ctest runs each test in its own process), fresh databases,
// and small platforms written in a temporary folder.
#ifndef LOCKSTEP_TESTS_INTEGRATION_FIXTURE_H_
#define LOCKSTEP_TESTS_INTEGRATION_FIXTURE_H_

#include <chrono>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "testing/platform_builder.h"
#include "testing/postgres_server.h"
#include "testing/run_lockstep.h"

namespace lockstep {

using namespace std::chrono_literals;

inline const std::string kExample =
    ShellQuoted(std::string(LOCKSTEP_EXAMPLES) + "/lyss/lockstep.yaml");  // for command lines
inline const char* kExampleDatabases[] = {"identity", "platform", "billing", "chat"};

// Starts `command` (a shell command line) in the background in `dir`, which
// then holds its out, err, pid and, once it ends, rc. Returns its pid.
inline std::string StartInBackground(const std::string& command, const std::string& dir) {
  std::string pid, at = ShellQuoted(dir);
  Shell("mkdir -p " + at + " && cd " + at + " && ( " + command +
            " >out 2>err & echo $! >pid; wait $!; echo $? >rc ) >/dev/null 2>&1 & "
            "while [ ! -s " +
            at + "/pid ]; do sleep 0.01; done; cat " + at + "/pid",
        &pid);
  while (!pid.empty() && pid.back() == '\n') pid.pop_back();
  return pid;
}

// The port a `lockstep serve --listen 127.0.0.1:0` started in `dir` listens
// on, once it does; empty after 10 s without.
// Up to 60 s: a daemon loading a thousand services under ASan on a busy
// machine took more than 10 (StatusPageTest.AThousandServicesStayReadable).
inline std::string WaitForPort(const std::string& dir) {
  for (int i = 0; i < 1200; ++i) {
    std::string out = Slurp(dir + "/out");
    size_t at = out.find("listening on 127.0.0.1:");
    if (at != std::string::npos && out.find('\n', at) != std::string::npos) {
      return out.substr(at + 23, out.find('\n', at) - at - 23);
    }
    std::this_thread::sleep_for(50ms);
  }
  return "";
}

// The exit code line ("0\n") of what StartInBackground started in `dir`;
// empty when it is still running after 30 s.
inline std::string WaitForExit(const std::string& dir) {
  for (int i = 0; i < 600 && Slurp(dir + "/rc").empty(); ++i) std::this_thread::sleep_for(50ms);
  return Slurp(dir + "/rc");
}

class IntegrationTest : public ::testing::Test {
 protected:
  // `durable_server`: fsync and synchronous_commit on, for tests that crash it.
  explicit IntegrationTest(bool durable_server = false) : pg_(durable_server) {}
  void SetUp() override { ASSERT_TRUE(pg_.ok()) << pg_.error(); }

  // Fresh databases and the environment that points the platform at them.
  std::string FreshDatabases(const std::vector<std::string>& names) {
    std::string env;
    for (const std::string& db : names) {
      pg_.CreateDatabase(db);
      std::string var;
      for (char c : db) var += static_cast<char>(toupper(c));
      env += var + "_DATABASE_URL='" + pg_.Url(db) + "' ";
    }
    return env;
  }
  std::string ExampleEnv() { return FreshDatabases({kExampleDatabases, kExampleDatabases + 4}); }
  // A platform of one service `a` on database `main` (URL from MAIN_DATABASE_URL).
  std::string SmallPlatform(const std::string& dbs = "main") {
    std::string text = "version: 1\nservices: [services/*/service.yaml]\ndatabases:\n";
    std::vector<std::string> names;
    size_t start = 0;
    while (start <= dbs.size()) {
      size_t comma = dbs.find(',', start);
      if (comma == std::string::npos) comma = dbs.size();
      names.push_back(dbs.substr(start, comma - start));
      start = comma + 1;
    }
    for (const std::string& n : names) {
      std::string var;
      for (char c : n) var += static_cast<char>(toupper(c));
      text += "  " + n + ": { url: \"${" + var + "_DATABASE_URL}\" }\n";
    }
    p_.Write("lockstep.yaml", text);
    return FreshDatabases(names);
  }
  Result Apply(const std::string& env, const std::string& config, const std::string& extra = "") {
    return RunLockstep("-c " + config + " apply " + extra, env);
  }
  std::string Count(const std::string& db, const std::string& sql) { return pg_.Query(db, sql); }
  // pg_dump `flags` of `db`, without comments, blank lines and the random
  // key of the \restrict lines: two dumps of equal databases are equal.
  std::string PgDump(const std::string& db, const std::string& flags) {
    std::string out;
    Shell("pg_dump --no-owner " + flags + " '" + pg_.Url(db) +
              "' | grep -v -e '^--' -e '^.restrict ' -e '^.unrestrict ' -e '^$'",
          &out);
    return out;
  }
  // Waits until `sql` on `db` returns something other than "0" or "".
  bool WaitFor(const std::string& db, const std::string& sql, std::chrono::seconds limit = 20s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      std::string out = pg_.Query(db, sql);
      if (!out.empty() && out != "0" && out != "f") return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  // Sets `name` to `value` for the whole server (ALTER SYSTEM, reload) and
  // waits until new sessions have it.
  bool SetOnServer(const std::string& name, const std::string& value) {
    Count("postgres", "ALTER SYSTEM SET " + name + " = '" + value + "'");
    Count("postgres", "SELECT pg_reload_conf()");
    return WaitFor("postgres", "SELECT current_setting('" + name + "') = '" + value + "'");
  }
  // Lines of the server's log so far that `match` accepts.
  int LogLines(const std::function<bool(const std::string&)>& match) {
    std::istringstream log(Slurp(pg_.dir() + "/server.log"));
    int n = 0;
    for (std::string line; std::getline(log, line);) n += match(line) ? 1 : 0;
    return n;
  }
  // Connections to `db` the server's log shows so far (log_connections on).
  int ConnectionsTo(const std::string& db) {
    const std::string entry = "connection authorized: user=postgres database=" + db;
    return LogLines([&](const std::string& line) {
      // Followed by " application_name=..." when the client set one.
      size_t at = line.find(entry);
      return at != std::string::npos &&
             (line.size() == at + entry.size() || line[at + entry.size()] == ' ');
    });
  }

  PostgresServer pg_;
  TempPlatform p_;
};

}  // namespace lockstep

#endif  // LOCKSTEP_TESTS_INTEGRATION_FIXTURE_H_
