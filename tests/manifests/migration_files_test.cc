#include "manifests/migration_files.h"

#include <gtest/gtest.h>

namespace lockstep {
namespace {

TEST(MigrationFileNameTest, ParsesUpAndDown) {
  std::string error;
  auto up = ParseMigrationFileName("001_create_users_table.up.sql", &error);
  ASSERT_TRUE(up);
  EXPECT_EQ(up->version.text(), "001");
  EXPECT_EQ(up->name, "create_users_table");
  EXPECT_TRUE(up->up);
  auto down = ParseMigrationFileName("20250824_001_init.down.sql", &error);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->version.text(), "20250824_001");
  EXPECT_EQ(down->name, "init");
  EXPECT_FALSE(down->up);
}

TEST(MigrationFileNameTest, OtherFilesAreNotMigrations) {
  std::string error;
  EXPECT_FALSE(ParseMigrationFileName("README.md", &error));
  EXPECT_EQ(error, "");
  EXPECT_FALSE(ParseMigrationFileName("001_init.sql", &error));
  EXPECT_EQ(error,
            "not a migration file, ignored: name migrations <version>_<name>.up.sql and "
            "<version>_<name>.down.sql, e.g. 001_create_users.up.sql");
}

TEST(MigrationFileNameTest, BrokenNamesSaySo) {
  std::string error;
  EXPECT_FALSE(ParseMigrationFileName("create_users.up.sql", &error));
  EXPECT_NE(error.find("file name breaks the naming rule"), std::string::npos);
  EXPECT_FALSE(ParseMigrationFileName("001.up.sql", &error));
  EXPECT_FALSE(ParseMigrationFileName("001_bad name.up.sql", &error));
  EXPECT_FALSE(ParseMigrationFileName("abc123def456_add_urls.up.sql", &error));
}

std::string DirectiveErrors(const std::string& text, bool up = true, Directives* out = nullptr) {
  Diagnostics diag;
  Directives d = ParseDirectives(text, up, "m.up.sql", &diag);
  if (out) *out = d;
  std::string s;
  for (auto& x : diag.all()) s += x.ToString() + "\n";
  return s;
}

TEST(DirectivesTest, ReadsRequiresParentsAndNoTransaction) {
  Directives d;
  EXPECT_EQ(DirectiveErrors("-- a comment\n\n-- lockstep:requires user-service:001  auth:2\n"
                            "--lockstep:parents 003 004\n-- lockstep:no-transaction\nSELECT 1;\n",
                            true, &d),
            "");
  ASSERT_EQ(d.requires_refs.size(), 2u);
  EXPECT_EQ(d.requires_refs[0].text, "user-service:001");
  EXPECT_EQ(d.requires_refs[0].line, 3);
  EXPECT_EQ(d.requires_refs[0].column, 22);
  EXPECT_EQ(d.requires_refs[1].text, "auth:2");
  EXPECT_TRUE(d.has_parents);
  EXPECT_EQ(d.parents.size(), 2u);
  EXPECT_TRUE(d.no_transaction);
}

TEST(DirectivesTest, UnknownDirectiveSuggestsTheNearest) {
  EXPECT_EQ(DirectiveErrors("-- lockstep:require a:1\n"),
            "m.up.sql:1:4: unknown directive 'lockstep:require' (did you mean 'requires'?); "
            "known: requires, parents, no-transaction, allow\n");
}

TEST(DirectivesTest, AllowNamesLintRules) {
  Diagnostics diag;
  Directives d =
      ParseDirectives("-- lockstep:allow LS103 LS108\nSELECT 1;\n", true, "m.up.sql", &diag);
  EXPECT_FALSE(diag.has_errors());
  ASSERT_EQ(d.lint_allow.size(), 2u);
  EXPECT_EQ(d.lint_allow[1].text, "LS108");
  EXPECT_EQ(DirectiveErrors("-- lockstep:allow drop-table\n"),
            "m.up.sql:1:19: lockstep:allow: 'drop-table' is not a lint rule id (LS101, ...)\n");
}

TEST(DirectivesTest, DirectiveAfterFirstStatementIsAnError) {
  EXPECT_EQ(DirectiveErrors("SELECT 1;\n-- lockstep:requires a:1\n"),
            "m.up.sql:2: directive after the first statement is not read; move it to the top of "
            "the file\n");
}

TEST(DirectivesTest, DownFileTakesOnlyNoTransaction) {
  EXPECT_EQ(DirectiveErrors("-- lockstep:requires a:1\n", false),
            "m.up.sql:1: lockstep:requires belongs in the up file; a down file may carry only "
            "lockstep:no-transaction\n");
  EXPECT_EQ(DirectiveErrors("-- lockstep:no-transaction\n", false), "");
}

TEST(DirectivesTest, EmptyRequiresIsAnError) {
  EXPECT_EQ(DirectiveErrors("-- lockstep:requires\n"),
            "m.up.sql:1: lockstep:requires names no migration; write '-- lockstep:requires "
            "service:version'\n");
}

TEST(DirectivesTest, NoTransactionTakesNoArguments) {
  EXPECT_EQ(DirectiveErrors("-- lockstep:no-transaction yes\n"),
            "m.up.sql:1: lockstep:no-transaction takes no arguments\n");
}

TEST(Utf8Test, FindsTheLineOfTheFirstBadByte) {
  EXPECT_EQ(FirstInvalidUtf8Line("SELECT '用户';\n"), 0);
  EXPECT_EQ(FirstInvalidUtf8Line("a\nb\n\xff\n"), 3);
  EXPECT_EQ(FirstInvalidUtf8Line("\xc3\x28"), 1);          // bad continuation
  EXPECT_EQ(FirstInvalidUtf8Line("\xc0\xaf"), 1);          // overlong
  EXPECT_EQ(FirstInvalidUtf8Line("\xed\xa0\x80"), 1);      // surrogate
  EXPECT_EQ(FirstInvalidUtf8Line("ok\n\xe4\xb8"), 2);      // cut short
  EXPECT_EQ(FirstInvalidUtf8Line("\xf0\x9f\x98\x80"), 0);  // emoji
}

}  // namespace
}  // namespace lockstep
