#include "graph/graph.h"

#include <gtest/gtest.h>

#include "testing/model_builder.h"

namespace lockstep {
namespace {

class GraphTest : public ::testing::Test {
 protected:
  // Builds the graph and returns every diagnostic, one per line.
  std::string Build() {
    diag_ = Diagnostics();
    graph_.emplace(MigrationGraph::Build(b_.model(), &diag_));
    std::string out;
    for (const auto& d : diag_.all()) out += d.ToString() + "\n";
    return out;
  }
  int Id(const std::string& id) {
    std::string error;
    int m = graph_->Resolve(id, &error);
    EXPECT_GE(m, 0) << error;
    return m;
  }
  std::string Deps(const std::string& id) {
    std::vector<int> deps;
    for (auto& d : graph_->DependenciesOf(Id(id))) deps.push_back(d.migration);
    return Ids(b_.model(), deps);
  }

  ModelBuilder b_;
  Diagnostics diag_;
  std::optional<MigrationGraph> graph_;
};

TEST_F(GraphTest, DefaultParentIsThePreviousVersion) {
  b_.Migration("a:001").Migration("a:003").Migration("a:002");
  EXPECT_EQ(Build(), "");
  EXPECT_EQ(Deps("a:001"), "");
  EXPECT_EQ(Deps("a:002"), "a:001");
  EXPECT_EQ(Deps("a:003"), "a:002");
  EXPECT_EQ(Ids(b_.model(), graph_->Heads(0)), "a:003");
}

TEST_F(GraphTest, CrossServiceChain) {
  b_.Migration("users:001")
      .Migration("billing:001", {"users:001"})
      .Migration("reports:001", {"billing:1"});
  EXPECT_EQ(Build(), "");
  EXPECT_EQ(Deps("billing:001"), "users:001");
  EXPECT_EQ(Deps("reports:001"), "billing:001");
  EXPECT_EQ(Ids(b_.model(), graph_->TopologicalOrder()), "users:001 billing:001 reports:001");
}

TEST_F(GraphTest, DiamondHasOneSharedRoot) {
  b_.Migration("root:001")
      .Migration("left:001", {"root:001"})
      .Migration("right:001", {"root:001"})
      .Migration("join:001", {"left:001", "right:001"});
  EXPECT_EQ(Build(), "");
  auto closure = graph_->Closure({Id("join:001")});
  EXPECT_EQ(std::count(closure.begin(), closure.end(), true), 4);
  EXPECT_EQ(Ids(b_.model(), graph_->TopologicalOrder()), "root:001 left:001 right:001 join:001");
}

TEST_F(GraphTest, BranchIsAWarningNamingTheHeads) {
  b_.Migration("a:001").Migration("a:002").Migration("a:003", {}, {"001"});
  EXPECT_EQ(Build(),
            "services/a/service.yaml:1: warning: service 'a' has 2 heads (a:002, a:003); merge "
            "them with a migration that starts with '-- lockstep:parents 002 003'\n");
  EXPECT_FALSE(diag_.has_errors());
}

TEST_F(GraphTest, MergeJoinsTheHeads) {
  b_.Migration("a:001")
      .Migration("a:002")
      .Migration("a:003", {}, {"001"})
      .Migration("a:004", {}, {"002", "003"});
  EXPECT_EQ(Build(), "");
  EXPECT_TRUE(graph_->IsMerge(Id("a:004")));
  EXPECT_FALSE(graph_->IsMerge(Id("a:003")));
  EXPECT_EQ(Deps("a:004"), "a:002 a:003");
  EXPECT_EQ(Ids(b_.model(), graph_->Heads(0)), "a:004");
}

TEST_F(GraphTest, RequiresOfTheSameServiceCloseABranch) {
  b_.Migration("a:001").Migration("a:002").Migration("a:003", {"a:002"}, {"001"});
  EXPECT_EQ(Build(), "");
}

std::string Chosen(const Model& model, const std::vector<bool>& chosen) {
  std::vector<int> ids;
  for (size_t m = 0; m < chosen.size(); ++m) {
    if (chosen[m]) ids.push_back(static_cast<int>(m));
  }
  return Ids(model, ids);
}

// The trust issue's platform: rollback --to accounts:001 must not take
// invoices:001 (and its rows) with it.
TEST_F(GraphTest, BackToKeepsWhatDependsOnlyOnTheKeptVersion) {
  b_.Migration("accounts:001")
      .Migration("accounts:002")
      .Migration("invoices:001", {"accounts:001"})
      .Migration("invoices:002", {"accounts:002"})
      .Migration("reports:001", {"invoices:002"});
  EXPECT_EQ(Build(), "");
  EXPECT_EQ(Chosen(b_.model(), graph_->BackTo(Id("accounts:001"))),
            "accounts:002 invoices:002 reports:001");
  EXPECT_EQ(Chosen(b_.model(), graph_->BackTo(Id("accounts:002"))), "");
}

TEST_F(GraphTest, BackToLeavesASiblingBranchThatTheVersionNeeds) {
  b_.Migration("a:001")
      .Migration("a:002")
      .Migration("a:003", {}, {"001"})
      .Migration("a:004", {}, {"002", "003"});
  EXPECT_EQ(Build(), "");
  // a:003 came later than a:002 but a:002 does not need it: it goes; a:001 stays.
  EXPECT_EQ(Chosen(b_.model(), graph_->BackTo(Id("a:002"))), "a:003 a:004");
}

TEST_F(GraphTest, CycleIsReportedWithItsPath) {
  b_.Migration("billing-service:001")
      .Migration("billing-service:002", {"user-service:004"})
      .Migration("user-service:003")
      .Migration("user-service:004", {"billing-service:002"});
  EXPECT_EQ(Build(),
            "services/billing-service/migrations/002_m002.up.sql:1: dependency cycle: "
            "billing-service:002 -> user-service:004 -> billing-service:002\n");
}

TEST_F(GraphTest, LongCycleThroughParentEdges) {
  b_.Migration("a:001", {"c:001"})
      .Migration("a:002")
      .Migration("b:001", {"a:002"})
      .Migration("c:001", {"b:001"});
  EXPECT_EQ(Build(),
            "services/a/migrations/001_m001.up.sql:1: dependency cycle: a:001 -> c:001 -> b:001 "
            "-> a:002 -> a:001\n");
}

TEST_F(GraphTest, SelfRequirementIsACycle) {
  b_.Migration("a:001", {"a:001"});
  EXPECT_EQ(Build(), "services/a/migrations/001_m001.up.sql:1: dependency cycle: a:001 -> a:001\n");
}

TEST_F(GraphTest, UnknownMigrationSuggestsTheNearest) {
  b_.Migration("user-service:007")
      .Migration("user-service:008")
      .Migration("billing:004", {"user-service:009"});
  EXPECT_EQ(Build(),
            "services/billing/migrations/004_m004.up.sql:1: requires unknown migration "
            "'user-service:009' (did you mean 'user-service:008'?)\n");
}

TEST_F(GraphTest, UnknownServiceSuggestsTheNearest) {
  b_.Migration("user-service:001").Migration("billing:001", {"user-servce:001"});
  EXPECT_EQ(Build(),
            "services/billing/migrations/001_m001.up.sql:1: requires unknown migration "
            "'user-servce:001' (did you mean 'user-service:001'?)\n");
}

TEST_F(GraphTest, UnknownParent) {
  b_.Migration("a:001").Migration("a:002", {}, {"005"});
  EXPECT_EQ(Build(),
            "services/a/migrations/002_m002.up.sql:2: parents names unknown migration "
            "'a:005' (did you mean 'a:001'?)\n");
}

TEST_F(GraphTest, ParentOfAnotherServiceIsAnError) {
  b_.Migration("b:001").Migration("a:001", {}, {"b:001"});
  EXPECT_EQ(Build(),
            "services/a/migrations/001_m001.up.sql:2: parents names 'b:001' of another service; "
            "parents are versions of 'a', use '-- lockstep:requires' for other services\n");
}

TEST_F(GraphTest, ReferenceWithoutServiceIsNotAnId) {
  b_.Migration("a:001").Migration("b:001", {"001"});
  EXPECT_EQ(Build(),
            "services/b/migrations/001_m001.up.sql:1: requires '001', which is not a "
            "migration id; write 'service:version'\n");
}

TEST_F(GraphTest, ReferenceByVersionAndName) {
  b_.Migration("a:001").Migration("b:001", {"a:001_m001"});
  EXPECT_EQ(Build(), "");
  b_.Migration("c:001", {"a:001_wrong_name"});
  EXPECT_EQ(Build(),
            "services/c/migrations/001_m001.up.sql:1: requires unknown migration "
            "'a:001_wrong_name' (did you mean 'a:001'?)\n");
}

TEST_F(GraphTest, DuplicateVersionsAreErrors) {
  b_.Migration("a:01").Migration("a:001");
  std::string out = Build();
  EXPECT_NE(out.find("duplicate version"), std::string::npos) << out;
  EXPECT_TRUE(diag_.has_errors());
}

TEST_F(GraphTest, AllErrorsAreReportedTogether) {
  b_.Migration("a:001", {"nope:1"}).Migration("a:002", {"a:003"}).Migration("a:003", {"x:1"});
  Build();
  EXPECT_EQ(diag_.error_count(), 3);  // two unknown, one cycle
}

TEST_F(GraphTest, ResolveAcceptsNumericEquivalents) {
  b_.Migration("user-service:001");
  Build();
  EXPECT_EQ(Id("user-service:1"), 0);
  EXPECT_EQ(Id("user-service:0001"), 0);
}

}  // namespace
}  // namespace lockstep
