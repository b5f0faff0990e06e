#include "graph/diagnostic.h"

#include <gtest/gtest.h>

namespace lockstep {
namespace {

std::string Lines(const Diagnostics& diag, bool verbose) {
  std::string out;
  for (const DiagnosticLine& line : DiagnosticLines(diag, verbose)) out += line.text + "\n";
  return out;
}

constexpr const char* kIrreversible = "down files hold no SQL statement: irreversible";

TEST(DiagnosticLinesTest, RepeatedWarningsOfAGroupAreOneLineWithACount) {
  Diagnostics diag;
  for (int i = 1; i <= 122; ++i) {
    diag.Warning("m/" + std::to_string(i) + ".down.sql", 0, "holds no SQL statement", 0,
                 kIrreversible);
  }
  diag.Warning("lockstep.yaml", 4, "database 'x' is used by no service");
  EXPECT_EQ(Lines(diag, false),
            "warning: 122 down files hold no SQL statement: irreversible (e.g. m/1.down.sql: "
            "holds no SQL statement; --verbose lists them)\n"
            "lockstep.yaml:4: warning: database 'x' is used by no service\n");
}

TEST(DiagnosticLinesTest, VerboseListsEveryWarning) {
  Diagnostics diag;
  diag.Warning("a.sql", 0, "holds no SQL statement", 0, kIrreversible);
  diag.Warning("b.sql", 0, "holds no SQL statement", 0, kIrreversible);
  EXPECT_EQ(Lines(diag, true),
            "a.sql: warning: holds no SQL statement\nb.sql: warning: holds no SQL statement\n");
}

TEST(DiagnosticLinesTest, EqualMessagesWithoutAGroupAreSummarisedByFile) {
  Diagnostics diag;
  diag.Warning("a.up.sql", 0, "holds no SQL statement");
  diag.Warning("b.up.sql", 0, "holds no SQL statement");
  EXPECT_EQ(Lines(diag, false),
            "warning: holds no SQL statement (2 files, e.g. a.up.sql; --verbose lists them)\n");
}

TEST(DiagnosticLinesTest, ErrorsAreNeverSummarised) {
  Diagnostics diag;
  diag.Error("a.sql", 1, "bad");
  diag.Error("b.sql", 2, "bad");
  EXPECT_EQ(Lines(diag, false), "a.sql:1: bad\nb.sql:2: bad\n");
}

TEST(DiagnosticLinesTest, StrictMakesWarningsErrors) {
  Diagnostics diag;
  diag.Warning("a.sql", 0, "holds no SQL statement");
  EXPECT_FALSE(diag.has_errors());
  diag.MakeWarningsErrors();
  EXPECT_EQ(diag.error_count(), 1);
  EXPECT_EQ(Lines(diag, false), "a.sql: holds no SQL statement\n");
}

}  // namespace
}  // namespace lockstep
