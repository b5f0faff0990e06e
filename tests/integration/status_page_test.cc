// The status page as a person looks at it: a real `lockstep serve`, a real
// PostgreSQL, and Debian's headless Chromium driven through chromedriver
// (WebDriver over HTTP, with curl). Screenshots at 1400x1000 land in the
// build folder (status-page-*.png) for a person to look at too.
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "integration/daemon_fixture.h"

namespace lockstep {
namespace {

using nlohmann::json;

// One Chromium session through chromedriver, both started for the test and
// stopped with it.
class Browser {
 public:
  explicit Browser(const std::string& dir) : dir_(dir) {
    pid_ = StartInBackground("exec chromedriver --port=0", dir_);
    for (int i = 0; i < 200 && port_.empty(); ++i) {
      std::string out = Slurp(dir_ + "/out");
      size_t at = out.find("started successfully on port ");
      if (at != std::string::npos && out.find('.', at + 29) != std::string::npos) {
        port_ = out.substr(at + 29, out.find('.', at + 29) - at - 29);
      }
      std::this_thread::sleep_for(50ms);
    }
    if (port_.empty()) return;
    json args = {"--headless",
                 "--no-sandbox",
                 "--disable-gpu",
                 "--disable-dev-shm-usage",
                 "--no-first-run",
                 "--disable-background-networking",
                 "--disable-component-update",
                 "--disable-sync",
                 "--window-size=1400,1000",
                 "--user-data-dir=" + dir_ + "/profile"};
    json session =
        Call("POST", "/session",
             {{"capabilities",
               {{"alwaysMatch",
                 {{"goog:chromeOptions", {{"binary", "/usr/bin/chromium"}, {"args", args}}}}}}}});
    session_ = session["value"].value("sessionId", "");
  }
  ~Browser() {
    if (!session_.empty()) Call("DELETE", "/session/" + session_);
    if (!pid_.empty()) Shell("kill " + pid_ + " 2>/dev/null");
  }
  bool ok() const { return !session_.empty(); }
  std::string why() const { return Slurp(dir_ + "/out") + Slurp(dir_ + "/err") + last_; }

  void Open(const std::string& url) { Session("POST", "/url", {{"url", url}}); }

  // Runs `script` (a function body) in the page; its return value.
  json Eval(const std::string& script) {
    return Session("POST", "/execute/sync", {{"script", script}, {"args", json::array()}})["value"];
  }
  // Polls `script` until it returns true.
  bool Until(const std::string& script, std::chrono::seconds limit = 20s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (Eval(script) == true) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }
  // Clicks the first element `css` matches, as a mouse would; false when
  // nothing matches.
  // A few tries: a refresh may redraw the element between finding and
  // clicking it (a stale element).
  bool Click(const std::string& css) {
    for (int attempt = 0; attempt < 20; ++attempt) {
      if (attempt) std::this_thread::sleep_for(250ms);
      json found =
          Session("POST", "/element", {{"using", "css selector"}, {"value", css}})["value"];
      if (!found.is_object() || found.empty() || found.contains("error")) continue;
      std::string id = found.begin().value().get<std::string>();
      json clicked = Session("POST", "/element/" + id + "/click", json::object())["value"];
      if (!(clicked.is_object() && clicked.contains("error"))) return true;
      last_ = clicked.dump();
    }
    return false;
  }
  void Screenshot(const std::string& path) {
    std::ofstream(dir_ + "/shot.b64") << Session("GET", "/screenshot")["value"].get<std::string>();
    Shell("(base64 -d " + dir_ + "/shot.b64 > " + ShellQuoted(path) + ")");
  }

 private:
  json Session(const std::string& method, const std::string& path, const json& body = nullptr) {
    return Call(method, "/session/" + session_ + path, body);
  }
  json Call(const std::string& method, const std::string& path, const json& body = nullptr) {
    std::ofstream(dir_ + "/request") << (body.is_null() ? "" : body.dump());
    std::string out;
    Shell("curl -s -X " + method + " -H 'Content-Type: application/json' " +
              (body.is_null() ? "" : "--data-binary @" + dir_ + "/request ") +
              "http://127.0.0.1:" + port_ + path,
          &out);
    last_ = out.substr(0, 2000);
    json j = json::parse(out, nullptr, false);
    return j.is_discarded() ? json::object() : j;
  }

  std::string dir_, pid_, port_, session_, last_;
};

class StatusPageTest : public DaemonTest {
 protected:
  std::string Url(const std::string& fragment = "") {
    return "http://127.0.0.1:" + port_ + "/" + fragment;
  }
  static std::string Shot(const std::string& name) {
    return std::string(LOCKSTEP_BUILD_DIR) + "/status-page-" + name + ".png";
  }
};

const char kLoaded[] = "return document.body.dataset.loaded === '1'";

TEST_F(StatusPageTest, ExamplePlatformAsChromiumShowsIt) {
  std::string env = ExampleEnv() + " LOCKSTEP_API_TOKEN=t";
  ASSERT_EQ(RunLockstep("-c " + kExample + " apply --service auth-service", env).code, 0);
  StartDaemon(env, kExample);
  ASSERT_TRUE(Until("/v1/status", [](const Http& h) { return h.code == 200; }));
  Browser browser(dir_ + "/browser");
  ASSERT_TRUE(browser.ok()) << browser.why();
  browser.Open(Url());
  ASSERT_TRUE(browser.Until(kLoaded)) << browser.why();
  browser.Screenshot(Shot("example"));

  // Every service named in full, in the table and as a lane of the graph.
  json lanes = browser.Eval(
      "return [...document.querySelectorAll('#graph-view .lane-label')].map(t => t.textContent)");
  json rows = browser.Eval(
      "return [...document.querySelectorAll('#services tbody tr')].map(r => r.dataset.service)");
  for (const char* service : {"user-service", "billing-service", "token-service",
                              "chat-session-service", "credential-service"}) {
    EXPECT_NE(std::find(lanes.begin(), lanes.end(), service), lanes.end()) << service << lanes;
    EXPECT_NE(std::find(rows.begin(), rows.end(), service), rows.end()) << service << rows;
  }
  // Nothing failed, so nothing needs attention; auth-service's requirement
  // user-service:001 is in, the rest of user-service is pending.
  EXPECT_EQ(browser.Eval("return document.querySelectorAll('#attention li').length"), 0);
  EXPECT_EQ(browser.Eval("return document.querySelector('[data-id=\"user-service:002\"]')"
                         ".dataset.state"),
            "pending");
  EXPECT_EQ(browser.Eval("return document.querySelector('[data-id=\"user-service:001\"]')"
                         ".dataset.state"),
            "applied");

  // A click on a migration opens its panel: full name, file, what it needs.
  ASSERT_TRUE(browser.Click("[data-id=\"auth-service:001\"]")) << browser.why();
  ASSERT_TRUE(
      browser.Until("const h = document.querySelector('#panel [data-panel]');"
                    "return !!h && h.textContent === 'auth-service:001'"))
      << browser.Eval("return document.getElementById('panel').innerText");
  std::string panel = browser.Eval("return document.getElementById('panel').innerText");
  EXPECT_NE(panel.find("user-service:001"), std::string::npos) << panel;  // requires
  EXPECT_NE(panel.find("001_"), std::string::npos) << panel;              // its file
  EXPECT_NE(panel.find("applied"), std::string::npos) << panel;

  // A run through the API shows up without a reload, and pending is gone.
  Http started = Request("POST", "/v1/runs", R"({"action": "apply"})", "t");
  ASSERT_EQ(started.code, 202);
  std::string id = started.Json()["id"];
  ASSERT_EQ(WaitForRun(id), "succeeded");
  EXPECT_TRUE(browser.Until("return !!document.querySelector('[data-run=\"" + id +
                            "\"]') && !document.querySelector('[data-state=\"pending\"]')"))
      << browser.Eval("return document.body.innerText");
  browser.Screenshot(Shot("example-applied"));
}

// A Sourcegraph-sized graph: 188 migrations, 329 edges, 3 heads, across
// three services with long names, and one migration that fails.
struct LargeGraph {
  static constexpr int kSizes[] = {120, 48, 20};
  static constexpr const char* kNames[] = {"frontend-graphql-and-repository-metadata-service",
                                           "codeintel-precise-indexes-service",
                                           "codeinsights-series-aggregation-service"};
  static std::string Version(int i) {
    char v[16];
    snprintf(v, sizeof v, "%03d", i);
    return v;
  }
  // Service s, migration i (1-based): a chain with a diamond every four
  // migrations (i-2 and i-1 both from i-3, merged by i), and requirements on
  // the services before it.
  static void Write(TempPlatform& p) {
    for (int s = 0; s < 3; ++s) {
      p.WriteService(kNames[s]);
      for (int i = 1; i <= kSizes[s]; ++i) {
        std::string head;
        if (i % 4 == 0)
          head += "-- lockstep:parents " + Version(i - 1) + " " + Version(i - 2) + "\n";
        if (i % 4 == 3) head += "-- lockstep:parents " + Version(i - 2) + "\n";
        std::string needs;
        if (s >= 1) needs += std::string(" ") + kNames[0] + ":" + Version(i * 2);
        if (s == 2) needs += std::string(" ") + kNames[1] + ":" + Version(i * 2);
        if (s == 2 && i <= 9) needs += std::string(" ") + kNames[1] + ":" + Version(i * 2 + 1);
        if (!needs.empty()) head += "-- lockstep:requires" + needs + "\n";
        std::string body = s == 0 && i == 117 ? "SELECT 1 / 0;"
                                              : "CREATE TABLE t" + std::to_string(s) + "_" +
                                                    std::to_string(i) + " (id int);";
        p.WriteMigration(kNames[s],
                         Version(i) + "_add_the_table_for_step_" + std::to_string(i) + ".up.sql",
                         head + body + "\n");
      }
    }
  }
};

TEST_F(StatusPageTest, LargeGraphWithAFailureIsOneClickAway) {
  std::string env = SmallPlatform() + " LOCKSTEP_API_TOKEN=t";
  LargeGraph::Write(p_);
  Http graph;
  StartDaemon(env, p_.config());
  ASSERT_TRUE(Until("/v1/status", [](const Http& h) { return h.code == 200; }))
      << Slurp(dir_ + "/err");
  graph = Get("/v1/graph");
  ASSERT_EQ(graph.Json()["migrations"].size(), 188u);
  ASSERT_EQ(graph.Json()["edges"].size(), 329u);
  int heads = 0;
  json drawn = graph.Json();
  for (const json& m : drawn["migrations"]) heads += m["head"].get<bool>();
  ASSERT_EQ(heads, 3);

  Http started = Request("POST", "/v1/runs", R"({"action": "apply"})", "t");
  ASSERT_EQ(started.code, 202);
  ASSERT_EQ(WaitForRun(started.Json()["id"]), "failed");
  std::string failed = std::string(LargeGraph::kNames[0]) + ":117";
  ASSERT_TRUE(Until("/v1/status", [&](const Http& h) {
    return h.Json()["services"][0]["failed"].dump().find(failed) != std::string::npos ||
           h.Json()["up_to_date"] == false;
  }));

  Browser browser(dir_ + "/browser");
  ASSERT_TRUE(browser.ok()) << browser.why();
  browser.Open(Url());
  ASSERT_TRUE(browser.Until(kLoaded)) << browser.why();
  browser.Screenshot(Shot("188"));

  // Every service named in full, in the table and in the graph's lanes.
  std::string page = browser.Eval("return document.body.innerText");
  json lanes = browser.Eval(
      "return [...document.querySelectorAll('#graph-view .lane-label')].map(t => t.textContent)");
  for (const char* service : LargeGraph::kNames) {
    EXPECT_NE(page.find(service), std::string::npos) << service;
    EXPECT_NE(std::find(lanes.begin(), lanes.end(), service), lanes.end()) << service << lanes;
  }
  // 188 nodes drawn, the failed one marked so, and the failed service first.
  EXPECT_EQ(browser.Eval("return document.querySelectorAll('#graph-view .node').length"), 188);
  EXPECT_EQ(
      browser.Eval("return document.querySelector('[data-id=\"" + failed + "\"]').dataset.state"),
      "failed");
  EXPECT_EQ(browser.Eval("return document.querySelector('#services tbody tr').dataset.service"),
            LargeGraph::kNames[0]);
  // The first view is readable (not a 188-node smear at 10%) and shows the
  // failed migration.
  json view = browser.Eval(
      "const v = document.getElementById('graph-view').getBoundingClientRect();"
      "const n = document.querySelector('[data-id=\"" +
      failed +
      "\"] rect').getBoundingClientRect();"
      "return {w: n.width, inside: n.left >= v.left && n.right <= v.right &&"
      " n.top >= v.top && n.bottom <= v.bottom}");
  EXPECT_GE(view["w"].get<double>(), 100) << view;
  EXPECT_EQ(view["inside"], true) << view;

  // One click from the top of the page: the attention list links the failed
  // migration; its panel shows its file, what it needs and the error.
  ASSERT_TRUE(browser.Click("#attention li[data-attention=\"failed\"] a")) << page;
  ASSERT_TRUE(browser.Until("return !!document.querySelector('#panel .last-error')"))
      << browser.Eval("return document.getElementById('panel').innerText");
  std::string panel = browser.Eval("return document.getElementById('panel').innerText");
  EXPECT_NE(panel.find(failed), std::string::npos) << panel;
  EXPECT_NE(panel.find("117_add_the_table_for_step_117.up.sql"), std::string::npos) << panel;
  EXPECT_NE(panel.find("division by zero"), std::string::npos) << panel;
  EXPECT_NE(panel.find(std::string(LargeGraph::kNames[0]) + ":116"), std::string::npos) << panel;
  EXPECT_NE(panel.find(std::string(LargeGraph::kNames[0]) + ":118"), std::string::npos) << panel;
  browser.Screenshot(Shot("188-failed"));

  // Filtering narrows table and graph to one service, and zoom keeps the
  // reader's view across the page's own refreshes.
  browser.Eval(
      "const f = document.getElementById('f-service'); f.value = 'codeinsights';"
      "f.dispatchEvent(new Event('input')); return true");
  EXPECT_EQ(browser.Eval("return document.querySelectorAll('#services tbody tr').length"), 1);
  EXPECT_EQ(browser.Eval("return document.querySelectorAll('#graph-view .node').length"), 20);
  ASSERT_TRUE(browser.Click("#zoom-in")) << browser.why();
  std::string before = browser.Eval(
      "return document.getElementById('content')"
      ".getAttribute('transform')");
  std::this_thread::sleep_for(2500ms);  // one refresh
  EXPECT_EQ(browser.Eval("return document.getElementById('content').getAttribute('transform')"),
            before);
}

// A thousand services on ten databases: the page aggregates (a row per
// database first, then the most urgent 20 services, 60 lanes) and says how to narrow; a filter
// finds any one of them, a click on a database shows only its services.
TEST_F(StatusPageTest, AThousandServicesStayReadable) {
  std::string dbs;
  for (int d = 0; d < 10; ++d) dbs += (d ? ",db" : "db") + std::to_string(d);
  std::string env = SmallPlatform(dbs);
  for (int i = 0; i < 1000; ++i) {
    std::string name = "tenant-" + std::to_string(10000 + i).substr(1);
    p_.WriteService(name, "db" + std::to_string(i % 10));
    p_.WriteMigration(name, "001_init.up.sql", "CREATE TABLE t" + std::to_string(i) + " (x int);");
  }
  StartDaemon(env, p_.config());
  ASSERT_TRUE(Until(
      "/v1/status", [](const Http& h) { return h.code == 200; }, 60s))
      << Slurp(dir_ + "/err");
  Browser browser(dir_ + "/browser");
  ASSERT_TRUE(browser.ok()) << browser.why();
  browser.Open(Url());
  ASSERT_TRUE(browser.Until(kLoaded)) << browser.why();
  browser.Screenshot(Shot("1000"));
  EXPECT_EQ(browser.Eval("return document.querySelectorAll('#services tbody tr').length"), 20);
  EXPECT_EQ(browser.Eval("return document.querySelectorAll('[data-database-row]').length"), 10);
  EXPECT_EQ(browser.Eval("return document.querySelectorAll('#graph-view .lane-label').length"), 60);
  std::string notes = browser.Eval(
      "return document.getElementById('services-more').textContent + ' | ' +"
      " document.getElementById('graph-note').textContent");
  EXPECT_NE(notes.find("filter to see the rest"), std::string::npos) << notes;
  EXPECT_NE(notes.find("drawing 60 of 1000 services"), std::string::npos) << notes;
  browser.Eval(
      "const f = document.getElementById('f-service'); f.value = 'tenant-0999';"
      "f.dispatchEvent(new Event('input')); return true");
  EXPECT_EQ(browser.Eval("return [...document.querySelectorAll('#services tbody tr')]"
                         ".map(r => r.dataset.service).join()"),
            "tenant-0999");
  EXPECT_EQ(browser.Eval("return document.querySelectorAll('#graph-view .node').length"), 1);
  browser.Eval(
      "const f = document.getElementById('f-service'); f.value = '';"
      "f.dispatchEvent(new Event('input')); return true");
  ASSERT_TRUE(browser.Click("[data-database-row=\"db3\"] a")) << browser.why();
  EXPECT_EQ(browser.Eval("return document.querySelectorAll('#services tbody tr').length"), 20);
  EXPECT_EQ(browser.Eval("return [...document.querySelectorAll('#services tbody tr')]"
                         ".every(r => r.children[1].textContent === 'db3')"),
            true);
  EXPECT_EQ(browser.Eval("return document.getElementById('shown').textContent"),
            "100 of 1000 services");
}

// A database set of 300 members (schemas of one database; the page draws the
// same past 40 services, and a daemon reads a member per connection, which
// takes 20 ms on this machine): one row for the set, a click to its members,
// worst first; the graph keeps one node per file, coloured by the worst
// member.
TEST_F(StatusPageTest, HundredsOfTenantsAggregateBySetThenDrillDown) {
  std::string tenants;
  for (int i = 0; i < 300; ++i)
    tenants += std::string(i ? ", " : "") + "t" + std::to_string(1000 + i);
  std::string env = SmallPlatform("core,shared");
  p_.Write("lockstep.yaml",
           "version: 1\nservices: [services/*/service.yaml]\ndatabases:\n"
           "  core: { url: \"${CORE_DATABASE_URL}\" }\n"
           "  tenant:\n    url: \"${SHARED_DATABASE_URL}\"\n"
           "    tenants: { list: [" +
               tenants + "] }\n");
  p_.WriteService("core", "core");
  p_.WriteMigration("core", "001_plans.up.sql", "CREATE TABLE plans (id int);");
  p_.Write("services/app/service.yaml", "service: app\ndatabase: tenant\nschema: app_{tenant}\n");
  p_.WriteMigration("app", "001_users.up.sql", "CREATE TABLE users (id int);");
  p_.WriteMigration("app", "002_orders.up.sql", "CREATE TABLE orders (id int);");
  Result r = Apply(env, p_.config(), "--tenant t1007");
  ASSERT_EQ(r.code, 0) << r.err;
  StartDaemon(env, p_.config());
  ASSERT_TRUE(Until(
      "/v1/status", [](const Http& h) { return h.code == 200; }, 120s))
      << Slurp(dir_ + "/err");
  Http detail = Get("/v1/migrations/app:001");
  ASSERT_EQ(detail.code, 200) << detail.body;
  EXPECT_EQ(detail.Json()["members"]["pending"], 299) << detail.body;
  EXPECT_EQ(detail.Json()["members"]["applied"], 1) << detail.body;
  Browser browser(dir_ + "/browser");
  ASSERT_TRUE(browser.ok()) << browser.why();
  browser.Open(Url());
  ASSERT_TRUE(browser.Until(kLoaded)) << browser.why();
  browser.Screenshot(Shot("tenants"));
  EXPECT_EQ(browser.Eval("return document.querySelectorAll('[data-set-row]').length"), 1);
  EXPECT_EQ(browser.Eval("return [...document.querySelector('[data-set-row]').children]"
                         ".map(td => td.textContent).join()"),
            "tenant,300,1,299,0");
  EXPECT_EQ(browser.Eval("return document.querySelectorAll('#graph-view .node').length"), 3);
  ASSERT_TRUE(browser.Click("[data-set-row=\"tenant\"] a")) << browser.why();
  EXPECT_EQ(browser.Eval("return document.getElementById('shown').textContent"),
            "300 of 301 services");
  EXPECT_EQ(browser.Eval("return document.querySelectorAll('[data-set-row]').length"), 0);
  EXPECT_EQ(browser.Eval("return document.querySelectorAll('[data-database-row]').length"), 50);
  ASSERT_TRUE(browser.Click("[data-database-row=\"tenant/t1049\"] a")) << browser.why();
  EXPECT_EQ(browser.Eval("return [...document.querySelectorAll('#services tbody tr')]"
                         ".map(r => r.children[1].textContent).join()"),
            "tenant/t1049");
}

}  // namespace
}  // namespace lockstep
