// Database sets on a real PostgreSQL: a database per tenant (members from a
// file and from a query), a schema per tenant in one database, tenants added
// between runs, --tenant, on_failure: continue and apply --canary.
#include <set>

#include <nlohmann/json.hpp>

#include "integration/fixture.h"

namespace lockstep {
namespace {

class TenantsTest : public IntegrationTest {
 protected:
  // A platform of `core` (a plain database) and a set `tenant` of databases
  // tenant_<name>, whose members come from `tenants` (YAML); service `app`
  // on the set needs core's plans table.
  std::string Platform(const std::string& tenants, const std::string& settings = "") {
    std::string url = pg_.Url("tenant_{tenant}");
    p_.Write("lockstep.yaml",
             "version: 1\nservices: [services/*/service.yaml]\ndatabases:\n"
             "  core: { url: \"${CORE_DATABASE_URL}\" }\n"
             "  tenant:\n    url: \"" +
                 url + "\"\n    tenants: " + tenants + "\n" + settings);
    p_.WriteService("core", "core");
    p_.WriteMigration("core", "001_plans.up.sql",
                      "CREATE TABLE plans (id int PRIMARY KEY);\n"
                      "CREATE TABLE tenants (slug text);\n");
    p_.Write("services/app/service.yaml", "service: app\ndatabase: tenant\n");
    p_.WriteMigration("app", "001_users.up.sql",
                      "-- lockstep:requires core:001\nCREATE TABLE users (id int);\n");
    p_.WriteMigration("app", "002_orders.up.sql", "CREATE TABLE orders (id int);\n");
    return FreshDatabases({"core"});
  }
  // tenants.txt lists `names`; the databases of those not made before are made.
  void Tenants(const std::vector<std::string>& names) {
    std::string text = "# one tenant a line\n";
    for (const std::string& n : names) {
      if (made_.insert(n).second) pg_.CreateDatabase("tenant_" + n);
      text += n + "\n";
    }
    p_.Write("tenants.txt", text);
  }
  std::string Tables(const std::string& tenant) {
    return Count("tenant_" + tenant,
                 "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relkind = "
                 "'r' AND relnamespace = 'public'::regnamespace");
  }
  std::string Recorded(const std::string& db, const std::string& schema = "lockstep") {
    return Count(db,
                 "SELECT string_agg(service || ':' || version, ',' ORDER BY service, version) "
                 "FROM " +
                     schema + ".history WHERE status = 'applied'");
  }
  std::set<std::string> made_;
};

TEST_F(TenantsTest, EveryMemberGetsTheMigrationsAndANewTenantIsPickedUpByTheNextRun) {
  std::string env = Platform("{ file: tenants.txt }");
  Tenants({"acme", "globex"});
  Result valid = RunLockstep("-c " + p_.config() + " validate", env);
  EXPECT_NE(valid.out.find("2 services, 3 migrations, 1 database, 1 database set (2 members)"),
            std::string::npos)
      << valid.out << valid.err;
  Result r = Apply(env, p_.config());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Tables("acme"), "orders,users");
  EXPECT_EQ(Tables("globex"), "orders,users");
  EXPECT_EQ(Recorded("tenant_acme"), "app:001,app:002");
  EXPECT_EQ(Recorded("core"), "core:001");

  Result status = RunLockstep("-c " + p_.config() + " status --json", env);
  ASSERT_EQ(status.code, 0) << status.err;
  EXPECT_NE(status.out.find("\"tenant/globex\""), std::string::npos) << status.out;

  Tenants({"acme", "globex", "initech"});
  Result plan = RunLockstep("-c " + p_.config() + " plan", env);
  ASSERT_EQ(plan.code, 0) << plan.err;
  EXPECT_NE(plan.out.find("tenant/initech"), std::string::npos) << plan.out;
  EXPECT_EQ(plan.out.find("tenant/acme"), std::string::npos) << plan.out;
  Result again = Apply(env, p_.config());
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(Tables("initech"), "orders,users");
  EXPECT_NE(again.err.find("applied 2"), std::string::npos) << again.err;

  Result history = RunLockstep("-c " + p_.config() + " history --json", env);
  ASSERT_EQ(history.code, 0) << history.err;
  EXPECT_NE(history.out.find("\"tenant/initech\""), std::string::npos) << history.out;
}

TEST_F(TenantsTest, MembersFromAQueryOnTheCoreDatabase) {
  std::string env = Platform("{ query: \"SELECT slug FROM tenants ORDER BY 1\", database: core }");
  pg_.CreateDatabase("tenant_acme");
  pg_.CreateDatabase("tenant_globex");
  // The first deploy: core's migration makes the table the query reads. A
  // table that is not there holds no tenant; the run says so and goes on.
  Result first = Apply(env, p_.config());
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_NE(first.err.find("no members this time"), std::string::npos) << first.err;
  EXPECT_EQ(Recorded("core"), "core:001");
  pg_.Query("core", "INSERT INTO tenants VALUES ('acme')");
  Result r = Apply(env, p_.config());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Tables("acme"), "orders,users");
  EXPECT_EQ(Tables("globex"), "");
  pg_.Query("core", "INSERT INTO tenants VALUES ('globex')");
  r = Apply(env, p_.config());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Tables("globex"), "orders,users");
  // Any other failure of the query stops everything: exit 2, nothing touched.
  pg_.Query("core", "INSERT INTO tenants VALUES ('Not A Name')");
  pg_.CreateDatabase("tenant_initech");
  pg_.Query("core", "INSERT INTO tenants VALUES ('initech')");
  Result bad = Apply(env, p_.config());
  EXPECT_EQ(bad.code, 2) << bad.err;
  EXPECT_NE(bad.err.find("is 'Not A Name'"), std::string::npos) << bad.err;
  EXPECT_EQ(Tables("initech"), "");
}

TEST_F(TenantsTest, SchemaMembersOfOneDatabaseEachKeepTheirOwnHistory) {
  p_.Write(
      "lockstep.yaml",
      "version: 1\nservices: [services/*/service.yaml]\ndatabases:\n"
      "  shared:\n    url: \"${SHARED_DATABASE_URL}\"\n    tenants: { list: [acme, globex] }\n");
  p_.Write("services/app/service.yaml", "service: app\ndatabase: shared\nschema: app_{tenant}\n");
  // Each member's schema is made by lockstep: no migration could name it.
  p_.WriteMigration("app", "001_users.up.sql", "CREATE TABLE users (id int);\n");
  std::string env = FreshDatabases({"shared"});
  Result r = Apply(env, p_.config());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Count("shared",
                  "SELECT count(*) FROM pg_tables WHERE tablename = 'users' AND "
                  "schemaname IN ('app_acme', 'app_globex')"),
            "2");
  EXPECT_EQ(Recorded("shared", "lockstep_shared_acme"), "app:001");
  EXPECT_EQ(Recorded("shared", "lockstep_shared_globex"), "app:001");
  EXPECT_EQ(Count("shared", "SELECT count(*) FROM pg_namespace WHERE nspname = 'lockstep'"), "0");
  Result again = Apply(env, p_.config());
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.err.find("applied 0, already applied 2"), std::string::npos) << again.err;
  // Each member's schema snapshot holds its own schema only: the other
  // member's tables are not drift, a change by hand in one is that one's.
  Result clean = RunLockstep("-c " + p_.config() + " drift", env);
  EXPECT_EQ(clean.code, 0) << clean.out << clean.err;
  pg_.Query("shared", "ALTER TABLE app_globex.users ADD COLUMN by_hand int");
  Result drift = RunLockstep("-c " + p_.config() + " drift --json", env);
  EXPECT_EQ(drift.code, 4) << drift.out << drift.err;
  EXPECT_NE(drift.out.find("app_globex.users.by_hand"), std::string::npos) << drift.out;
  EXPECT_EQ(drift.out.find("app_acme"), std::string::npos) << drift.out;
  std::string drifted;  // the databases with drift: globex alone
  nlohmann::json j = nlohmann::json::parse(drift.out, nullptr, false);
  for (const auto& d : j.is_object() ? j["databases"] : j) {
    if (!d["drift"].empty()) drifted += d["database"].get<std::string>() + " ";
  }
  EXPECT_EQ(drifted, "shared/globex ") << drift.out;
}

TEST_F(TenantsTest, TenantFlagLimitsARunToThoseMembersAndWhatTheyNeed) {
  std::string env = Platform("{ file: tenants.txt }");
  Tenants({"acme", "globex"});
  Result r = Apply(env, p_.config(), "--tenant globex");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Tables("globex"), "orders,users");
  EXPECT_EQ(Tables("acme"), "");
  EXPECT_EQ(Recorded("core"), "core:001");  // globex needs it
  Result typo = Apply(env, p_.config(), "--tenant globx");
  EXPECT_EQ(typo.code, 2);
  EXPECT_NE(typo.err.find("did you mean 'tenant/globex'?"), std::string::npos) << typo.err;
  Result status = RunLockstep("-c " + p_.config() + " status --tenant tenant/acme", env);
  EXPECT_EQ(status.out.find("tenant/globex"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("tenant/acme"), std::string::npos) << status.out;
}

TEST_F(TenantsTest, OnFailureContinueListsTheFailedMembersAndDoesTheRest) {
  std::string env = Platform("{ file: tenants.txt }", "settings:\n  on_failure: continue\n");
  Tenants({"acme", "globex", "initech"});
  pg_.Query("tenant_globex", "CREATE TABLE orders (made_by_hand int)");
  Result r = Apply(env, p_.config());
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("tenant/globex"), std::string::npos) << r.err;
  EXPECT_EQ(Tables("acme"), "orders,users");
  EXPECT_EQ(Tables("initech"), "orders,users");
  EXPECT_EQ(Recorded("tenant_globex"), "app:001");
}

TEST_F(TenantsTest, CanaryMembersGoFirstAndTheRestOnlyIfTheyAllSucceeded) {
  std::string env = Platform("{ file: tenants.txt }");
  Tenants({"acme", "globex", "initech"});
  pg_.Query("tenant_globex", "CREATE TABLE orders (made_by_hand int)");
  // Canaries, in name order: acme and globex; globex fails, initech waits.
  Result r = Apply(env, p_.config(), "--canary 2");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("the canary failed; the other members were not started"), std::string::npos)
      << r.err;
  EXPECT_EQ(Tables("initech"), "");
  pg_.Query("tenant_globex", "DROP TABLE orders");
  pg_.Query("tenant_globex", "DELETE FROM lockstep.history WHERE status = 'failed'");
  r = Apply(env, p_.config(), "--canary 1");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Tables("globex"), "orders,users");
  EXPECT_EQ(Tables("initech"), "orders,users");
  Result bad = Apply(env, p_.config(), "--canary 0");
  EXPECT_EQ(bad.code, 2) << bad.err;
}

TEST_F(TenantsTest, TheDaemonsNextRoundPicksUpANewTenant) {
  std::string env = Platform("{ file: tenants.txt }",
                             "settings:\n  schedule: {interval: 1s, apply_pending: true}\n");
  Tenants({"acme"});
  std::string dir = p_.root() + "/daemon";
  std::string pid = StartInBackground("env " + env + " " + kLockstep + " -c " + p_.config() +
                                          " serve --listen 127.0.0.1:0 --refresh 300ms",
                                      dir);
  std::string port = WaitForPort(dir);
  ASSERT_FALSE(port.empty()) << Slurp(dir + "/err");
  EXPECT_TRUE(WaitFor("tenant_acme", "SELECT count(*) FROM pg_tables WHERE tablename = 'orders'"))
      << Slurp(dir + "/err");
  Tenants({"acme", "globex"});
  EXPECT_TRUE(WaitFor("tenant_globex", "SELECT count(*) FROM pg_tables WHERE tablename = 'orders'"))
      << Slurp(dir + "/err");
  std::string metrics;
  Shell("curl -s http://127.0.0.1:" + port + "/metrics", &metrics);
  EXPECT_NE(metrics.find("lockstep_pending_migrations{service=\"app\",database=\"tenant/globex\"}"),
            std::string::npos)
      << metrics;
  std::string status;
  Shell("curl -s http://127.0.0.1:" + port + "/v1/status", &status);
  EXPECT_NE(status.find("\"tenant/globex\""), std::string::npos) << status;
  EXPECT_EQ(status.find("\"database\":\"tenant\""), std::string::npos) << status;
  Shell("kill " + pid);
  EXPECT_EQ(WaitForExit(dir), "0\n") << Slurp(dir + "/err");
}

}  // namespace
}  // namespace lockstep
