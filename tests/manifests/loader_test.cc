#include "manifests/loader.h"

#include <gtest/gtest.h>

#include "manifests/sha256.h"
#include "testing/platform_builder.h"

namespace lockstep {
namespace {

class LoaderTest : public ::testing::Test {
 protected:
  // Loads the platform and returns its diagnostics, root shown as ROOT.
  std::string Load(const std::map<std::string, std::string>& env = {}) {
    diag_ = Diagnostics();
    platform_ = p_.Load(&diag_, env);
    return Describe(diag_, p_.root());
  }
  // One database, one service with one migration.
  void Basic() {
    p_.WritePlatformFile("main");
    p_.WriteService("users");
    p_.WriteMigration("users", "001_init.up.sql", "SELECT 1;");
  }

  TempPlatform p_;
  Diagnostics diag_;
  Platform platform_;
};

TEST_F(LoaderTest, LoadsServicesMigrationsAndChecksums) {
  p_.WritePlatformFile("main");
  p_.WriteService("users");
  p_.WriteService("billing");
  std::string sql = "-- lockstep:requires billing:001\nBEGIN;\nCREATE TABLE u (id int);\nCOMMIT;\n";
  p_.WriteMigration("users", "001_create_u.up.sql", sql);
  p_.WriteMigration("users", "001_create_u.down.sql", "DROP TABLE u;");
  p_.WriteMigration("users", "002_more.up.sql", "SELECT 1;");
  p_.WriteMigration("billing", "001_b.up.sql", "SELECT 1;");
  p_.Write("services/users/migrations/README.md", "notes");
  EXPECT_EQ(Load(), "");
  const Model& model = platform_.model;
  ASSERT_EQ(model.services.size(), 2u);
  EXPECT_EQ(model.services[0].name, "billing");  // manifests in path order
  ASSERT_EQ(model.migrations.size(), 3u);
  const Migration& m = model.migrations[1];
  EXPECT_EQ(model.IdOf(1), "users:001");
  EXPECT_EQ(m.checksum, Sha256Hex(sql));
  EXPECT_EQ(m.down_path, p_.Path("services/users/migrations/001_create_u.down.sql"));
  ASSERT_EQ(m.up.size(), 1u);
  EXPECT_EQ(m.up[0].sql, "CREATE TABLE u (id int)");
  EXPECT_EQ(m.up[0].line, 3);
  ASSERT_EQ(m.requires_refs.size(), 1u);
  EXPECT_EQ(m.requires_refs[0].text, "billing:001");
}

TEST_F(LoaderTest, MissingPlatformFile) {
  EXPECT_EQ(Load(), "ROOT/lockstep.yaml: cannot read: No such file or directory; pass -c FILE or "
                    "set LOCKSTEP_CONFIG\n");
}

TEST_F(LoaderTest, InvalidYamlNamesLineAndColumn) {
  p_.Write("lockstep.yaml", "version: 1\nservices: [a\ndatabases: {}\n");
  std::string out = Load();
  EXPECT_EQ(out.rfind("ROOT/lockstep.yaml:3:", 0), 0u) << out;
  EXPECT_NE(out.find("invalid YAML"), std::string::npos);
}

TEST_F(LoaderTest, NonUtf8PlatformFile) {
  p_.Write("lockstep.yaml", "version: 1\n\xff\xfe: x\n");
  EXPECT_EQ(Load(), "ROOT/lockstep.yaml:2: not valid UTF-8; save the file as UTF-8\n");
}

TEST_F(LoaderTest, ManifestWithoutServiceKey) {
  Basic();
  p_.Write("services/users/service.yaml", "database: main\n");
  EXPECT_EQ(Load(), "ROOT/services/users/service.yaml:1:1: a service manifest needs 'service'\n");
}

TEST_F(LoaderTest, ServiceWithoutMigrationsIsAWarning) {
  p_.WritePlatformFile("main");
  p_.WriteService("users");
  EXPECT_EQ(Load(), "ROOT/services/users/service.yaml:1: warning: service 'users' has no "
                    "migrations in ROOT/services/users/migrations\n");
  EXPECT_FALSE(diag_.has_errors());
}

TEST_F(LoaderTest, UnknownKeySuggestsTheNearest) {
  Basic();
  p_.Write("lockstep.yaml",
           "version: 1\nservices: [services/*/service.yaml]\ndatabases:\n  main: {url: x}\n"
           "setings:\n  jobs: 2\n");
  EXPECT_EQ(Load(), "ROOT/lockstep.yaml:5:1: unknown key 'setings' in the platform file (did you "
                    "mean 'settings'?)\n");
}

TEST_F(LoaderTest, UnsupportedVersion) {
  Basic();
  p_.Write("lockstep.yaml",
           "version: 2\nservices: [services/*/service.yaml]\ndatabases: {main: {url: x}}\n");
  EXPECT_EQ(Load(), "ROOT/lockstep.yaml:1:10: unsupported version '2'; this lockstep reads "
                    "version: 1\n");
}

TEST_F(LoaderTest, DatabaseNeedsExactlyOneOfUrlAndUrlFile) {
  Basic();
  p_.Write("lockstep.yaml", "version: 1\nservices: [services/*/service.yaml]\ndatabases:\n"
                            "  main: {url: a, url_file: b}\n");
  EXPECT_EQ(Load(), "ROOT/lockstep.yaml:4:9: database 'main' needs exactly one of 'url' and "
                    "'url_file'\n");
}

TEST_F(LoaderTest, GlobThatMatchesNothing) {
  p_.Write("lockstep.yaml", "version: 1\nservices:\n  - svc/*/service.yaml\ndatabases: {main: {url: x}}\n");
  EXPECT_EQ(Load(), "ROOT/lockstep.yaml:3:5: 'svc/*/service.yaml' matches no service manifest\n"
                    "ROOT/lockstep.yaml:4: warning: database 'main' is used by no service\n");
}

TEST_F(LoaderTest, BadServiceName) {
  Basic();
  p_.Write("services/users/service.yaml", "service: Users_Svc\ndatabase: main\n");
  EXPECT_EQ(Load(), "ROOT/services/users/service.yaml:1:10: service name 'Users_Svc' must be "
                    "lower-case letters, digits and '-', starting with a letter or digit\n");
}

TEST_F(LoaderTest, UnknownDatabaseSuggestsTheNearest) {
  p_.WritePlatformFile("identity,billing");
  p_.WriteService("users", "identty");
  std::string out = Load();
  EXPECT_NE(out.find("ROOT/services/users/service.yaml:2:11: unknown database 'identty' (did you "
                     "mean 'identity'?); the platform file defines: identity, billing\n"),
            std::string::npos)
      << out;
}

TEST_F(LoaderTest, DuplicateServiceNames) {
  Basic();
  p_.Write("services/users2/service.yaml", "service: users\ndatabase: main\n");
  p_.Write("services/users2/migrations/001_x.up.sql", "SELECT 1;");
  EXPECT_EQ(Load(), "ROOT/services/users2/service.yaml:1: service 'users' is also defined in "
                    "ROOT/services/users/service.yaml; service names must be unique\n");
}

TEST_F(LoaderTest, MigrationsFolderMustStayInsideTheRoot) {
  Basic();
  p_.Write("services/users/service.yaml",
           "service: users\ndatabase: main\nmigrations: ../../../elsewhere\n");
  std::string out = Load();
  EXPECT_NE(out.find("ROOT/services/users/service.yaml:3:13: migrations folder "
                     "'../../../elsewhere' is outside the platform root"),
            std::string::npos)
      << out;
}

TEST_F(LoaderTest, MissingMigrationsFolder) {
  Basic();
  p_.Write("services/users/service.yaml", "service: users\ndatabase: main\nmigrations: sql\n");
  EXPECT_EQ(Load(), "ROOT/services/users/service.yaml:3:13: migrations folder "
                    "'ROOT/services/users/sql' does not exist\n");
}

TEST_F(LoaderTest, DownFileWithoutUpFile) {
  Basic();
  p_.WriteMigration("users", "001_a.down.sql", "SELECT 1;");
  EXPECT_EQ(Load(), "ROOT/services/users/migrations/001_a.down.sql: down file without an up file: "
                    "add 001_a.up.sql, or remove this file\n");
}

TEST_F(LoaderTest, NonUtf8File) {
  Basic();
  p_.WriteMigration("users", "001_a.up.sql", "SELECT 1;\nSELECT '\xff';\n");
  EXPECT_EQ(Load(), "ROOT/services/users/migrations/001_a.up.sql:2: not valid UTF-8; save the file "
                    "as UTF-8\n");
}

TEST_F(LoaderTest, MalformedMigrationFileName) {
  Basic();
  p_.WriteMigration("users", "create_users.up.sql", "SELECT 1;");
  p_.WriteMigration("users", "001_notes.sql", "SELECT 1;");
  std::string out = Load();
  EXPECT_NE(out.find("ROOT/services/users/migrations/create_users.up.sql: file name breaks the "
                     "naming rule"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("ROOT/services/users/migrations/001_notes.sql: warning: not a migration file"),
            std::string::npos)
      << out;
}

TEST_F(LoaderTest, LexerErrorsCarryTheFileAndLine) {
  Basic();
  p_.WriteMigration("users", "001_a.up.sql", "SELECT 1;\n\\connect other\n");
  EXPECT_EQ(Load(), "ROOT/services/users/migrations/001_a.up.sql:2: psql meta-command '\\connect' "
                    "is not SQL; lockstep runs plain SQL only: remove it, or write what it does "
                    "as SQL\n");
}

TEST_F(LoaderTest, AllErrorsOfAllFilesAreReportedTogether) {
  Basic();
  p_.WriteService("billing");
  p_.WriteMigration("users", "001_a.up.sql", "SELECT 'x");
  p_.WriteMigration("billing", "001_b.up.sql", "-- lockstep:bogus\nSELECT 1;");
  p_.WriteMigration("billing", "002_c.down.sql", "SELECT 1;");
  Load();
  EXPECT_EQ(diag_.error_count(), 3) << Describe(diag_, p_.root());
}

TEST_F(LoaderTest, SettingsFromTheFile) {
  Basic();
  p_.Write("lockstep.yaml",
           "version: 1\nservices: [services/*/service.yaml]\ndatabases: {main: {url: x}}\n"
           "settings:\n  lock_timeout: 5s\n  statement_timeout: 1m\n  jobs: 3\n"
           "  history_schema: ops\n  schedule: {interval: 15m, apply_pending: true}\n");
  EXPECT_EQ(Load(), "");
  const Settings& s = platform_.settings;
  EXPECT_EQ(s.lock_timeout.count(), 5000);
  EXPECT_EQ(s.statement_timeout.count(), 60000);
  EXPECT_EQ(s.jobs, 3);
  EXPECT_EQ(s.history_schema, "ops");
  EXPECT_EQ(s.schedule.interval.count(), 900000);
  EXPECT_TRUE(s.schedule.apply_pending);
}

TEST_F(LoaderTest, EnvironmentOverridesTheFile) {
  Basic();
  p_.Write("lockstep.yaml", "version: 1\nservices: [services/*/service.yaml]\n"
                            "databases: {main: {url: x}}\nsettings: {jobs: 3}\n");
  EXPECT_EQ(Load({{"LOCKSTEP_JOBS", "5"}, {"LOCKSTEP_LOCK_TIMEOUT", "2m"}}), "");
  EXPECT_EQ(platform_.settings.jobs, 5);
  EXPECT_EQ(platform_.settings.lock_timeout.count(), 120000);
}

TEST_F(LoaderTest, BadSettingValues) {
  Basic();
  p_.Write("lockstep.yaml", "version: 1\nservices: [services/*/service.yaml]\n"
                            "databases: {main: {url: x}}\nsettings:\n  jobs: lots\n"
                            "  lock_timeout: 60\n");
  EXPECT_EQ(Load({{"LOCKSTEP_HISTORY_SCHEMA", "Bad-Name"}}),
            "ROOT/lockstep.yaml:5:9: jobs: 'lots' is not a number of jobs; write a whole number "
            "from 1 to 1024\n"
            "ROOT/lockstep.yaml:6:17: lock_timeout: '60' is not a duration; write a number with a "
            "unit: 250ms, 60s, 5m, 1h, 1m30s (or 0)\n"
            "LOCKSTEP_HISTORY_SCHEMA: 'Bad-Name' is not a plain schema name; use lower-case "
            "letters, digits and '_'\n");
}

TEST_F(LoaderTest, ResolvesUrlsFromEnvironmentAndFiles) {
  p_.Write("lockstep.yaml", "version: 1\nservices: [services/*/service.yaml]\ndatabases:\n"
                            "  main: {url: \"postgresql://app:${PW}@db/main\"}\n"
                            "  core: {url_file: secrets/core-url}\n");
  p_.WriteService("users", "main");
  p_.WriteService("core", "core");
  p_.WriteMigration("users", "001_a.up.sql", "SELECT 1;");
  p_.WriteMigration("core", "001_a.up.sql", "SELECT 1;");
  p_.Write("secrets/core-url", "postgresql://core@db/core\n");
  EXPECT_EQ(Load(), "");
  std::string url, error;
  auto env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "PW") return "s3cret";
    return std::nullopt;
  };
  ASSERT_TRUE(ResolveDatabaseUrl(platform_, *platform_.FindDatabase("main"), env, &url, &error));
  EXPECT_EQ(url, "postgresql://app:s3cret@db/main");
  ASSERT_TRUE(ResolveDatabaseUrl(platform_, *platform_.FindDatabase("core"), env, &url, &error));
  EXPECT_EQ(url, "postgresql://core@db/core");
}

TEST_F(LoaderTest, UnsetVariableNamesIt) {
  p_.Write("lockstep.yaml", "version: 1\nservices: [services/*/service.yaml]\n"
                            "databases: {users: {url: \"${USERS_DATABASE_URL}\"}}\n");
  p_.WriteService("users", "users");
  p_.WriteMigration("users", "001_a.up.sql", "SELECT 1;");
  EXPECT_EQ(Load(), "");
  std::string url, error;
  EXPECT_FALSE(ResolveDatabaseUrl(platform_, platform_.databases[0],
                                  [](const std::string&) { return std::nullopt; }, &url, &error));
  EXPECT_EQ(error, "database 'users': environment variable USERS_DATABASE_URL is not set");
}

}  // namespace
}  // namespace lockstep
