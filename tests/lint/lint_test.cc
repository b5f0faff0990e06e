// Every lint rule on real SQL: a case that fires (with its file:line:col)
// and one that does not.
#include "lint/lint.h"

#include <gtest/gtest.h>

namespace lockstep {
namespace {

// "LINE:COL RULE" for each finding.
std::vector<std::string> Found(const std::string& sql, const std::vector<std::string>& allow = {}) {
  std::vector<std::string> out;
  for (const LintFinding& f : LintSql("m.up.sql", sql, allow)) {
    out.push_back(std::to_string(f.line) + ":" + std::to_string(f.column) + " " + f.rule->id);
  }
  return out;
}

using Strings = std::vector<std::string>;

TEST(LintTest, EveryRuleHasAnIdANameAndAnExplanation) {
  for (const LintRule& r : LintRules()) {
    EXPECT_EQ(FindLintRule(r.id), &r);
    EXPECT_EQ(FindLintRule(r.name), &r);
    EXPECT_GT(std::string(r.explanation).size(), 100u) << r.id;
  }
  EXPECT_EQ(FindLintRule("LS999"), nullptr);
}

TEST(LintTest, DropTable) {
  EXPECT_EQ(Found("SELECT 1;\n  DROP TABLE IF EXISTS old_events;\n"), Strings{"2:3 LS101"});
  EXPECT_EQ(Found("DROP INDEX old_idx;\nDROP VIEW v;\n"), Strings{});
}

TEST(LintTest, DropColumn) {
  EXPECT_EQ(Found("SET lock_timeout = '5s';\nALTER TABLE users DROP COLUMN phone;\n"),
            Strings{"2:19 LS102"});
  EXPECT_EQ(Found("SET lock_timeout = '5s';\nALTER TABLE users DROP phone, DROP CONSTRAINT c;\n"),
            Strings{"2:19 LS102"});
  EXPECT_EQ(Found("SET lock_timeout = '5s';\n"
                  "ALTER TABLE users DROP CONSTRAINT users_phone_check;\n"
                  "ALTER TABLE users ALTER COLUMN phone DROP NOT NULL;\n"),
            Strings{});
}

TEST(LintTest, IndexWithoutConcurrently) {
  EXPECT_EQ(Found("CREATE INDEX users_email ON public.users (email);\n"), Strings{"1:1 LS103"});
  EXPECT_EQ(Found("CREATE UNIQUE INDEX IF NOT EXISTS u ON ONLY users (email);\n"),
            Strings{"1:1 LS103"});
  EXPECT_EQ(Found("-- lockstep:no-transaction\nCREATE INDEX CONCURRENTLY users_email ON users "
                  "(email);\n"),
            Strings{});
  // A table the same file made: nobody writes to it yet.
  EXPECT_EQ(Found("CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\n"
                  "CREATE INDEX orders_user ON orders (user_id);\n"),
            Strings{});
}

TEST(LintTest, ColumnTypeChange) {
  EXPECT_EQ(Found("SET lock_timeout = '5s';\nALTER TABLE users ALTER COLUMN id TYPE bigint;\n"),
            Strings{"2:19 LS104"});
  EXPECT_EQ(Found("SET lock_timeout = '5s';\nALTER TABLE users ALTER id SET DATA TYPE bigint;\n"),
            Strings{"2:19 LS104"});
  EXPECT_EQ(Found("SET lock_timeout = '5s';\nALTER TABLE users ALTER COLUMN id SET DEFAULT 0;\n"),
            Strings{});
}

TEST(LintTest, NotNullWithoutDefault) {
  EXPECT_EQ(Found("SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN plan text NOT NULL;\n"),
            Strings{"2:19 LS105"});
  EXPECT_EQ(Found("SET lock_timeout = '5s';\nALTER TABLE users ALTER COLUMN plan SET NOT NULL;\n"),
            Strings{"2:19 LS105"});
  EXPECT_EQ(Found("SET lock_timeout = '5s';\n"
                  "ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';\n"
                  "ALTER TABLE users ADD COLUMN note text;\n"),
            Strings{});
  EXPECT_EQ(Found("CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN x int NOT NULL;\n"),
            Strings{});
}

TEST(LintTest, ConstraintWithoutNotValid) {
  EXPECT_EQ(Found("SET lock_timeout = '5s';\nALTER TABLE orders ADD CONSTRAINT orders_user_fk "
                  "FOREIGN KEY (user_id) REFERENCES users (id);\n"),
            Strings{"2:20 LS106"});
  EXPECT_EQ(Found("SET lock_timeout = '5s';\nALTER TABLE orders ADD CHECK (total >= 0);\n"),
            Strings{"2:20 LS106"});
  EXPECT_EQ(Found("SET lock_timeout = '5s';\nALTER TABLE orders ADD CONSTRAINT orders_user_fk "
                  "FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n"
                  "ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;\n"),
            Strings{});
}

TEST(LintTest, AlterWithoutLockTimeout) {
  EXPECT_EQ(Found("ALTER TABLE users ADD COLUMN note text;\n"), Strings{"1:1 LS107"});
  EXPECT_EQ(Found("SET LOCAL lock_timeout TO '2s';\nALTER TABLE users ADD COLUMN note text;\n"),
            Strings{});
  EXPECT_EQ(Found("CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN note text;\n"), Strings{});
}

TEST(LintTest, Rename) {
  EXPECT_EQ(Found("SET lock_timeout = '5s';\nALTER TABLE users RENAME COLUMN mail TO email;\n"),
            Strings{"2:19 LS108"});
  EXPECT_EQ(Found("SET lock_timeout = '5s';\nALTER TABLE users RENAME TO accounts;\n"),
            Strings{"2:19 LS108"});
  EXPECT_EQ(Found("SET lock_timeout = '5s';\nALTER TABLE users RENAME CONSTRAINT a TO b;\n"),
            Strings{});
}

TEST(LintTest, Truncate) {
  EXPECT_EQ(Found("TRUNCATE TABLE sessions;\n"), Strings{"1:1 LS109"});
  EXPECT_EQ(Found("DELETE FROM sessions WHERE expires_at < now();\n"), Strings{});
}

TEST(LintTest, CommentsStringsAndFunctionBodiesAreNotStatements) {
  EXPECT_EQ(Found("-- DROP TABLE users;\n/* TRUNCATE users; */\n"
                  "INSERT INTO notes VALUES ('DROP TABLE users');\n"
                  "CREATE FUNCTION f() RETURNS void AS $$ BEGIN TRUNCATE t; END $$ LANGUAGE "
                  "plpgsql;\n"),
            Strings{});
}

TEST(LintTest, AllowedRulesAreLeftOut) {
  EXPECT_EQ(Found("-- lockstep:allow LS101\n-- the archive moved to cold storage\n"
                  "DROP TABLE archive;\nTRUNCATE cache;\n",
                  {"LS101"}),
            Strings{"4:1 LS109"});
}

TEST(LintTest, FormatsForPeopleAndForGithub) {
  std::vector<LintFinding> f = LintSql("svc/001_x.up.sql", "TRUNCATE t;\n");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(FormatFinding(f[0]),
            "svc/001_x.up.sql:1:1: LS109 truncate: TRUNCATE t deletes every row");
  EXPECT_EQ(FormatGithub(f[0]),
            "::error file=svc/001_x.up.sql,line=1,col=1,title=LS109 truncate::TRUNCATE t deletes "
            "every row");
}

// What LS110 compares across migrations: tables made here, and the tables
// changed or referenced that this file did not make.
TEST(LintTest, TablesCreatedAndUsed) {
  LintTables tables;
  LintSql("m.up.sql",
          "CREATE TABLE orders (id int, user_id int REFERENCES public.users (id));\n"
          "CREATE INDEX orders_user ON orders (user_id);\n"
          "ALTER TABLE IF EXISTS ONLY \"Plans\" ADD COLUMN x int;\n"
          "CREATE INDEX CONCURRENTLY i ON accounts (id);\n"
          "DROP TABLE IF EXISTS old;\nTRUNCATE TABLE logs;\n",
          {}, &tables);
  EXPECT_EQ(tables.created, std::set<std::string>{"orders"});
  std::vector<std::string> used;
  for (const LintTables::Use& u : tables.used) {
    used.push_back(u.table + "@" + std::to_string(u.line) + ":" + std::to_string(u.column));
  }
  EXPECT_EQ(used, (Strings{"users@1:53", "Plans@3:28", "accounts@4:32", "old@5:22", "logs@6:16"}));
}

}  // namespace
}  // namespace lockstep
