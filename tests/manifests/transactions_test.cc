#include "manifests/transactions.h"

#include <gtest/gtest.h>

namespace lockstep {
namespace {

struct Prepared {
  std::vector<std::string> sql;
  std::string errors;
};

Prepared Prepare(const std::string& text, bool no_transaction = false) {
  static std::string keep;  // statements view into the text
  keep = text;
  Diagnostics diag;
  auto statements = PrepareStatements(LexSql(keep), no_transaction, "f.sql", &diag);
  Prepared p;
  for (auto& s : statements) p.sql.push_back(s.sql);
  for (auto& d : diag.all()) p.errors += d.ToString() + "\n";
  return p;
}

using V = std::vector<std::string>;

TEST(TransactionsTest, FileWithoutTransactionControlIsSentAsIs) {
  auto p = Prepare("CREATE TABLE a (x int);\nCREATE TABLE b (y int);");
  EXPECT_EQ(p.errors, "");
  EXPECT_EQ(p.sql, (V{"CREATE TABLE a (x int)", "CREATE TABLE b (y int)"}));
}

TEST(TransactionsTest, OwnBeginAndCommitAreLeftOut) {
  auto p = Prepare("-- seed style\nBEGIN;\nCREATE TABLE a (x int);\nCOMMIT;\n");
  EXPECT_EQ(p.errors, "");
  EXPECT_EQ(p.sql, (V{"CREATE TABLE a (x int)"}));
}

TEST(TransactionsTest, StartTransactionAndEndAreLeftOut) {
  auto p = Prepare("START TRANSACTION; SELECT 1; END;");
  EXPECT_EQ(p.errors, "");
  EXPECT_EQ(p.sql, (V{"SELECT 1"}));
}

TEST(TransactionsTest, TwoTransactionsAreRejected) {
  auto p = Prepare("BEGIN;\nSELECT 1;\nCOMMIT;\nBEGIN;\nSELECT 2;\nCOMMIT;\n");
  EXPECT_EQ(p.errors,
            "f.sql:4: this file needs two separate transactions (statements outside its BEGIN ... "
            "COMMIT, or a second one); lockstep runs each migration in one transaction: split "
            "it into two migrations\n");
}

TEST(TransactionsTest, StatementAfterCommitIsRejected) {
  auto p = Prepare("BEGIN;\nSELECT 1;\nCOMMIT;\nSELECT 2;\n");
  EXPECT_NE(p.errors.find("f.sql:4: this file needs two separate transactions"), std::string::npos);
}

TEST(TransactionsTest, StatementBeforeBeginIsRejected) {
  auto p = Prepare("SELECT 0;\nBEGIN;\nSELECT 1;\nCOMMIT;\n");
  EXPECT_NE(p.errors.find("f.sql:1: this file needs two separate transactions"), std::string::npos);
}

TEST(TransactionsTest, BeginWithoutCommitIsRejected) {
  auto p = Prepare("BEGIN;\nSELECT 1;\n");
  EXPECT_EQ(p.errors,
            "f.sql:1: BEGIN without a matching COMMIT: add COMMIT at the end, or remove BEGIN\n");
}

TEST(TransactionsTest, CommitWithoutBeginIsRejected) {
  auto p = Prepare("SELECT 1;\nCOMMIT;\n");
  EXPECT_EQ(p.errors, "f.sql:2: COMMIT without a BEGIN before it: remove it\n");
}

TEST(TransactionsTest, TopLevelRollbackIsRejected) {
  auto p = Prepare("BEGIN;\nSELECT 1;\nROLLBACK;\n");
  EXPECT_NE(p.errors.find("f.sql:3: top-level ROLLBACK would throw the migration away"),
            std::string::npos);
}

TEST(TransactionsTest, SavepointsStayInside) {
  auto p = Prepare("BEGIN; SAVEPOINT a; SELECT 1; ROLLBACK TO SAVEPOINT a; COMMIT;");
  EXPECT_EQ(p.errors, "");
  EXPECT_EQ(p.sql.size(), 3u);
}

TEST(TransactionsTest, ConcurrentIndexNeedsNoTransaction) {
  auto p = Prepare("SELECT 1;\ncreate index concurrently i on t (a);");
  EXPECT_EQ(p.errors,
            "f.sql:2: CREATE INDEX CONCURRENTLY cannot run inside a transaction; add '-- "
            "lockstep:no-transaction' at the top of the file\n");
}

TEST(TransactionsTest, OtherNonTransactionalCommands) {
  EXPECT_NE(Prepare("VACUUM t;").errors.find("VACUUM cannot run"), std::string::npos);
  EXPECT_NE(Prepare("CREATE DATABASE x;").errors.find("CREATE DATABASE cannot run"),
            std::string::npos);
  EXPECT_NE(Prepare("DROP INDEX CONCURRENTLY i;").errors.find("DROP INDEX CONCURRENTLY"),
            std::string::npos);
  EXPECT_NE(Prepare("REINDEX TABLE CONCURRENTLY t;").errors.find("REINDEX TABLE CONCURRENTLY"),
            std::string::npos);
  EXPECT_NE(Prepare("ALTER SYSTEM SET work_mem = '8MB';").errors.find("ALTER SYSTEM"),
            std::string::npos);
}

TEST(TransactionsTest, NoTransactionFileMayHoldConcurrentIndex) {
  auto p = Prepare("CREATE INDEX CONCURRENTLY i ON t (a);\nVACUUM t;", true);
  EXPECT_EQ(p.errors, "");
  EXPECT_EQ(p.sql.size(), 2u);
}

TEST(TransactionsTest, NoTransactionFileMayNotHoldTransactionControl) {
  auto p = Prepare("BEGIN;\nSELECT 1;\nCOMMIT;", true);
  EXPECT_NE(p.errors.find("f.sql:1: BEGIN in a no-transaction migration"), std::string::npos);
  EXPECT_NE(p.errors.find("f.sql:3: COMMIT in a no-transaction migration"), std::string::npos);
}

}  // namespace
}  // namespace lockstep
