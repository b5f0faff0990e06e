#include "manifests/sql_lexer.h"

#include <gtest/gtest.h>

namespace lockstep {
namespace {

std::vector<std::string> Split(std::string_view sql) {
  LexResult r = LexSql(sql);
  EXPECT_TRUE(r.errors.empty()) << r.errors[0].message;
  std::vector<std::string> out;
  for (const auto& s : r.statements) out.emplace_back(s.sql);
  return out;
}

std::vector<int> Lines(std::string_view sql) {
  std::vector<int> out;
  for (const auto& s : LexSql(sql).statements) out.push_back(s.line);
  return out;
}

std::vector<StatementKind> Kinds(std::string_view sql) {
  std::vector<StatementKind> out;
  for (const auto& s : LexSql(sql).statements) out.push_back(s.kind);
  return out;
}

std::string FirstError(std::string_view sql, int* line = nullptr) {
  LexResult r = LexSql(sql);
  if (r.errors.empty()) return "";
  if (line) *line = r.errors[0].line;
  return r.errors[0].message;
}

using V = std::vector<std::string>;
using K = StatementKind;

TEST(LexerTest, SplitsOnSemicolons) {
  EXPECT_EQ(Split("SELECT 1; SELECT 2;"), (V{"SELECT 1", "SELECT 2"}));
}

TEST(LexerTest, LastStatementNeedsNoSemicolon) {
  EXPECT_EQ(Split("SELECT 1;\nSELECT 2\n"), (V{"SELECT 1", "SELECT 2"}));
}

TEST(LexerTest, EmptyStatementsAreDropped) {
  EXPECT_EQ(Split(";;SELECT 1;; ;\n;"), (V{"SELECT 1"}));
}

TEST(LexerTest, EmptyInputHasNoStatements) {
  EXPECT_TRUE(Split("").empty());
  EXPECT_TRUE(Split("   \n\t\n").empty());
  EXPECT_TRUE(Split("-- only a comment\n/* and another */").empty());
}

TEST(LexerTest, SemicolonInsideStringDoesNotSplit) {
  EXPECT_EQ(Split("INSERT INTO t VALUES ('a;b'); SELECT 1"),
            (V{"INSERT INTO t VALUES ('a;b')", "SELECT 1"}));
}

TEST(LexerTest, DoubledQuoteInsideString) {
  EXPECT_EQ(Split("SELECT 'it''s; fine'; SELECT 2"), (V{"SELECT 'it''s; fine'", "SELECT 2"}));
}

TEST(LexerTest, BackslashIsPlainInStandardStrings) {
  // standard_conforming_strings: 'a\' is a complete string.
  EXPECT_EQ(Split("SELECT 'a\\'; SELECT 2"), (V{"SELECT 'a\\'", "SELECT 2"}));
}

TEST(LexerTest, EscapeStringWithBackslashQuote) {
  EXPECT_EQ(Split("SELECT E'it\\'s; here'; SELECT 2"), (V{"SELECT E'it\\'s; here'", "SELECT 2"}));
}

TEST(LexerTest, LowerCaseEscapeString) {
  EXPECT_EQ(Split("SELECT e'\\\\'; SELECT 2"), (V{"SELECT e'\\\\'", "SELECT 2"}));
}

TEST(LexerTest, IdentifierEndingInEIsNotAnEscapeString) {
  // "type" ends in e, but a space separates it from the string.
  EXPECT_EQ(Split("SELECT type 'a\\'; SELECT 2"), (V{"SELECT type 'a\\'", "SELECT 2"}));
}

TEST(LexerTest, SemicolonInsideQuotedIdentifier) {
  EXPECT_EQ(Split("CREATE TABLE \"a;b\" (x int); SELECT 1"),
            (V{"CREATE TABLE \"a;b\" (x int)", "SELECT 1"}));
}

TEST(LexerTest, DoubledQuoteInsideQuotedIdentifier) {
  EXPECT_EQ(Split("SELECT 1 AS \"a\"\";b\"; SELECT 2"), (V{"SELECT 1 AS \"a\"\";b\"", "SELECT 2"}));
}

TEST(LexerTest, SemicolonInsideLineComment) {
  EXPECT_EQ(Split("SELECT 1 -- not; here\n; SELECT 2"), (V{"SELECT 1 -- not; here", "SELECT 2"}));
}

TEST(LexerTest, SemicolonInsideBlockComment) {
  EXPECT_EQ(Split("SELECT /* a; b */ 1; SELECT 2"), (V{"SELECT /* a; b */ 1", "SELECT 2"}));
}

TEST(LexerTest, NestedBlockComments) {
  EXPECT_EQ(Split("SELECT /* outer /* inner; */ still; comment */ 1; SELECT 2"),
            (V{"SELECT /* outer /* inner; */ still; comment */ 1", "SELECT 2"}));
}

TEST(LexerTest, DollarQuotedBody) {
  EXPECT_EQ(Split("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql; SELECT 2"),
            (V{"CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql", "SELECT 2"}));
}

TEST(LexerTest, TaggedDollarQuoteContainingPlainDollarQuote) {
  std::string sql = "DO $outer$ BEGIN EXECUTE $$ SELECT 1; $$; END $outer$; SELECT 2";
  EXPECT_EQ(Split(sql), (V{"DO $outer$ BEGIN EXECUTE $$ SELECT 1; $$; END $outer$", "SELECT 2"}));
}

TEST(LexerTest, DollarQuoteTagsMustMatch) {
  std::string sql = "SELECT $a$ x $b$ ; $a$; SELECT 2";
  EXPECT_EQ(Split(sql), (V{"SELECT $a$ x $b$ ; $a$", "SELECT 2"}));
}

TEST(LexerTest, PositionalParameterIsNotADollarQuote) {
  EXPECT_EQ(Split("PREPARE p AS SELECT $1; SELECT 2"), (V{"PREPARE p AS SELECT $1", "SELECT 2"}));
}

TEST(LexerTest, DollarInsideIdentifierIsNotADollarQuote) {
  EXPECT_EQ(Split("SELECT a$b$c FROM t; SELECT 2"), (V{"SELECT a$b$c FROM t", "SELECT 2"}));
}

TEST(LexerTest, DoBlockWithPlpgsqlBody) {
  std::string sql =
      "DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1) THEN\n    RAISE NOTICE 'x;y';\n  END "
      "IF;\nEND\n$$;\n"
      "SELECT 2;";
  auto v = Split(sql);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(Lines(sql), (std::vector<int>{1, 8}));
}

TEST(LexerTest, FunctionBodyWithSemicolonsInStringsAndComments) {
  std::string sql =
      "CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
      "BEGIN\n  -- set it; always\n  NEW.updated_at := now(); /* ; */\n  RETURN NEW;\nEND;\n$fn$;\n"
      "CREATE TRIGGER t BEFORE UPDATE ON x FOR EACH ROW EXECUTE FUNCTION touch();";
  EXPECT_EQ(Lines(sql), (std::vector<int>{1, 8}));
}

TEST(LexerTest, SqlStandardFunctionBodyBeginAtomic) {
  std::string sql =
      "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT a + 1;\n"
      "  SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;\nEND;\nSELECT 2;";
  auto v = Split(sql);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[1], "SELECT 2");
}

TEST(LexerTest, SemicolonInsideParentheses) {
  // As psql does: no split inside parentheses.
  EXPECT_EQ(Split("SELECT (1; 2); SELECT 3").size(), 2u);
}

TEST(LexerTest, RecordsFirstLineOfEachStatement) {
  EXPECT_EQ(Lines("-- header\n\nSELECT 1;\n\n  /* c */ SELECT\n  2;\nSELECT 3;"),
            (std::vector<int>{3, 5, 7}));
}

TEST(LexerTest, LinesCountInsideMultiLineStrings) {
  EXPECT_EQ(Lines("SELECT 'a\nb\nc';\nSELECT 2;"), (std::vector<int>{1, 4}));
}

TEST(LexerTest, LinesCountInsideDollarQuotes) {
  EXPECT_EQ(Lines("SELECT $$\n\n$$;\nSELECT 2;"), (std::vector<int>{1, 4}));
}

TEST(LexerTest, RecognisesBeginAndCommit) {
  EXPECT_EQ(Kinds("BEGIN; SELECT 1; COMMIT;"), (std::vector<K>{K::kBegin, K::kOther, K::kCommit}));
}

TEST(LexerTest, RecognisesTransactionControlSpellings) {
  EXPECT_EQ(Kinds("begin transaction; start transaction isolation level serializable; "
                  "BEGIN WORK; end; commit work; END TRANSACTION;"),
            (std::vector<K>{K::kBegin, K::kBegin, K::kBegin, K::kCommit, K::kCommit, K::kCommit}));
}

TEST(LexerTest, RecognisesRollbackButNotRollbackToSavepoint) {
  EXPECT_EQ(Kinds("ROLLBACK; ABORT; ROLLBACK TO SAVEPOINT s; ROLLBACK WORK TO s; "
                  "ROLLBACK PREPARED 'x'; SAVEPOINT s; RELEASE SAVEPOINT s"),
            (std::vector<K>{K::kRollback, K::kRollback, K::kOther, K::kOther, K::kOther, K::kOther,
                            K::kOther}));
}

TEST(LexerTest, BeginInsidePlpgsqlIsNotTransactionControl) {
  EXPECT_EQ(Kinds("DO $$ BEGIN PERFORM 1; END $$;"), (std::vector<K>{K::kOther}));
}

TEST(LexerTest, CommitPreparedIsNotOurCommit) {
  EXPECT_EQ(Kinds("COMMIT PREPARED 'x'"), (std::vector<K>{K::kOther}));
}

TEST(LexerTest, KeywordsAreUpperCased) {
  auto r = LexSql("create unique index concurrently idx on t (a)");
  ASSERT_EQ(r.statements.size(), 1u);
  EXPECT_EQ(r.statements[0].keywords,
            (std::vector<std::string>{"CREATE", "UNIQUE", "INDEX", "CONCURRENTLY", "IDX", "ON", "T",
                                      "A"}));
}

TEST(LexerTest, PsqlMetaCommandIsAnError) {
  int line = 0;
  EXPECT_EQ(FirstError("SELECT 1;\n\\i other.sql\nSELECT 2;", &line),
            "psql meta-command '\\i' is not SQL; lockstep runs plain SQL only: remove it, or "
            "write what it does as SQL");
  EXPECT_EQ(line, 2);
}

TEST(LexerTest, IndentedMetaCommandIsAnError) {
  int line = 0;
  EXPECT_NE(FirstError("  \\set ON_ERROR_STOP on\n", &line), "");
  EXPECT_EQ(line, 1);
}

TEST(LexerTest, BackslashInsideStringIsNotAMetaCommand) {
  EXPECT_EQ(FirstError("SELECT '\n\\i x\n';"), "");
}

TEST(LexerTest, CopyFromStdinIsAnError) {
  int line = 0;
  EXPECT_EQ(FirstError("COPY users (id, name)\nFROM stdin;\n1\tann\n\\.\n", &line),
            "COPY ... FROM STDIN needs psql to send the data, which lockstep cannot do: use "
            "INSERT statements, or COPY from a file on the server");
  EXPECT_EQ(line, 2);
}

TEST(LexerTest, CopyFromFileIsFine) {
  EXPECT_EQ(FirstError("COPY users FROM '/srv/users.csv' WITH (FORMAT csv);"), "");
  EXPECT_EQ(FirstError("COPY users TO STDOUT;"), "");
}

TEST(LexerTest, UnterminatedStringIsAnErrorAtItsStart) {
  int line = 0;
  EXPECT_EQ(FirstError("SELECT 1;\nSELECT 'abc;\n\n", &line), "unterminated quoted string");
  EXPECT_EQ(line, 2);
}

TEST(LexerTest, UnterminatedDollarQuoteIsAnError) {
  int line = 0;
  EXPECT_EQ(FirstError("\nDO $body$ BEGIN END; $$;", &line),
            "unterminated dollar-quoted string $body$");
  EXPECT_EQ(line, 2);
}

TEST(LexerTest, UnterminatedCommentIsAnError) {
  EXPECT_EQ(FirstError("SELECT 1; /* a /* b */"), "unterminated /* comment");
}

TEST(LexerTest, UnterminatedQuotedIdentifierIsAnError) {
  EXPECT_EQ(FirstError("SELECT \"abc"), "unterminated quoted identifier");
}

TEST(LexerTest, CrLfLineEndings) {
  EXPECT_EQ(Lines("SELECT 1;\r\nSELECT 2;\r\n"), (std::vector<int>{1, 2}));
  EXPECT_EQ(Split("SELECT 1;\r\nSELECT 2\r\n"), (V{"SELECT 1", "SELECT 2"}));
}

TEST(LexerTest, UnicodeIdentifiersAndStrings) {
  EXPECT_EQ(Split("COMMENT ON TABLE users IS '用户基础表; 说明'; SELECT 2"),
            (V{"COMMENT ON TABLE users IS '用户基础表; 说明'", "SELECT 2"}));
}

}  // namespace
}  // namespace lockstep
