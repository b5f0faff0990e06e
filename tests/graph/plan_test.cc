#include "graph/plan.h"

#include <gtest/gtest.h>

#include "testing/model_builder.h"

namespace lockstep {
namespace {

class PlanTest : public ::testing::Test {
 protected:
  const MigrationGraph& Build() {
    Diagnostics diag;
    graph_.emplace(MigrationGraph::Build(b_.model(), &diag));
    EXPECT_FALSE(diag.has_errors());
    return *graph_;
  }
  int Id(const std::string& id) {
    std::string error;
    return graph_->Resolve(id, &error);
  }
  std::string WavesText(const std::vector<bool>& pending) {
    Lanes lanes = Lanes::Of(*graph_);
    std::string out;
    for (auto& w : Waves(*graph_, pending, lanes)) out += "[" + Ids(b_.model(), w) + "] ";
    return out;
  }
  // Runs a plan to the end, finishing migrations in start order; returns the
  // start order and checks the lane rule at each step.
  std::string Drain(Plan& plan, int max_running, const std::string& fail = "") {
    std::vector<int> order, running;
    while (!plan.done()) {
      while (static_cast<int>(running.size()) < max_running) {
        auto next = plan.NextReady();
        if (!next) break;
        order.push_back(*next);
        running.push_back(*next);
      }
      if (running.empty()) break;
      int m = running.front();
      running.erase(running.begin());
      plan.Finished(m, graph_->IdOf(m) != fail);
    }
    return Ids(b_.model(), order);
  }

  ModelBuilder b_;
  std::optional<MigrationGraph> graph_;
};

TEST_F(PlanTest, WavesAreTopologicalLayers) {
  b_.Service("users", "identity");
  b_.Service("billing", "billing");
  b_.Migration("users:001").Migration("users:002").Migration("billing:001", {"users:001"});
  Build();
  EXPECT_EQ(WavesText(PendingSet(*graph_, {}, {})), "[users:001] [billing:001 users:002] ");
}

TEST_F(PlanTest, AppliedMigrationsAreLeftOut) {
  b_.Migration("a:001").Migration("a:002").Migration("a:003");
  Build();
  std::vector<bool> applied{true, true, false};
  EXPECT_EQ(WavesText(PendingSet(*graph_, {}, applied)), "[a:003] ");
}

TEST_F(PlanTest, TargetLimitsToWhatItNeeds) {
  b_.Migration("a:001").Migration("a:002").Migration("b:001", {"a:001"}).Migration("c:001");
  Build();
  auto wanted = graph_->Closure({Id("b:001")});
  EXPECT_EQ(WavesText(PendingSet(*graph_, wanted, {})), "[a:001] [b:001] ");
}

TEST_F(PlanTest, ServiceHeadsAndWhatTheyNeed) {
  b_.Migration("a:001")
      .Migration("a:002")
      .Migration("a:003", {}, {"001"})
      .Migration("b:001", {"a:002"});
  Build();
  auto wanted = graph_->Closure(graph_->Heads(graph_->FindService("a")));
  EXPECT_EQ(WavesText(PendingSet(*graph_, wanted, {})), "[a:001] [a:002 a:003] ");
}

TEST_F(PlanTest, LanesGroupServicesByDatabase) {
  b_.Service("users", "identity");
  b_.Service("auth", "identity");
  b_.Service("billing", "billing");
  b_.Migration("users:001").Migration("auth:001").Migration("billing:001");
  Build();
  Lanes lanes = Lanes::Of(*graph_);
  EXPECT_EQ(lanes.databases, (std::vector<std::string>{"billing", "identity"}));
  EXPECT_EQ(lanes.lane_of_migration, (std::vector<int>{1, 1, 0}));
}

TEST_F(PlanTest, OneMigrationAtATimePerLane) {
  b_.Service("users", "identity");
  b_.Service("auth", "identity");
  b_.Migration("users:001").Migration("auth:001");
  Build();
  Plan plan(*graph_, PendingSet(*graph_, {}, {}), Lanes::Of(*graph_));
  auto first = plan.NextReady();
  ASSERT_TRUE(first);
  EXPECT_FALSE(plan.NextReady());  // same database: must wait
  plan.Finished(*first, true);
  EXPECT_TRUE(plan.NextReady());
}

TEST_F(PlanTest, DiamondRunsSharedRootOnce) {
  b_.Service("root", "r");
  b_.Service("left", "l");
  b_.Service("right", "rr");
  b_.Service("join", "j");
  b_.Migration("root:001")
      .Migration("left:001", {"root:001"})
      .Migration("right:001", {"root:001"})
      .Migration("join:001", {"left:001", "right:001"});
  Build();
  for (int lanes : {1, 2, 8}) {
    Plan plan(*graph_, PendingSet(*graph_, {}, {}), Lanes::Of(*graph_));
    EXPECT_EQ(Drain(plan, lanes), "root:001 left:001 right:001 join:001") << lanes;
    EXPECT_EQ(plan.remaining(), 0);
  }
}

TEST_F(PlanTest, RequirementOnAnotherDatabaseWaits) {
  b_.Service("a", "db_a");
  b_.Service("b", "db_b");
  b_.Migration("a:001").Migration("a:002").Migration("b:001", {"a:002"});
  Build();
  Plan plan(*graph_, PendingSet(*graph_, {}, {}), Lanes::Of(*graph_));
  int a1 = *plan.NextReady();
  EXPECT_EQ(graph_->IdOf(a1), "a:001");
  EXPECT_FALSE(plan.NextReady());  // b:001 needs a:002, not started yet
  plan.Finished(a1, true);
  int a2 = *plan.NextReady();
  EXPECT_FALSE(plan.NextReady());
  plan.Finished(a2, true);
  EXPECT_EQ(graph_->IdOf(*plan.NextReady()), "b:001");
}

TEST_F(PlanTest, FailureStopsNewStartsEverywhere) {
  b_.Service("a", "db_a");
  b_.Service("b", "db_b");
  b_.Migration("a:001").Migration("a:002").Migration("b:001").Migration("b:002");
  Build();
  Plan plan(*graph_, PendingSet(*graph_, {}, {}), Lanes::Of(*graph_));
  int first = *plan.NextReady();
  int second = *plan.NextReady();
  plan.Finished(first, false);
  EXPECT_TRUE(plan.failed());
  EXPECT_FALSE(plan.NextReady());  // the other lane starts nothing new
  EXPECT_FALSE(plan.done());       // but its running migration finishes
  plan.Finished(second, true);
  EXPECT_TRUE(plan.done());
  EXPECT_FALSE(plan.NextReady());
}

// A batch: what can follow a running migration on its lane, in the order
// NextReady would start it, stopping where a migration of another database
// is needed first.
TEST_F(PlanTest, ChainFollowsTheLaneUntilAnotherDatabaseIsNeeded) {
  b_.Service("users", "identity");
  b_.Service("auth", "identity");
  b_.Service("billing", "billing");
  b_.Migration("users:001").Migration("users:002").Migration("auth:001", {"users:002"});
  b_.Migration("billing:001").Migration("auth:002", {"billing:001"}).Migration("auth:003");
  Build();
  Plan plan(*graph_, PendingSet(*graph_, {}, {}), Lanes::Of(*graph_));
  int first = *plan.NextReady();
  ASSERT_EQ(graph_->IdOf(first), "users:001");
  std::vector<int> chain = plan.Chain(first, 10, [](int) { return true; });
  EXPECT_EQ(Ids(b_.model(), chain), "users:002 auth:001");
  // Set aside: neither starts through NextReady, even once ready.
  EXPECT_EQ(graph_->IdOf(*plan.NextReady()), "billing:001");
  plan.Finished(first, true);
  EXPECT_FALSE(plan.NextReady());
  plan.StartChained(chain[0]);
  plan.Finished(chain[0], true);
  plan.StartChained(chain[1]);
  plan.Finished(chain[1], true);
  EXPECT_EQ(plan.remaining(), 3);
}

TEST_F(PlanTest, ChainStopsWhereTheCallerSaysAndUnchainedAreReadyAgain) {
  b_.Migration("a:001").Migration("a:002").Migration("a:003").Migration("a:004");
  Build();
  Plan plan(*graph_, PendingSet(*graph_, {}, {}), Lanes::Of(*graph_));
  int first = *plan.NextReady();
  EXPECT_EQ(Ids(b_.model(), plan.Chain(first, 1, [](int) { return true; })), "a:002");
  plan.Finished(first, true);
  int a3 = Id("a:003");
  // a:002 stays set aside; a:003 is not chained again (it follows a:002).
  EXPECT_TRUE(plan.Chain(Id("a:002"), 5, [&](int m) { return m != a3; }).empty());
  plan.StartChained(Id("a:002"));
  EXPECT_EQ(Ids(b_.model(), plan.Chain(Id("a:002"), 5, [](int) { return true; })), "a:003 a:004");
  plan.Finished(Id("a:002"), true);
  plan.Unchain(a3);  // the batch was cut: a:003 is ready again, a:004 not yet
  plan.Unchain(Id("a:004"));
  EXPECT_EQ(graph_->IdOf(*plan.NextReady()), "a:003");
  EXPECT_FALSE(plan.NextReady());
}

TEST_F(PlanTest, NothingPendingIsDoneAtOnce) {
  b_.Migration("a:001");
  Build();
  Plan plan(*graph_, PendingSet(*graph_, {}, {true}), Lanes::Of(*graph_));
  EXPECT_TRUE(plan.done());
  EXPECT_FALSE(plan.NextReady());
}

}  // namespace
}  // namespace lockstep
