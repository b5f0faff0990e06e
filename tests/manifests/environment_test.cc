#include "manifests/environment.h"

#include <gtest/gtest.h>

#include "manifests/durations.h"

namespace lockstep {
namespace {

Environment Env(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

TEST(EnvironmentTest, ExpandsVariables) {
  std::string out, error;
  ASSERT_TRUE(ExpandVariables("postgresql://${HOST}:${PORT}/db",
                              Env({{"HOST", "h"}, {"PORT", "5"}}), &out, &error));
  EXPECT_EQ(out, "postgresql://h:5/db");
}

TEST(EnvironmentTest, NamesEveryUnsetVariable) {
  std::string out, error;
  EXPECT_FALSE(ExpandVariables("${A}${B}", Env({}), &out, &error));
  EXPECT_EQ(error, "environment variable A, B are not set");
  EXPECT_FALSE(ExpandVariables("${USERS_DATABASE_URL}", Env({}), &out, &error));
  EXPECT_EQ(error, "environment variable USERS_DATABASE_URL is not set");
}

TEST(EnvironmentTest, MalformedReferenceNeverShowsThePassword) {
  std::string out, error;
  EXPECT_FALSE(ExpandVariables("postgresql://u:hunter2@h/${bad-name}", Env({}), &out, &error));
  EXPECT_EQ(error.find("hunter2"), std::string::npos);
  EXPECT_EQ(error,
            "malformed ${...} variable reference; write ${NAME} with letters, digits and '_'");
}

TEST(EnvironmentTest, DollarWithoutBraceIsLiteral) {
  std::string out, error;
  ASSERT_TRUE(ExpandVariables("pa$$word", Env({}), &out, &error));
  EXPECT_EQ(out, "pa$$word");
}

TEST(DurationTest, ParsesUnits) {
  std::chrono::milliseconds d;
  std::string error;
  ASSERT_TRUE(ParseDuration("60s", &d, &error));
  EXPECT_EQ(d.count(), 60000);
  ASSERT_TRUE(ParseDuration("1m30s", &d, &error));
  EXPECT_EQ(d.count(), 90000);
  ASSERT_TRUE(ParseDuration("250ms", &d, &error));
  EXPECT_EQ(d.count(), 250);
  ASSERT_TRUE(ParseDuration("0", &d, &error));
  EXPECT_EQ(d.count(), 0);
  EXPECT_EQ(FormatDuration(std::chrono::milliseconds(90500)), "1m30s500ms");
}

TEST(DurationTest, RejectsNumbersWithoutUnits) {
  std::chrono::milliseconds d;
  std::string error;
  EXPECT_FALSE(ParseDuration("60", &d, &error));
  EXPECT_EQ(error,
            "'60' is not a duration; write a number with a unit: 250ms, 60s, 5m, 1h, 1m30s (or 0)");
  EXPECT_FALSE(ParseDuration("lots", &d, &error));
  EXPECT_FALSE(ParseDuration("5d", &d, &error));
  EXPECT_FALSE(ParseDuration("", &d, &error));
}

}  // namespace
}  // namespace lockstep
