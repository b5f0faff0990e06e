// A `lockstep serve` started as a real process by a test, and its HTTP API
// called with curl.
#ifndef LOCKSTEP_TESTS_INTEGRATION_DAEMON_FIXTURE_H_
#define LOCKSTEP_TESTS_INTEGRATION_DAEMON_FIXTURE_H_

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "integration/fixture.h"

namespace lockstep {

struct Http {
  int code = 0;
  std::string body;
  nlohmann::json Json() const { return nlohmann::json::parse(body, nullptr, false); }
};

class DaemonTest : public IntegrationTest {
 protected:
  void TearDown() override {
    if (!pid_.empty()) Shell("kill -9 " + pid_ + " 2>/dev/null");
  }

  // Starts `lockstep serve` in the background and waits until it listens.
  void StartDaemon(const std::string& env, const std::string& config,
                   const std::string& extra = "") {
    dir_ = p_.root() + "/daemon";
    pid_ = StartInBackground("env " + env + " " + kLockstep + " -c " + config +
                                 " serve --listen 127.0.0.1:0 --refresh 300ms " + extra,
                             dir_);
    port_ = WaitForPort(dir_);
    ASSERT_FALSE(port_.empty()) << Slurp(dir_ + "/err");
  }

  Http Request(const std::string& method, const std::string& path, const std::string& body = "",
               const std::string& token = "") {
    std::ofstream(dir_ + "/request") << body;
    std::string code;
    Shell("curl -s -X " + method + " -o " + dir_ + "/response -w '%{http_code}' " +
              (token.empty() ? "" : "-H 'Authorization: Bearer " + token + "' ") +
              (body.empty() ? "" : "--data-binary @" + dir_ + "/request ") +
              "'http://127.0.0.1:" + port_ + path + "'",
          &code);
    return {atoi(code.c_str()), Slurp(dir_ + "/response")};
  }
  Http Get(const std::string& path) { return Request("GET", path); }

  // Polls `path` until `ok` holds for its answer.
  template <typename Pred>
  bool Until(const std::string& path, Pred ok, std::chrono::seconds limit = 20s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (ok(Get(path))) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  std::string WaitForExit() {
    std::string rc = lockstep::WaitForExit(dir_);
    if (!rc.empty()) pid_.clear();
    return rc;
  }

  std::string WaitForRun(const std::string& id) {
    std::string state;
    Until("/v1/runs/" + id, [&](const Http& h) {
      state = h.Json().value("state", "");
      return state == "succeeded" || state == "failed" || state == "cancelled";
    });
    return state;
  }

  std::string dir_, port_, pid_;
};

}  // namespace lockstep

#endif  // LOCKSTEP_TESTS_INTEGRATION_DAEMON_FIXTURE_H_
