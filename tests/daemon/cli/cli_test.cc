// Runs the lockstep binary as a user would and checks exit codes and output.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "testing/platform_builder.h"
#include "testing/run_lockstep.h"

namespace lockstep {
namespace {

const std::string kExample =
    ShellQuoted(std::string(LOCKSTEP_EXAMPLES) + "/lyss/lockstep.yaml");  // for command lines

// Bad input must never crash or leak an exception.
void ExpectCleanFailure(const Result& r) {
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(r.err.find("terminate called"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("what()"), std::string::npos) << r.err;
}

TEST(CliTest, ExamplePlatformValidates) {
  Result r = RunLockstep("-c " + kExample + " validate");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("9 services, 28 migrations, 4 databases"), std::string::npos) << r.out;
}

TEST(CliTest, ValidateJson) {
  Result r = RunLockstep("-c " + kExample + " validate --json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["valid"].get<bool>());
  EXPECT_EQ(j["migrations"].get<int>(), 28);
}

TEST(CliTest, ConfigFromEnvironment) {
  Result r = RunLockstep("validate", "LOCKSTEP_CONFIG=" + kExample);
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST(CliTest, OfflinePlanOfTheExample) {
  Result r = RunLockstep("-c " + kExample + " plan --offline");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("28 migrations on 4 databases"), std::string::npos) << r.out;
  // The merge comes after both branches, the token columns after the merge.
  EXPECT_LT(r.out.find("user-service:005"), r.out.find("user-service:006"));
  EXPECT_LT(r.out.find("user-service:006"), r.out.find("token-service:001"));
}

TEST(CliTest, OfflinePlanJsonWithTarget) {
  Result r = RunLockstep("-c " + kExample + " plan --offline --json --target billing-service:001");
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["pending"].get<int>(), 4);
  EXPECT_EQ(j["databases"]["platform"].size(), 2u);
  EXPECT_EQ(j["waves"].back()[0]["id"], "billing-service:001");
}

TEST(CliTest, PlanForOneService) {
  Result r = RunLockstep("-c " + kExample + " plan --offline --service auth-service");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("3 migrations on 1 database"), std::string::npos) << r.out;
}

TEST(CliTest, GraphFormats) {
  Result dot = RunLockstep("-c " + kExample + " graph --format dot");
  ASSERT_EQ(dot.code, 0) << dot.err;
  EXPECT_NE(dot.out.find("\"user-service:001\" -> \"auth-service:001\" [style=dashed"),
            std::string::npos);
  Result mermaid = RunLockstep("-c " + kExample + " graph --format mermaid");
  ASSERT_EQ(mermaid.code, 0);
  EXPECT_EQ(mermaid.out.rfind("flowchart LR\n", 0), 0u);
  Result json = RunLockstep("-c " + kExample + " graph --format json");
  ASSERT_EQ(json.code, 0);
  auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["migrations"].size(), 28u);
  int merges = 0;
  for (auto& m : j["migrations"]) merges += m["merge"].get<bool>();
  EXPECT_EQ(merges, 1);
}

TEST(CliTest, HelpForEveryCommand) {
  for (const char* command : {"", "validate", "plan", "graph"}) {
    Result r = RunLockstep(std::string(command) + " --help");
    EXPECT_EQ(r.code, 0) << command;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << command;
  }
}

// Every command's --help ends with real examples of that command.
TEST(CliTest, EveryHelpEndsWithExamples) {
  for (const char* command : {"validate", "plan", "apply", "rollback", "baseline", "repair", "new",
                              "heads", "merge", "verify", "status", "history", "wait", "drift",
                              "lint", "compare", "serve", "graph", "version"}) {
    Result r = RunLockstep(std::string(command) + " --help");
    EXPECT_EQ(r.code, 0) << command;
    size_t at = r.out.find("Examples:\n  lockstep ");
    EXPECT_NE(at, std::string::npos) << command << ": " << r.out;
    EXPECT_NE(r.out.find(std::string("lockstep ") + command, at), std::string::npos) << command;
  }
}

// A mistyped command or option: a "did you mean", exit 2, nothing run.
TEST(CliTest, MistypedCommandsAndOptionsGetDidYouMean) {
  Result r = RunLockstep("aplly");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "lockstep: unknown command 'aplly' (did you mean 'apply'?); 'lockstep --help' "
            "lists them\n");
  r = RunLockstep("-c " + kExample + " -v --tenant x plan --offlin");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "lockstep: unknown option '--offlin' for plan (did you mean '--offline'?); "
            "'lockstep plan --help' lists them\n");
  r = RunLockstep("--colour never status");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown option '--colour' (did you mean '--color'?)"), std::string::npos)
      << r.err;
  // Options with values, = forms and positionals are not mistaken for commands.
  r = RunLockstep("--config=" + kExample + " --log-format json graph --format=mermaid");
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST(CliTest, BadUsageExitsTwo) {
  ExpectCleanFailure(RunLockstep(""));
  ExpectCleanFailure(RunLockstep("frobnicate"));
  ExpectCleanFailure(RunLockstep("-c " + kExample + " plan --offline --bogus"));
  ExpectCleanFailure(RunLockstep("-c " + kExample + " graph --format png"));
  Result r = RunLockstep("-c " + kExample + " plan --offline --target user-service:099");
  ExpectCleanFailure(r);
  EXPECT_NE(r.err.find("unknown migration 'user-service:099'"), std::string::npos) << r.err;
}

TEST(CliTest, MissingPlatformFile) {
  Result r = RunLockstep("-c /nonexistent/lockstep.yaml validate");
  ExpectCleanFailure(r);
  EXPECT_NE(r.err.find("/nonexistent/lockstep.yaml: cannot read"), std::string::npos);
}

class CliErrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    p_.WritePlatformFile("main,other");
    p_.WriteService("users", "main");
    p_.WriteService("billing", "other");
    p_.WriteMigration("users", "001_a.up.sql", "CREATE TABLE a (x int);");
    p_.WriteMigration("billing", "001_b.up.sql", "-- lockstep:requires users:001\nSELECT 1;");
  }
  // Runs validate, plan and graph; each must fail cleanly with `expected`.
  void ExpectError(const std::string& expected) {
    for (const char* command : {"validate", "plan --offline", "graph"}) {
      Result r = RunLockstep("-c " + p_.config() + " " + command);
      ExpectCleanFailure(r);
      std::string err = r.err;
      for (size_t pos; (pos = err.find(p_.root())) != std::string::npos;) {
        err.replace(pos, p_.root().size(), "ROOT");
      }
      EXPECT_NE(err.find(expected), std::string::npos) << command << "\n" << err;
      EXPECT_TRUE(r.out.empty()) << r.out;
    }
  }
  TempPlatform p_;
};

TEST_F(CliErrorTest, Cycle) {
  p_.WriteMigration("users", "002_c.up.sql", "-- lockstep:requires billing:001\nSELECT 1;");
  p_.WriteMigration("billing", "001_b.up.sql", "-- lockstep:requires users:002\nSELECT 1;");
  ExpectError(
      "ROOT/services/billing/migrations/001_b.up.sql:1: dependency cycle: billing:001 -> "
      "users:002 -> billing:001");
}

TEST_F(CliErrorTest, DanglingReference) {
  p_.WriteMigration("billing", "002_c.up.sql", "\n-- lockstep:requires users:002\nSELECT 1;");
  ExpectError(
      "ROOT/services/billing/migrations/002_c.up.sql:2:22: requires unknown migration "
      "'users:002' (did you mean 'users:001'?)");
}

TEST_F(CliErrorTest, DuplicateVersion) {
  p_.WriteMigration("users", "01_dup.up.sql", "SELECT 1;");
  ExpectError("duplicate version");
}

TEST_F(CliErrorTest, DownWithoutUp) {
  p_.WriteMigration("users", "002_x.down.sql", "SELECT 1;");
  ExpectError("ROOT/services/users/migrations/002_x.down.sql: down file without an up file");
}

TEST_F(CliErrorTest, NonUtf8) {
  p_.WriteMigration("users", "002_x.up.sql", "SELECT 1;\n\n'\xfe'");
  ExpectError("ROOT/services/users/migrations/002_x.up.sql:3: not valid UTF-8");
}

TEST_F(CliErrorTest, BrokenYaml) {
  p_.Write("services/users/service.yaml", "service: users\ndatabase: [main\n");
  ExpectError("ROOT/services/users/service.yaml:3:1: invalid YAML");
}

TEST_F(CliErrorTest, TwoTransactions) {
  p_.WriteMigration("users", "002_x.up.sql",
                    "BEGIN;\nSELECT 1;\nCOMMIT;\nBEGIN;\nSELECT 2;\nCOMMIT;");
  ExpectError(
      "ROOT/services/users/migrations/002_x.up.sql:4: this file needs two separate "
      "transactions");
}

TEST_F(CliErrorTest, ConcurrentIndexInATransaction) {
  p_.WriteMigration("users", "002_x.up.sql", "CREATE INDEX CONCURRENTLY i ON a (x);");
  ExpectError(
      "ROOT/services/users/migrations/002_x.up.sql:1: CREATE INDEX CONCURRENTLY cannot "
      "run inside a transaction");
}

TEST_F(CliErrorTest, CopyFromStdin) {
  p_.WriteMigration("users", "002_x.up.sql", "COPY a FROM stdin;\n1\n\\.\n");
  ExpectError("ROOT/services/users/migrations/002_x.up.sql:1: COPY ... FROM STDIN");
}

TEST_F(CliErrorTest, ManyErrorsAtOnce) {
  p_.WriteMigration("users", "002_x.down.sql", "SELECT 1;");
  p_.WriteMigration("billing", "002_y.up.sql", "SELECT 'x");
  Result r = RunLockstep("-c " + p_.config() + " validate");
  ExpectCleanFailure(r);
  EXPECT_NE(r.err.find("lockstep: 2 errors; nothing was touched"), std::string::npos) << r.err;
}

TEST_F(CliErrorTest, BranchIsOnlyAWarning) {
  p_.WriteMigration("users", "002_x.up.sql", "SELECT 1;");
  p_.WriteMigration("users", "003_y.up.sql", "-- lockstep:parents 001\nSELECT 1;");
  Result r = RunLockstep("-c " + p_.config() + " validate");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("warning: service 'users' has 2 heads (users:002, users:003)"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace lockstep
