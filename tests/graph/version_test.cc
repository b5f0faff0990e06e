#include "graph/version.h"

#include <gtest/gtest.h>

namespace lockstep {
namespace {

Version V(const char* text) { return *Version::Parse(text); }

TEST(VersionTest, ComparesNumericallyPartByPart) {
  EXPECT_LT(V("2"), V("10"));
  EXPECT_LT(V("001"), V("002"));
  EXPECT_LT(V("1.2"), V("1.10"));
  EXPECT_LT(V("20250824_001"), V("20250824_002"));
  EXPECT_LT(V("20250824_999"), V("20250825_001"));
  EXPECT_LT(V("1"), V("1.1"));
}

TEST(VersionTest, LeadingZerosAndTrailingZeroPartsDoNotCount) {
  EXPECT_EQ(V("01"), V("001"));
  EXPECT_EQ(V("1"), V("1.0"));
  EXPECT_EQ(V("1"), V("001"));
  EXPECT_EQ(V("001").key(), "1");
  EXPECT_EQ(V("0").key(), "0");
  EXPECT_EQ(V("20250824_001").key(), "20250824.1");
}

TEST(VersionTest, KeepsTheTextAsWritten) { EXPECT_EQ(V("001").text(), "001"); }

TEST(VersionTest, HugeNumbersCompareWithoutOverflow) {
  EXPECT_LT(V("99999999999999999999"), V("100000000000000000000"));
}

TEST(VersionTest, PrefixLeavesTheName) {
  size_t n = 0;
  auto v = Version::ParsePrefix("20250824_001_init_base_tables", &n, true);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->text(), "20250824_001");
  EXPECT_EQ(n, 12u);
  v = Version::ParsePrefix("001_2fa_setup", &n, true);
  EXPECT_EQ(v->text(), "001");
  v = Version::ParsePrefix("1.2_x", &n, true);
  EXPECT_EQ(v->text(), "1.2");
  v = Version::ParsePrefix("001_002", &n, true);
  EXPECT_EQ(v->text(), "001");  // "002" is the name
  v = Version::ParsePrefix("001_002", &n, false);
  EXPECT_EQ(v->text(), "001_002");
}

TEST(VersionTest, RejectsTextWithoutLeadingDigits) {
  size_t n = 0;
  EXPECT_FALSE(Version::ParsePrefix("abc", &n, true));
  EXPECT_FALSE(Version::Parse("1a"));
  EXPECT_FALSE(Version::Parse(""));
}

}  // namespace
}  // namespace lockstep
