// Drift correction on a real server, for each kind of object a person changes
// by hand: `drift --write-migration` writes a migration that, applied on a
// fresh database built from the migrations, gives the same pg_dump
// --schema-only as the drifted database, and whose down file gives back the
// schema before the drift; `drift --revert-sql` run with psql leaves no
// drift and the schema before it.
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/fixture.h"

namespace lockstep {
namespace {

// A schema with one of each kind the snapshot holds.
const char* kBase = R"SQL(CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE SEQUENCE invoice_no START 1000;
CREATE TABLE users (
  id serial PRIMARY KEY,
  email text NOT NULL,
  feeling mood,
  score integer DEFAULT 0
);
CREATE INDEX users_email ON users (email);
CREATE TABLE orders (
  id bigint PRIMARY KEY,
  user_id integer REFERENCES users (id),
  total numeric(10, 2) CHECK (total >= 0)
);
CREATE VIEW active_users AS SELECT id, email FROM users;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();
COMMENT ON TABLE users IS 'people who sign in';
)SQL";

struct HandChange {
  const char* kind;
  const char* sql;
  bool revertible = true;  // false: the revert SQL says it cannot undo it
};

const HandChange kChanges[] = {
    {"column added", "ALTER TABLE users ADD COLUMN phone varchar(20) DEFAULT '' NOT NULL;"},
    {"column dropped", "ALTER TABLE users DROP COLUMN score;"},
    {"column altered",
     "ALTER TABLE users ALTER COLUMN score TYPE bigint, ALTER COLUMN email DROP NOT NULL, "
     "ALTER COLUMN score SET DEFAULT 10;"},
    {"generated column",
     "ALTER TABLE orders ADD COLUMN taxed numeric GENERATED ALWAYS AS "
     "(total * 1.2) STORED;"},
    {"table added",
     "CREATE TABLE \"Audit Log\" (id bigserial PRIMARY KEY, user_id int REFERENCES users, "
     "at timestamptz NOT NULL DEFAULT now(), \"user\" text);"},
    {"table dropped", "DROP TABLE orders;"},
    {"index added",
     "CREATE UNIQUE INDEX users_lower_email ON users (lower(email)) WHERE "
     "email IS NOT NULL;"},
    {"index dropped", "DROP INDEX users_email;"},
    {"constraint added", "ALTER TABLE users ADD CONSTRAINT score_positive CHECK (score > 0);"},
    {"constraint dropped", "ALTER TABLE orders DROP CONSTRAINT orders_total_check;"},
    {"view changed",
     "CREATE OR REPLACE VIEW active_users AS SELECT id, email, feeling FROM users "
     "WHERE score > 0;"},
    {"view added",
     "CREATE MATERIALIZED VIEW user_counts AS SELECT feeling, count(*) FROM users "
     "GROUP BY feeling;"},
    {"function changed",
     "CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
     "NEW.score := 1; RETURN NEW; END $$;"},
    {"function added",
     "CREATE FUNCTION user_count() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) FROM "
     "users';"},
    {"trigger dropped", "DROP TRIGGER users_touch ON users;"},
    {"trigger added",
     "CREATE TRIGGER orders_touch BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION touch();"},
    {"sequence added", "CREATE SEQUENCE ticket_no AS integer START 7 INCREMENT 2;"},
    {"sequence changed", "ALTER SEQUENCE invoice_no INCREMENT 10;"},
    {"enum value added", "ALTER TYPE mood ADD VALUE 'meh' AFTER 'sad';", false},
    {"enum type added", "CREATE TYPE plan AS ENUM ('free', 'pro');"},
    {"extension added", "CREATE EXTENSION citext;"},
    {"schema added", "CREATE SCHEMA reports; CREATE TABLE reports.daily (day date PRIMARY KEY);"},
    {"comments",
     "COMMENT ON TABLE users IS 'people; who sign in'; COMMENT ON COLUMN users.email "
     "IS 'it''s unique'; COMMENT ON INDEX users_email IS 'for login';"},
};

class DriftCorrectionTest : public IntegrationTest {
 protected:
  // The schema of `db`, without lockstep's own.
  std::string Dump(const std::string& db) { return PgDump(db, "--schema-only -N lockstep"); }
  // psql on `db`, stopping at the first error; its exit code.
  int Psql(const std::string& db, const std::string& file) {
    return Shell("psql -X -q -v ON_ERROR_STOP=1 -f " + file + " '" + pg_.Url(db) + "' 2>&1");
  }
  Result Lockstep(const TempPlatform& p, const std::string& db, const std::string& args) {
    return RunLockstep("-c " + p.config() + " " + args, "MAIN_DATABASE_URL='" + pg_.Url(db) + "'");
  }
};

class EveryKindTest : public DriftCorrectionTest,
                      public ::testing::WithParamInterface<HandChange> {};

// One kind per test (each its own server), so that ctest runs them side by side.
TEST_P(EveryKindTest, AdoptedByAMigrationAndRevertedBySql) {
  const HandChange& change = GetParam();
  {
    std::string drifted = "drifted", fresh = "fresh", reverted = "reverted";
    for (const std::string& db : {drifted, fresh, reverted}) pg_.CreateDatabase(db);
    TempPlatform p;
    p.Write("lockstep.yaml",
            "version: 1\nservices: [services/*/service.yaml]\ndatabases:\n"
            "  main: { url: \"${MAIN_DATABASE_URL}\" }\n");
    p.WriteService("app");
    p.WriteMigration("app", "001_base.up.sql", kBase);
    p.WriteMigration("app", "001_base.down.sql", "SELECT 1;\n");
    for (const std::string& db : {drifted, reverted}) {
      ASSERT_EQ(Lockstep(p, db, "apply").code, 0);
    }
    std::string before = Dump(drifted);
    ASSERT_FALSE(before.empty());
    for (const std::string& db : {drifted, reverted}) {
      int code = 0;
      std::string out = pg_.Query(db, change.sql, &code);
      ASSERT_EQ(code, 0) << out;
    }
    std::string after = Dump(drifted);
    ASSERT_NE(before, after) << "the hand change changed nothing pg_dump shows";
    ASSERT_EQ(Lockstep(p, drifted, "drift").code, 4);

    // Adopt: a migration, recorded as applied here; no drift left.
    Result w = Lockstep(p, drifted, "drift --write-migration app");
    ASSERT_EQ(w.code, 0) << w.out << w.err;
    std::string up_path = p.Path("services/app/migrations/002_adopt_drift.up.sql");
    std::string up = Slurp(up_path);
    ASSERT_FALSE(up.empty()) << w.out;
    Result d = Lockstep(p, drifted, "drift");
    EXPECT_EQ(d.code, 0) << d.out << d.err << up;
    Result st = Lockstep(p, drifted, "status --check");
    EXPECT_EQ(st.code, 0) << st.out << st.err;
    EXPECT_EQ(pg_.Query(drifted, "SELECT status FROM lockstep.history WHERE version = '002'"),
              "baseline");
    // Elsewhere it applies, and makes the same schema.
    Result a = Lockstep(p, fresh, "apply");
    ASSERT_EQ(a.code, 0) << a.out << a.err << up;
    EXPECT_EQ(Dump(fresh), after) << up;
    // Its down file gives back the schema before the hand change.
    if (change.revertible) {
      Result r = Lockstep(p, fresh, "rollback --target app:002 --yes");
      ASSERT_EQ(r.code, 0) << r.out << r.err
                           << Slurp(p.Path("services/app/migrations/002_adopt_drift.down.sql"));
      EXPECT_EQ(Dump(fresh), before)
          << Slurp(p.Path("services/app/migrations/002_adopt_drift.down.sql"));
    }

    // Revert: SQL for a person to run; run as it is with psql.
    Result sql = Lockstep(p, reverted, "drift --revert-sql");
    EXPECT_EQ(sql.code, 4) << sql.err;
    std::string file = p.Path("revert.sql");
    p.Write("revert.sql", sql.out);
    ASSERT_EQ(Psql(reverted, file), 0) << sql.out;
    if (change.revertible) {
      Result again = Lockstep(p, reverted, "drift");
      EXPECT_EQ(again.code, 0) << again.out << sql.out;
      EXPECT_EQ(Dump(reverted), before) << sql.out;
    } else {
      EXPECT_NE(sql.out.find("not undone, do it by hand"), std::string::npos) << sql.out;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, EveryKindTest, ::testing::ValuesIn(kChanges),
                         [](const ::testing::TestParamInfo<HandChange>& info) {
                           std::string name;
                           for (const char* c = info.param.kind; *c; ++c) {
                             name += *c == ' ' ? '_' : *c;
                           }
                           return name;
                         });

// A database baselined (or older than lockstep) has no stored snapshot: its
// recorded migrations, applied to a scratch database, say what it should be.
TEST_F(DriftCorrectionTest, WithoutASnapshotTheMigrationsAreBuiltOnAScratchDatabase) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  const char* first =
      "CREATE TABLE t (id int PRIMARY KEY, name text);\nCREATE INDEX t_name ON t (name);\n";
  const char* second = "CREATE VIEW named AS SELECT id, name FROM t WHERE name IS NOT NULL;\n";
  p_.WriteMigration("a", "001_t.up.sql", first);
  p_.WriteMigration("a", "002_named.up.sql", second);
  p_.WriteMigration("a", "003_later.up.sql", "CREATE TABLE later (id int);\n");
  // Made by hand before lockstep, then baselined at 002.
  int code = 0;
  std::string out = pg_.Query("main", std::string(first) + second, &code);
  ASSERT_EQ(code, 0) << out;
  Result b = RunLockstep("-c " + p_.config() + " baseline --service a --version 002", env);
  ASSERT_EQ(b.code, 0) << b.out << b.err;
  ASSERT_EQ(pg_.Query("main", "SELECT count(*) FROM lockstep.schema_snapshots"), "0");
  Result d = RunLockstep("-c " + p_.config() + " drift", env);
  EXPECT_EQ(d.code, 0) << d.out << d.err;
  pg_.Query("main", "ALTER TABLE t ADD COLUMN by_hand text; DROP INDEX t_name;");
  d = RunLockstep("-c " + p_.config() + " drift", env);
  EXPECT_EQ(d.code, 4) << d.out << d.err;
  EXPECT_NE(d.out.find("added    column public.t.by_hand"), std::string::npos) << d.out;
  EXPECT_NE(d.out.find("removed  index public.t_name"), std::string::npos) << d.out;
  EXPECT_NE(d.out.find("no stored snapshot"), std::string::npos) << d.out;
  EXPECT_EQ(d.out.find("later"), std::string::npos) << "003 is not recorded:\n" << d.out;
  Result j = RunLockstep("-c " + p_.config() + " drift --json", env);
  EXPECT_EQ(nlohmann::json::parse(j.out)[0]["compared_with"], "scratch") << j.out;
  EXPECT_EQ(pg_.Query("postgres",
                      "SELECT count(*) FROM pg_database WHERE datname LIKE "
                      "'lockstep\\_drift\\_%'"),
            "0")
      << "scratch databases are dropped";
  // --revert-sql from the same comparison.
  Result sql = RunLockstep("-c " + p_.config() + " drift --revert-sql", env);
  EXPECT_NE(sql.out.find("ALTER TABLE public.t DROP COLUMN by_hand;"), std::string::npos)
      << sql.out;
  EXPECT_NE(sql.out.find("CREATE INDEX t_name ON public.t USING btree (name);"), std::string::npos)
      << sql.out;
}

// A database set: each member drifts on its own; one member's drift is
// adopted by name, and the migration then brings the other members along.
TEST_F(DriftCorrectionTest, AMemberOfADatabaseSetAdoptsItsDriftForEveryMember) {
  p_.Write("lockstep.yaml",
           "version: 1\nservices: [services/*/service.yaml]\ndatabases:\n"
           "  tenant:\n    url: \"" +
               pg_.Url("tenant_{tenant}") + "\"\n    tenants: { list: [acme, globex] }\n");
  p_.Write("services/app/service.yaml", "service: app\ndatabase: tenant\n");
  p_.WriteMigration("app", "001_users.up.sql", "CREATE TABLE users (id int);\n");
  pg_.CreateDatabase("tenant_acme");
  pg_.CreateDatabase("tenant_globex");
  auto lockstep = [&](const std::string& args) {
    return RunLockstep("-c " + p_.config() + " " + args);
  };
  ASSERT_EQ(lockstep("apply").code, 0);
  pg_.Query("tenant_acme", "ALTER TABLE users ADD COLUMN nick text;");
  Result r = lockstep("drift --write-migration app");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--write-migration app@tenant/acme"), std::string::npos) << r.err;
  r = lockstep("drift --write-migration app@tenant/acme");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(Slurp(p_.Path("services/app/migrations/002_adopt_drift.up.sql"))
                .find("ALTER TABLE public.users ADD COLUMN nick text;"),
            std::string::npos);
  r = lockstep("apply");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(pg_.Query("tenant_globex",
                      "SELECT count(*) FROM information_schema.columns WHERE "
                      "table_name = 'users' AND column_name = 'nick'"),
            "1");
  EXPECT_EQ(pg_.Query("tenant_acme", "SELECT status FROM lockstep.history WHERE version = '002'"),
            "baseline");
  EXPECT_EQ(lockstep("drift").code, 0);
}

// A member that is a schema of a shared database, without a snapshot: its
// scratch database gets its schema made as the member's was.
TEST_F(DriftCorrectionTest, ASchemaMemberWithoutASnapshotIsBuiltInItsOwnSchema) {
  p_.Write(
      "lockstep.yaml",
      "version: 1\nservices: [services/*/service.yaml]\ndatabases:\n"
      "  shared:\n    url: \"${SHARED_DATABASE_URL}\"\n    tenants: { list: [acme, globex] }\n");
  p_.Write("services/app/service.yaml", "service: app\ndatabase: shared\nschema: app_{tenant}\n");
  p_.WriteMigration("app", "001_users.up.sql", "CREATE TABLE users (id int);\n");
  std::string env = FreshDatabases({"shared"});
  ASSERT_EQ(Apply(env, p_.config()).code, 0);
  pg_.Query("shared",
            "DELETE FROM lockstep_shared_acme.schema_snapshots; ALTER TABLE "
            "app_acme.users ADD COLUMN by_hand text;");
  Result d = RunLockstep("-c " + p_.config() + " drift --json", env);
  EXPECT_EQ(d.code, 4) << d.out << d.err;
  nlohmann::json j = nlohmann::json::parse(d.out);
  ASSERT_EQ(j.size(), 2u) << d.out;
  EXPECT_EQ(j[0]["database"], "shared/acme");
  EXPECT_EQ(j[0]["compared_with"], "scratch");
  ASSERT_EQ(j[0]["drift"].size(), 1u) << d.out;
  EXPECT_EQ(j[0]["drift"][0]["object"], "column app_acme.users.by_hand");
  EXPECT_EQ(j[1]["compared_with"], "snapshot");
  EXPECT_TRUE(j[1]["drift"].empty()) << d.out;
}

TEST_F(DriftCorrectionTest, WhatCannotBeExpressedWritesNothing) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (id int);\n");
  ASSERT_EQ(Apply(env, p_.config()).code, 0);
  pg_.Query("main", "CREATE TABLE events (at date) PARTITION BY RANGE (at);");
  Result r = RunLockstep("-c " + p_.config() + " drift --write-migration a", env);
  EXPECT_EQ(r.code, 4) << r.out << r.err;
  EXPECT_NE(r.err.find("partitioned table public.events"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(p_.Path("services/a/migrations/002_adopt_drift.up.sql")));
  EXPECT_EQ(pg_.Query("main", "SELECT count(*) FROM lockstep.history"), "1");
}

TEST_F(DriftCorrectionTest, RefusesWhileTheServiceHasPendingMigrations) {
  std::string env = SmallPlatform();
  p_.WriteService("a");
  p_.WriteMigration("a", "001_t.up.sql", "CREATE TABLE t (id int);\n");
  ASSERT_EQ(Apply(env, p_.config()).code, 0);
  p_.WriteMigration("a", "002_u.up.sql", "CREATE TABLE u (id int);\n");
  pg_.Query("main", "ALTER TABLE t ADD COLUMN by_hand text;");
  Result r = RunLockstep("-c " + p_.config() + " drift --write-migration a", env);
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("a:002 is not applied"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(p_.Path("services/a/migrations/003_adopt_drift.up.sql")));
  // No drift: nothing written, exit 0.
  ASSERT_EQ(Apply(env, p_.config()).code, 0);  // its snapshot takes by_hand in
  r = RunLockstep("-c " + p_.config() + " drift --write-migration a --json", env);
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["differences"], 0) << r.out;
  // An unknown service gets a "did you mean".
  r = RunLockstep("-c " + p_.config() + " drift --write-migration b", env);
  EXPECT_EQ(r.code, 2) << r.err;
}

}  // namespace
}  // namespace lockstep
