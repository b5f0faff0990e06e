// Database sets as loading sees them: members from a list, a file and a
// query, each member a database (or a schema) with a copy of every service on
// the set, references resolved within a member, --tenant, and the errors a
// user makes writing them.
#include <gtest/gtest.h>

#include "daemon/engine/databases.h"
#include "daemon/engine/loaded.h"
#include "daemon/engine/state.h"
#include "testing/fake_database.h"
#include "testing/platform_builder.h"

namespace lockstep {
namespace {

using Strings = std::vector<std::string>;

class SetsTest : public ::testing::Test {
 protected:
  // core: one plain service; tenant: a set with `tenants` (YAML), and two
  // services on it, `app` requiring core's first migration and `reports`
  // requiring app's first.
  void WritePlatform(const std::string& tenants, const std::string& url = "${T}/tenant_{tenant}",
                     const std::string& app_schema = "") {
    p_.Write("lockstep.yaml",
             "version: 1\n"
             "services: [services/*/service.yaml]\n"
             "databases:\n"
             "  core: { url: \"${CORE}\" }\n"
             "  tenant:\n"
             "    url: \"" +
                 url +
                 "\"\n"
                 "    tenants: " +
                 tenants + "\n");
    p_.WriteService("core", "core");
    p_.WriteMigration("core", "001_init.up.sql", "CREATE TABLE plans (id int);\n");
    p_.Write("services/app/service.yaml",
             std::string("service: app\ndatabase: tenant\n") +
                 (app_schema.empty() ? "" : "schema: " + app_schema + "\n"));
    p_.WriteMigration("app", "001_users.up.sql",
                      "-- lockstep:requires core:001\nCREATE TABLE users (id int);\n");
    p_.WriteMigration("app", "002_orders.up.sql", "CREATE TABLE orders (id int);\n");
    p_.Write("services/reports/service.yaml",
             std::string("service: reports\ndatabase: tenant\n") +
                 (app_schema.empty() ? "" : "schema: reports_{tenant}\n"));
    p_.WriteMigration("reports", "001_daily.up.sql",
                      "-- lockstep:requires app:001\nCREATE TABLE daily (id int);\n");
  }

  Loaded Load(Strings tenants = {}, bool queries = true) {
    CommonOptions o;
    o.config_path = p_.config();
    o.env = [](const std::string& name) -> std::optional<std::string> {
      if (name == "CORE") return "postgresql:///core";
      if (name == "T") return "postgresql://h";
      return std::nullopt;
    };
    o.databases = [this](const Platform&, const std::string&) { return cluster_.Factory(); };
    o.tenants = std::move(tenants);
    o.read_tenant_queries = queries;
    return LoadAndCheck(o);
  }

  std::string Errors(const Loaded& loaded) { return Describe(loaded.diag, p_.root()); }

  Strings Ids(const MigrationGraph& graph) {
    Strings ids;
    for (int m : graph.TopologicalOrder()) ids.push_back(graph.IdOf(m));
    return ids;
  }

  TempPlatform p_;
  FakeCluster cluster_;
};

TEST_F(SetsTest, EachMemberGetsItsOwnCopyOfTheSetsServices) {
  WritePlatform("{ list: [globex, acme] }");
  Loaded loaded = Load();
  ASSERT_TRUE(loaded.graph) << Errors(loaded);
  const MigrationGraph& g = *loaded.graph;
  EXPECT_EQ(Ids(g), (Strings{"core:001", "app:001@tenant/acme", "app:002@tenant/acme",
                             "app:001@tenant/globex", "app:002@tenant/globex",
                             "reports:001@tenant/acme", "reports:001@tenant/globex"}));
  // Within a member, a requirement names that member's copy; a requirement
  // on a plain database is the same for all.
  std::string error;
  int reports = g.Resolve("reports:001@tenant/globex", &error);
  ASSERT_GE(reports, 0);
  std::vector<Dependency> deps = g.DependenciesOf(reports);
  ASSERT_EQ(deps.size(), 1u);
  EXPECT_EQ(g.IdOf(deps[0].migration), "app:001@tenant/globex");
  EXPECT_EQ(g.IdOf(g.DependenciesOf(g.Resolve("app:001@tenant/acme", &error))[0].migration),
            "core:001");
  EXPECT_EQ(DatabasesOf(*loaded.platform),
            (std::set<std::string>{"core", "tenant/acme", "tenant/globex"}));
  const DatabaseConfig* acme = loaded.platform->FindDatabase("tenant/acme");
  ASSERT_NE(acme, nullptr);
  EXPECT_EQ(acme->tenant, "acme");
  EXPECT_EQ(loaded.platform->HistorySchemaOf("tenant/acme"), "lockstep");
  // As written: one service per manifest, whatever the members.
  EXPECT_EQ(loaded.written_graph().size(), 4);
}

TEST_F(SetsTest, AnIdWithoutTheMemberNamesEveryCopyOrAsksWhichOne) {
  WritePlatform("{ list: [acme, globex] }");
  Loaded loaded = Load();
  ASSERT_TRUE(loaded.graph) << Errors(loaded);
  const MigrationGraph& g = *loaded.graph;
  std::string error;
  EXPECT_EQ(g.ResolveAll("app:002", &error).size(), 2u);
  EXPECT_EQ(g.Resolve("app:002", &error), -1);
  EXPECT_NE(error.find("name one, e.g. 'app:002@tenant/acme'"), std::string::npos) << error;
  EXPECT_EQ(g.ServicesNamed("app").size(), 2u);
  EXPECT_EQ(g.ServicesNamed("app@tenant/globex").size(), 1u);
  EXPECT_EQ(g.Resolve("app:002@tenant/initech", &error), -1);
}

TEST_F(SetsTest, ARequirementFromAPlainDatabaseOnASetHoldsOnEveryMember) {
  WritePlatform("{ list: [acme, globex] }");
  p_.WriteMigration("core", "002_after.up.sql",
                    "-- lockstep:requires app:002\nCREATE TABLE after_all (id int);\n");
  Loaded loaded = Load();
  ASSERT_TRUE(loaded.graph) << Errors(loaded);
  const MigrationGraph& g = *loaded.graph;
  std::string error;
  Strings needs;
  for (const Dependency& d : g.DependenciesOf(g.Resolve("core:002", &error))) {
    needs.push_back(g.IdOf(d.migration));
  }
  EXPECT_EQ(needs, (Strings{"core:001", "app:002@tenant/acme", "app:002@tenant/globex"}));
}

TEST_F(SetsTest, MembersFromAFileWithCommentsSortedAndPickedUpWhenTheFileChanges) {
  WritePlatform("{ file: tenants.txt }");
  p_.Write("tenants.txt", "# our customers\nglobex\n\n  acme   # since 2024\n");
  Loaded loaded = Load();
  ASSERT_TRUE(loaded.graph) << Errors(loaded);
  EXPECT_EQ(DatabasesOf(*loaded.platform),
            (std::set<std::string>{"core", "tenant/acme", "tenant/globex"}));
  p_.Write("tenants.txt", "globex\nacme\ninitech\n");
  Loaded again = Load();
  ASSERT_TRUE(again.graph) << Errors(again);
  EXPECT_TRUE(DatabasesOf(*again.platform).count("tenant/initech"));
}

TEST_F(SetsTest, MembersFromAQueryOnAnotherDatabase) {
  WritePlatform("{ query: \"SELECT slug FROM tenants\", database: core }");
  cluster_.SetNames("core", {"zeta", "acme", "acme"});  // a query without DISTINCT
  Loaded loaded = Load();
  ASSERT_TRUE(loaded.graph) << Errors(loaded);
  EXPECT_EQ(DatabasesOf(*loaded.platform),
            (std::set<std::string>{"core", "tenant/acme", "tenant/zeta"}));
  EXPECT_EQ(cluster_.queries(), 1);
  // Commands that touch no database leave it alone, and say so.
  Loaded offline = Load({}, /*queries=*/false);
  ASSERT_TRUE(offline.graph) << Errors(offline);
  EXPECT_EQ(cluster_.queries(), 1);
  EXPECT_EQ(offline.unread_sets, Strings{"tenant"});
}

TEST_F(SetsTest, AQueryThatFailsOrReturnsABadNameIsAnErrorNamingTheSet) {
  WritePlatform("{ query: \"SELECT slug FROM tenants\", database: core }");
  Loaded missing = Load();
  EXPECT_FALSE(missing.graph);
  EXPECT_NE(Errors(missing).find("ROOT/lockstep.yaml:7: tenants of database set 'tenant' (query "
                                 "on 'core'): relation \"tenants\" does not exist"),
            std::string::npos)
      << Errors(missing);
  cluster_.SetNames("core", {"acme", "Big Corp"});
  Loaded bad = Load();
  EXPECT_FALSE(bad.graph);
  EXPECT_NE(Errors(bad).find("row 2 is 'Big Corp'"), std::string::npos) << Errors(bad);
}

TEST_F(SetsTest, BadNamesInAFileNameTheFileAndLine) {
  WritePlatform("{ file: tenants.txt }");
  p_.Write("tenants.txt", "acme\nAcme Corp\nacme\n");
  Loaded loaded = Load();
  EXPECT_FALSE(loaded.graph);
  EXPECT_NE(Errors(loaded).find("ROOT/tenants.txt:2: tenant 'Acme Corp' of database set "
                                "'tenant': a name must be lower-case"),
            std::string::npos)
      << Errors(loaded);
  EXPECT_NE(Errors(loaded).find("ROOT/tenants.txt:3: tenant 'acme' is listed twice"),
            std::string::npos)
      << Errors(loaded);
  WritePlatform("{ file: nowhere.txt }");
  Loaded missing = Load();
  EXPECT_FALSE(missing.graph);
  EXPECT_NE(Errors(missing).find("ROOT/lockstep.yaml:7: tenants of database set 'tenant': "),
            std::string::npos)
      << Errors(missing);
}

TEST_F(SetsTest, MistakesInTheSetItselfAreErrorsWithTheirLine) {
  WritePlatform("{ list: [acme], query: \"SELECT 1\" }");
  EXPECT_NE(Errors(Load()).find("need exactly one of 'file', 'list' and 'query'"),
            std::string::npos);
  WritePlatform("{ query: \"SELECT 1\", database: nowhere }");
  EXPECT_NE(Errors(Load()).find("'nowhere' is not a plain database of this platform"),
            std::string::npos)
      << Errors(Load());
  p_.Write("lockstep.yaml",
           "version: 1\nservices: [services/*/service.yaml]\ndatabases:\n"
           "  core: { url: \"${CORE}\" }\n  tenant: { url: \"${T}/t_{tenant}\" }\n");
  EXPECT_NE(Errors(Load()).find("has {tenant} in its url but no 'tenants:'"), std::string::npos)
      << Errors(Load());
}

TEST_F(SetsTest, SchemaMembersShareADatabaseAndKeepTheirHistoriesApart) {
  WritePlatform("{ list: [acme, globex] }", "${T}/shared", "app_{tenant}");
  Loaded loaded = Load();
  ASSERT_TRUE(loaded.graph) << Errors(loaded);
  const Platform& p = *loaded.platform;
  EXPECT_EQ(p.HistorySchemaOf("tenant/acme"), "lockstep_tenant_acme");
  EXPECT_EQ(p.HistorySchemaOf("tenant/globex"), "lockstep_tenant_globex");
  EXPECT_EQ(p.HistorySchemaOf("core"), "lockstep");
  std::string error;
  int app = p.model.migrations[loaded.graph->Resolve("app:001@tenant/globex", &error)].service;
  EXPECT_EQ(p.model.services[app].schema, "app_globex");
}

TEST_F(SetsTest, SchemaMembersNeedATenantInEveryServicesSchema) {
  WritePlatform("{ list: [acme] }", "${T}/shared");
  EXPECT_NE(Errors(Load()).find("give this service schema: \"tenant_{tenant}\""), std::string::npos)
      << Errors(Load());
  WritePlatform("{ list: [acme-corp] }", "${T}/shared", "app_{tenant}");
  EXPECT_NE(Errors(Load()).find("schema 'app_acme-corp' of member 'tenant/acme-corp' is not a "
                                "plain schema name"),
            std::string::npos)
      << Errors(Load());
}

TEST_F(SetsTest, TenantFlagKeepsOnlyThoseMembers) {
  WritePlatform("{ list: [acme, globex, initech] }");
  Loaded loaded = Load({"tenant/globex", "acme"});
  ASSERT_TRUE(loaded.graph) << Errors(loaded);
  EXPECT_EQ(DatabasesOf(*loaded.platform),
            (std::set<std::string>{"core", "tenant/acme", "tenant/globex"}));
  Loaded typo = Load({"tenant/globx"});
  EXPECT_FALSE(typo.graph);
  EXPECT_NE(Errors(typo).find("--tenant tenant/globx: no database set has such a member (did "
                              "you mean 'tenant/globex'?)"),
            std::string::npos)
      << Errors(typo);
}

TEST_F(SetsTest, OnlyMembersNarrowsARunToTheMembersAndWhatTheyNeed) {
  WritePlatform("{ list: [acme, globex] }");
  p_.WriteMigration("core", "002_unrelated.up.sql", "CREATE TABLE other (id int);\n");
  Loaded loaded = Load({"globex"});
  ASSERT_TRUE(loaded.graph) << Errors(loaded);
  const MigrationGraph& g = *loaded.graph;
  std::vector<bool> wanted;
  OnlyMembers(g, &wanted);
  Strings ids;
  for (int m : g.TopologicalOrder()) {
    if (wanted[m]) ids.push_back(g.IdOf(m));
  }
  EXPECT_EQ(ids, (Strings{"core:001", "app:001@tenant/globex", "app:002@tenant/globex",
                          "reports:001@tenant/globex"}));
}

TEST_F(SetsTest, HistoryRowsMatchTheirMembersCopy) {
  WritePlatform("{ list: [acme, globex] }");
  Loaded loaded = Load();
  ASSERT_TRUE(loaded.graph) << Errors(loaded);
  const MigrationGraph& g = *loaded.graph;
  HistoryRow row;
  row.service = "app";
  row.version = "001";
  row.status = "applied";
  std::string error;
  row.checksum = g.model().migrations[g.Resolve("app:001@tenant/acme", &error)].checksum.hex();
  std::map<std::string, std::vector<HistoryRow>> histories{{"tenant/acme", {row}},
                                                           {"tenant/globex", {}}};
  PlatformState state = Reconcile(g, histories);
  EXPECT_TRUE(state.applied[g.Resolve("app:001@tenant/acme", &error)]);
  EXPECT_FALSE(state.applied[g.Resolve("app:001@tenant/globex", &error)]);
  EXPECT_TRUE(state.unknown.empty());
}

}  // namespace
}  // namespace lockstep
