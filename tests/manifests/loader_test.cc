#include "manifests/loader.h"

#include "manifests/environments.h"

#include <sys/stat.h>

#include <cctype>
#include <filesystem>

#include <gtest/gtest.h>

#include <fstream>

#include "manifests/migration_files.h"
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
  EXPECT_EQ(m.checksum.hex(), Sha256Hex(sql));
  EXPECT_TRUE(m.has_down);
  EXPECT_EQ(m.DownPath(), p_.Path("services/users/migrations/001_create_u.down.sql"));
  ASSERT_EQ(m.up.size(), 1u);
  EXPECT_EQ(m.up[0].sql, "CREATE TABLE u (id int)");
  EXPECT_EQ(m.up[0].line, 3);
  ASSERT_EQ(m.requires_refs.size(), 1u);
  EXPECT_EQ(m.requires_refs[0].text, "billing:001");
}

TEST_F(LoaderTest, MissingPlatformFile) {
  EXPECT_EQ(Load(),
            "ROOT/lockstep.yaml: cannot read: No such file or directory; pass -c FILE or "
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
  EXPECT_EQ(Load(),
            "ROOT/services/users/service.yaml:1: warning: service 'users' has no "
            "migrations in ROOT/services/users/migrations\n");
  EXPECT_FALSE(diag_.has_errors());
}

TEST_F(LoaderTest, UnknownKeySuggestsTheNearest) {
  Basic();
  p_.Write("lockstep.yaml",
           "version: 1\nservices: [services/*/service.yaml]\ndatabases:\n  main: {url: x}\n"
           "setings:\n  jobs: 2\n");
  EXPECT_EQ(Load(),
            "ROOT/lockstep.yaml:5:1: unknown key 'setings' in the platform file (did you "
            "mean 'settings'?)\n");
}

TEST_F(LoaderTest, UnsupportedVersion) {
  Basic();
  p_.Write("lockstep.yaml",
           "version: 2\nservices: [services/*/service.yaml]\ndatabases: {main: {url: x}}\n");
  EXPECT_EQ(Load(),
            "ROOT/lockstep.yaml:1:10: unsupported version '2'; this lockstep reads "
            "version: 1\n");
}

TEST_F(LoaderTest, DatabaseNeedsExactlyOneOfUrlAndUrlFile) {
  Basic();
  p_.Write("lockstep.yaml",
           "version: 1\nservices: [services/*/service.yaml]\ndatabases:\n"
           "  main: {url: a, url_file: b}\n");
  EXPECT_EQ(Load(),
            "ROOT/lockstep.yaml:4:9: database 'main' needs exactly one of 'url' and "
            "'url_file'\n");
}

TEST_F(LoaderTest, GlobThatMatchesNothing) {
  p_.Write("lockstep.yaml",
           "version: 1\nservices:\n  - svc/*/service.yaml\ndatabases: {main: {url: x}}\n");
  EXPECT_EQ(Load(),
            "ROOT/lockstep.yaml:3:5: 'svc/*/service.yaml' matches no service manifest\n"
            "ROOT/lockstep.yaml:4: warning: database 'main' is used by no service\n");
}

TEST_F(LoaderTest, BadServiceName) {
  Basic();
  p_.Write("services/users/service.yaml", "service: Users_Svc\ndatabase: main\n");
  EXPECT_EQ(Load(),
            "ROOT/services/users/service.yaml:1:10: service name 'Users_Svc' must be "
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
  EXPECT_EQ(Load(),
            "ROOT/services/users2/service.yaml:1: service 'users' is also defined in "
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
  EXPECT_EQ(Load(),
            "ROOT/services/users/service.yaml:3:13: migrations folder "
            "'ROOT/services/users/sql' does not exist\n");
}

TEST_F(LoaderTest, DownFileWithoutUpFile) {
  Basic();
  p_.WriteMigration("users", "001_a.down.sql", "SELECT 1;");
  EXPECT_EQ(Load(),
            "ROOT/services/users/migrations/001_a.down.sql: down file without an up file: "
            "add 001_a.up.sql, or remove this file\n");
}

TEST_F(LoaderTest, NonUtf8File) {
  Basic();
  p_.WriteMigration("users", "001_a.up.sql", "SELECT 1;\nSELECT '\xff';\n");
  EXPECT_EQ(Load(),
            "ROOT/services/users/migrations/001_a.up.sql:2: not valid UTF-8; save the file "
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
  EXPECT_EQ(Load(),
            "ROOT/services/users/migrations/001_a.up.sql:2: psql meta-command '\\connect' "
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

// validate, status and the like keep no statements: every file is still
// read, hashed, lexed and checked, and migrations come in version order.
TEST_F(LoaderTest, WithoutStatementsEverythingIsStillChecked) {
  p_.WritePlatformFile("main");
  p_.WriteService("users");
  p_.WriteMigration("users", "010_later.up.sql", "SELECT 1;");
  p_.WriteMigration("users", "002_t.up.sql", "CREATE TABLE t (id int);\nSELECT 'open;\n");
  p_.WriteMigration("users", "002_t.down.sql", "DROP TABLE t;");
  p_.WriteMigration("users", "9_nine.up.sql", "SELECT 9;");
  Diagnostics diag;
  Platform platform = LoadPlatform(p_.config(), ProcessEnvironment(), &diag, false);
  EXPECT_NE(Describe(diag, p_.root()).find("002_t.up.sql:2"), std::string::npos)
      << Describe(diag, p_.root());
  ASSERT_EQ(platform.model.migrations.size(), 3u);
  EXPECT_EQ(platform.model.migrations[0].version.text(), "002");
  EXPECT_EQ(platform.model.migrations[1].version.text(), "9");
  EXPECT_EQ(platform.model.migrations[2].version.text(), "010");
  for (const Migration& m : platform.model.migrations) {
    EXPECT_TRUE(m.up.empty());
    EXPECT_TRUE(m.down.empty());
    EXPECT_NE(m.checksum, Checksum());  // hashed
  }
  EXPECT_FALSE(platform.model.migrations[0].down_empty);
}

// Each folder's migrations are built in the model's slots for its up files,
// counted first; slots of files that do not make a migration (a NUL byte, a
// file name that breaks the rule, a directory named like an up file) are
// closed up, and every migration keeps its own service, in folder and
// version order.
TEST_F(LoaderTest, FoldersWithFilesThatMakeNoMigrationStayInOrder) {
  p_.WritePlatformFile("main");
  p_.WriteService("alpha");
  p_.WriteService("beta");
  p_.WriteService("gamma");
  p_.WriteMigration("alpha", "001_a.up.sql", "SELECT 1;");
  p_.WriteMigration("alpha", "002_broken.up.sql", std::string("SELECT 1;\0", 10));
  p_.WriteMigration("alpha", "bad name.up.sql", "SELECT 1;");
  p_.WriteMigration("alpha", "003_c.up.sql", "SELECT 3;");
  p_.WriteMigration("alpha", "003_c.down.sql", "SELECT 33;");
  std::filesystem::create_directories(p_.Path("services/beta/migrations/004_dir.up.sql"));
  p_.WriteMigration("beta", "002_b.up.sql", "SELECT 2;");
  p_.WriteMigration("beta", "001_a.up.sql", "SELECT 1;");
  p_.WriteMigration("gamma", "005_e.up.sql", "SELECT 5;");
  Diagnostics diag;
  Platform platform = LoadPlatform(p_.config(), ProcessEnvironment(), &diag, true);
  std::string ids;
  for (int m = 0; m < static_cast<int>(platform.model.migrations.size()); ++m) {
    ids += platform.model.IdOf(m) + " ";
  }
  EXPECT_EQ(ids, "alpha:001 alpha:003 beta:001 beta:002 gamma:005 ");
  const Migration& c = platform.model.migrations[1];
  EXPECT_EQ(c.checksum, Sha256("SELECT 3;"));
  ASSERT_EQ(c.up.size(), 1u);
  EXPECT_EQ(c.up[0].sql, "SELECT 3");
  EXPECT_TRUE(c.has_down);
  ASSERT_EQ(c.down.size(), 1u);
  EXPECT_EQ(c.down[0].sql, "SELECT 33");
  EXPECT_FALSE(platform.model.migrations[0].has_down);
  EXPECT_EQ(platform.model.migrations[0].DownPath(),
            p_.Path("services/alpha/migrations/001_a.down.sql"));
  EXPECT_NE(Describe(diag, p_.root()).find("002_broken.up.sql:1: holds a NUL byte"),
            std::string::npos)
      << Describe(diag, p_.root());
}

// A checksum is kept as its 32 bytes and shown and compared as the
// lower-case hex the history table stores.
TEST(ChecksumTest, IsShownAndComparedAsLowerCaseHex) {
  const std::string abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  Checksum c = Sha256("abc");
  EXPECT_EQ(c.hex(), abc);
  EXPECT_EQ(Sha256Hex("abc"), abc);
  EXPECT_TRUE(c.Is(abc));
  std::string upper = abc;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_FALSE(c.Is(upper));
  EXPECT_FALSE(c.Is(abc.substr(0, 63)));
  EXPECT_FALSE(c.Is(""));
  EXPECT_FALSE(Checksum().Is(abc));
  EXPECT_EQ(Checksum().hex(), std::string(64, '0'));
  EXPECT_NE(c, Sha256("abd"));
  EXPECT_EQ(c, Sha256("abc"));
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
  EXPECT_FALSE(s.schedule.revert_drift);
}

TEST_F(LoaderTest, CorrectDriftIsReportOrRevert) {
  Basic();
  std::string head =
      "version: 1\nservices: [services/*/service.yaml]\ndatabases: {main: {url: x}}\n"
      "settings:\n  schedule: {interval: 1m, correct_drift: ";
  p_.Write("lockstep.yaml", head + "revert}\n");
  EXPECT_EQ(Load(), "");
  EXPECT_TRUE(platform_.settings.schedule.revert_drift);
  p_.Write("lockstep.yaml", head + "fix}\n");
  EXPECT_EQ(Load(),
            "ROOT/lockstep.yaml:5:43: correct_drift: 'fix' is neither report (say what drifted) "
            "nor revert (undo drift of indexes, comments, views, functions and triggers; report "
            "the rest)\n");
}

TEST_F(LoaderTest, EnvironmentOverridesTheFile) {
  Basic();
  p_.Write("lockstep.yaml",
           "version: 1\nservices: [services/*/service.yaml]\n"
           "databases: {main: {url: x}}\nsettings: {jobs: 3}\n");
  EXPECT_EQ(Load({{"LOCKSTEP_JOBS", "5"}, {"LOCKSTEP_LOCK_TIMEOUT", "2m"}}), "");
  EXPECT_EQ(platform_.settings.jobs, 5);
  EXPECT_EQ(platform_.settings.lock_timeout.count(), 120000);
}

TEST_F(LoaderTest, BadSettingValues) {
  Basic();
  p_.Write("lockstep.yaml",
           "version: 1\nservices: [services/*/service.yaml]\n"
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

TEST_F(LoaderTest, LockSettings) {
  Basic();
  p_.Write("lockstep.yaml",
           "version: 1\nservices: [services/*/service.yaml]\n"
           "databases: {main: {url: x}}\nsettings:\n  lock: lease\n  lease_ttl: 10s\n"
           "  on_failure: continue\n  max_connections: 8\n");
  EXPECT_EQ(Load(), "");
  EXPECT_EQ(platform_.settings.on_failure, Settings::OnFailure::kContinue);
  EXPECT_EQ(platform_.settings.max_connections, 8);
  EXPECT_EQ(platform_.settings.lock, Settings::Lock::kLease);
  EXPECT_EQ(platform_.settings.lease_ttl.count(), 10000);
  EXPECT_EQ(Load({{"LOCKSTEP_LOCK", "advisory"}}), "");
  EXPECT_EQ(platform_.settings.lock, Settings::Lock::kAdvisory);
  p_.Write("lockstep.yaml",
           "version: 1\nservices: [services/*/service.yaml]\n"
           "databases: {main: {url: x}}\nsettings:\n  lock: pgbouncer\n  lease_ttl: 1s\n");
  EXPECT_EQ(Load(),
            "ROOT/lockstep.yaml:5:9: lock: 'pgbouncer' is not a kind of lock; write advisory (the "
            "default) or lease (through a transaction-pooling PgBouncer)\n"
            "ROOT/lockstep.yaml:6:14: lease_ttl: '1s' is too short for a lease; write 3s or more "
            "(default 30s)\n");
}

TEST_F(LoaderTest, ResolvesUrlsFromEnvironmentAndFiles) {
  p_.Write("lockstep.yaml",
           "version: 1\nservices: [services/*/service.yaml]\ndatabases:\n"
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
  p_.Write("lockstep.yaml",
           "version: 1\nservices: [services/*/service.yaml]\n"
           "databases: {users: {url: \"${USERS_DATABASE_URL}\"}}\n");
  p_.WriteService("users", "users");
  p_.WriteMigration("users", "001_a.up.sql", "SELECT 1;");
  EXPECT_EQ(Load(), "");
  std::string url, error;
  EXPECT_FALSE(ResolveDatabaseUrl(
      platform_, platform_.databases[0], [](const std::string&) { return std::nullopt; }, &url,
      &error));
  EXPECT_EQ(error, "database 'users': environment variable USERS_DATABASE_URL is not set");
}

TEST_F(LoaderTest, NulByteInMigrationIsAnError) {
  Basic();
  p_.WriteMigration("users", "001_init.up.sql",
                    std::string("CREATE TABLE a3 (id int);\n\0\0DROP TABLE a1;\n", 44));
  EXPECT_EQ(Load(),
            "ROOT/services/users/migrations/001_init.up.sql:2: holds a NUL byte; PostgreSQL "
            "would never see what follows it: remove it\n");
}

TEST_F(LoaderTest, NulByteInDownFileIsAnErrorToo) {
  Basic();
  p_.WriteMigration("users", "001_init.down.sql", std::string("SELECT 1;\0", 10));
  EXPECT_EQ(Load(),
            "ROOT/services/users/migrations/001_init.down.sql:1: holds a NUL byte; "
            "PostgreSQL would never see what follows it: remove it\n");
}

TEST_F(LoaderTest, NulByteInYamlIsAnError) {
  Basic();
  p_.Write("services/users/service.yaml", std::string("service: users\n\0database: main\n", 31));
  EXPECT_EQ(Load(),
            "ROOT/services/users/service.yaml:2: holds a NUL byte; remove it\n"
            "ROOT/lockstep.yaml:5: warning: database 'main' is used by no service\n");
}

TEST_F(LoaderTest, DuplicateTopLevelKeyIsAnError) {
  Basic();
  p_.Write("lockstep.yaml",
           "version: 1\nservices: [services/*/service.yaml]\n"
           "databases: {main: {url: x}}\n"
           "databases:\n  main: {url: y}\n");
  EXPECT_EQ(Load(),
            "ROOT/lockstep.yaml:4:1: duplicate key 'databases' (first on line 3); YAML "
            "keeps only one of them: merge them into one\n");
}

TEST_F(LoaderTest, DuplicateNestedKeyIsAnError) {
  Basic();
  p_.Write("lockstep.yaml",
           "version: 1\nservices: [services/*/service.yaml]\n"
           "databases:\n  main: {url: x}\n  main: {url: y}\n");
  EXPECT_EQ(Load(),
            "ROOT/lockstep.yaml:5:3: duplicate key 'main' (first on line 4); YAML keeps "
            "only one of them: merge them into one\n");
}

TEST_F(LoaderTest, DuplicateKeyInAServiceManifestIsAnError) {
  Basic();
  p_.Write("services/users/service.yaml", "service: users\ndatabase: main\ndatabase: other\n");
  EXPECT_EQ(Load(),
            "ROOT/services/users/service.yaml:3:1: duplicate key 'database' (first on "
            "line 2); YAML keeps only one of them: merge them into one\n"
            "ROOT/lockstep.yaml:5: warning: database 'main' is used by no service\n");
}

// `a: &a [*a]` is a node that holds itself: walking it must end.
TEST_F(LoaderTest, SelfReferentialAliasIsAnErrorNotACrash) {
  Basic();
  p_.Write("lockstep.yaml",
           "version: 1\nservices: &s [*s]\ndatabases: &d {main: *d}\n"
           "x: &a [*a]\n");
  Load();
  EXPECT_TRUE(diag_.has_errors());
  EXPECT_NE(Describe(diag_, p_.root()).find("unknown key 'x' in the platform file"),
            std::string::npos);
}

// Nesting past yaml-cpp's depth guard: an error that says so (yaml-cpp's own
// message is "bad file"), not a crash.
TEST_F(LoaderTest, NestingTooDeepIsAnErrorThatSaysSo) {
  Basic();
  p_.Write("lockstep.yaml",
           "version: 1\nservices: " + std::string(1000, '[') + std::string(1000, ']') + "\n");
  EXPECT_EQ(Load(),
            "ROOT/lockstep.yaml:2:2011: invalid YAML: nested deeper than the YAML parser allows; "
            "lockstep's files need a few levels\n");
}

TEST_F(LoaderTest, SymlinkedMigrationOutsideTheRootIsRefused) {
  Basic();
  TempPlatform elsewhere;
  elsewhere.Write("evil.sql", "DROP TABLE users;");
  std::filesystem::create_symlink(elsewhere.Path("evil.sql"),
                                  p_.Path("services/users/migrations/002_evil.up.sql"));
  EXPECT_EQ(Load(), "ROOT/services/users/migrations/002_evil.up.sql: symbolic link to " +
                        std::filesystem::canonical(elsewhere.Path("evil.sql")).string() +
                        ", outside the platform root ROOT; lockstep runs only files under the "
                        "root: copy the file in instead\n");
}

TEST_F(LoaderTest, SymlinkedMigrationInsideTheRootIsRead) {
  Basic();
  p_.Write("shared/002_common.sql", "CREATE TABLE common (id int);");
  std::filesystem::create_symlink("../../../shared/002_common.sql",
                                  p_.Path("services/users/migrations/002_common.up.sql"));
  EXPECT_EQ(Load(), "");
  ASSERT_EQ(platform_.model.migrations.size(), 2u);
  EXPECT_EQ(platform_.model.migrations[1].up[0].sql, "CREATE TABLE common (id int)");
}

// Files are read through a 64 KiB buffer without asking their size first:
// one larger than that (and than two of it) is read whole, up and down.
TEST_F(LoaderTest, AMigrationLargerThanTheReadBufferIsReadWhole) {
  Basic();
  std::string up, down;
  for (int i = 0; i < 20000; ++i) {
    up += "INSERT INTO t VALUES (" + std::to_string(i) + ");\n";
    down += "DELETE FROM t WHERE id = " + std::to_string(i) + ";\n";
  }
  ASSERT_GT(up.size(), 2u * 65536);
  p_.WriteMigration("users", "002_big.up.sql", up);
  p_.WriteMigration("users", "002_big.down.sql", down);
  EXPECT_EQ(Load(), "");
  ASSERT_EQ(platform_.model.migrations.size(), 2u);
  const Migration& m = platform_.model.migrations[1];
  EXPECT_EQ(m.checksum.hex(), Sha256Hex(up));
  ASSERT_EQ(m.up.size(), 20000u);
  EXPECT_EQ(m.up.back().sql, "INSERT INTO t VALUES (19999)");
  ASSERT_EQ(m.down.size(), 20000u);
  EXPECT_EQ(m.down.back().sql, "DELETE FROM t WHERE id = 19999");
}

TEST(ReadWholeFileTest, ReadsAnyLengthAndRefusesWhatIsNotARegularFile) {
  TempPlatform p;
  for (size_t size :
       {size_t{0}, size_t{1}, size_t{65535}, size_t{65536}, size_t{65537}, size_t{200000}}) {
    std::string text(size, 'x');
    for (size_t i = 0; i < size; i += 97) text[i] = static_cast<char>('a' + i % 26);
    p.Write("f", text);
    for (bool regular_entry : {false, true}) {
      std::string out = "kept:", error;
      ASSERT_TRUE(ReadWholeFile(p.Path("f"), &out, &error, AT_FDCWD, 0, regular_entry)) << error;
      EXPECT_EQ(out, "kept:" + text) << size << " " << regular_entry;
    }
  }
  std::string out, error;
  EXPECT_FALSE(ReadWholeFile(p.Path("f"), &out, &error, AT_FDCWD, 100 * 1024));
  EXPECT_EQ(error, "cannot read: larger than 100 KiB");
  EXPECT_EQ(out, "");
  ASSERT_EQ(::mkfifo(p.Path("fifo").c_str(), 0600), 0);
  EXPECT_FALSE(ReadWholeFile(p.Path("fifo"), &out, &error));
  EXPECT_EQ(error, "cannot read: not a regular file");
  EXPECT_FALSE(ReadWholeFile(p.root(), &out, &error));
  EXPECT_EQ(error, "cannot read: not a regular file");
  // readdir said a regular file, and a symlink is there now: refused, where
  // a symlink that readdir saw is followed (after the loader's root check).
  std::filesystem::create_symlink(p.Path("f"), p.Path("link"));
  EXPECT_TRUE(ReadWholeFile(p.Path("link"), &out, &error));
  EXPECT_FALSE(ReadWholeFile(p.Path("link"), &out, &error, AT_FDCWD, 0, true));
  EXPECT_EQ(error, "cannot read: Too many levels of symbolic links");
}

TEST_F(LoaderTest, BrokenDownFileIsAWarningKeptForRollback) {
  Basic();
  p_.WriteMigration("users", "001_init.down.sql",
                    "BEGIN;\nDROP INDEX CONCURRENTLY users_email;\nCOMMIT;\n");
  std::string out = Load();
  EXPECT_FALSE(diag_.has_errors()) << out;
  EXPECT_NE(out.find("ROOT/services/users/migrations/001_init.down.sql:2: warning: "),
            std::string::npos)
      << out;
  ASSERT_EQ(platform_.model.migrations.size(), 1u);
  const Migration& m = platform_.model.migrations[0];
  ASSERT_EQ(m.down_problems.size(), 1u);
  EXPECT_EQ(m.down_problems[0].rfind(p_.Path("services/users/migrations/001_init.down.sql:2: "), 0),
            0u)
      << m.down_problems[0];
}

TEST_F(LoaderTest, EmptyDownFileIsIrreversible) {
  Basic();
  p_.WriteMigration("users", "001_init.down.sql", "-- nothing to undo\n");
  EXPECT_EQ(Load(),
            "ROOT/services/users/migrations/001_init.down.sql: warning: holds no SQL "
            "statement: the migration is irreversible\n");
  EXPECT_TRUE(platform_.model.migrations[0].down_empty);
  EXPECT_TRUE(platform_.model.migrations[0].down_problems.empty());
}

TEST_F(LoaderTest, UrlFileMustBeASmallRegularFile) {
  p_.Write("lockstep.yaml",
           "version: 1\nservices: [services/*/service.yaml]\ndatabases:\n"
           "  zero: {url_file: /dev/zero}\n  dir: {url_file: secrets}\n"
           "  big: {url_file: secrets/big}\n  fifo: {url_file: secrets/fifo}\n");
  p_.Write("secrets/big", std::string(70 * 1024, 'x'));
  ASSERT_EQ(::mkfifo(p_.Path("secrets/fifo").c_str(), 0600), 0);
  for (const char* db : {"zero", "dir", "big", "fifo"}) p_.WriteService(db, db);
  Load();
  std::map<std::string, std::string> expected = {
      {"zero", "database 'zero': url_file /dev/zero: cannot read: not a regular file"},
      {"dir",
       "database 'dir': url_file " + p_.Path("secrets") + ": cannot read: not a regular file"},
      {"big",
       "database 'big': url_file " + p_.Path("secrets/big") + ": cannot read: larger than 64 KiB"},
      {"fifo", "database 'fifo': url_file " + p_.Path("secrets/fifo") +
                   ": cannot read: not a regular file"},
  };
  for (const auto& [db, message] : expected) {
    std::string url, error;
    EXPECT_FALSE(ResolveDatabaseUrl(
        platform_, *platform_.FindDatabase(db), [](const std::string&) { return std::nullopt; },
        &url, &error));
    EXPECT_EQ(error, message);
  }
}

// env files: quotes, export, comments; errors name the line and never the
// value.
TEST_F(LoaderTest, EnvFilesOfEnvironments) {
  p_.Write("envs/a.env",
           "# staging\n\nexport URL='postgresql://u:p w@h/db'  # trailing\nPLAIN = x y # c\n"
           "DOUBLE=\"a\\\"b\\nc\"\nEMPTY=\n");
  std::map<std::string, std::string> vars;
  Diagnostics diag;
  ASSERT_TRUE(ReadEnvFile(p_.root() + "/envs/a.env", &vars, &diag)) << Describe(diag, p_.root());
  EXPECT_EQ(vars, (std::map<std::string, std::string>{{"URL", "postgresql://u:p w@h/db"},
                                                      {"PLAIN", "x y"},
                                                      {"DOUBLE", "a\"b\nc"},
                                                      {"EMPTY", ""}}));
  p_.Write("envs/b.env", "OK=1\nnot a line\n1X=2\nPW='s3cret\n");
  vars.clear();
  diag = Diagnostics();
  EXPECT_FALSE(ReadEnvFile(p_.root() + "/envs/b.env", &vars, &diag));
  std::string d = Describe(diag, p_.root());
  EXPECT_NE(d.find("ROOT/envs/b.env:2: expected KEY=VALUE"), std::string::npos) << d;
  EXPECT_NE(d.find("ROOT/envs/b.env:3: expected KEY=VALUE"), std::string::npos) << d;
  EXPECT_NE(d.find("ROOT/envs/b.env:4: PW: the value's quote is not closed"), std::string::npos)
      << d;
  EXPECT_EQ(d.find("s3cret"), std::string::npos) << d;

  Basic();
  std::ifstream in(p_.root() + "/lockstep.yaml");
  std::string platform_file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  p_.Write("lockstep.yaml", platform_file +
                                "environments:\n  staging: { env_file: envs/a.env }\n"
                                "  prod: { envfile: x }\n");
  std::string loaded = Load();
  EXPECT_NE(loaded.find("unknown key 'envfile' in environment 'prod' (did you mean 'env_file'?)"),
            std::string::npos)
      << loaded;
  EXPECT_NE(loaded.find("environment 'prod' needs 'env_file'"), std::string::npos) << loaded;
  ASSERT_EQ(platform_.environments.size(), 1u);
  EXPECT_EQ(platform_.environments[0].env_file, p_.root() + "/envs/a.env");
}

}  // namespace
}  // namespace lockstep
