#include "daemon/engine/lock.h"

#include <gtest/gtest.h>

#include "daemon/engine/backoff.h"
#include "testing/fake_clock.h"
#include "testing/fake_database.h"

namespace lockstep {
namespace {

using Millis = std::chrono::milliseconds;

class LockTest : public ::testing::Test {
 protected:
  LockTest() {
    std::string error;
    db_ = cluster_.Factory()("main", &error);
    LockHolder holder;
    holder.pid = 4242;
    holder.application_name = "lockstep/other";
    cluster_.HoldLock("main", holder);
  }

  FakeCluster cluster_;
  FakeClock clock_;
  std::unique_ptr<Database> db_;
};

TEST_F(LockTest, BackoffDoublesFrom50msTo1sAndTimesOutNamingTheHolder) {
  int told = 0;
  Status s = TakeLock(*db_, "main", Millis(5000), clock_, [&](const LockHolder&) { ++told; });
  EXPECT_EQ(s.code(), Status::Code::kLockTimeout);
  EXPECT_EQ(s.message(),
            "database 'main': the migration lock is held by pid 4242 "
            "(lockstep/other); gave up after 5s (settings.lock_timeout, "
            "LOCKSTEP_LOCK_TIMEOUT)");
  std::vector<Millis> expected = {Millis(50),   Millis(100),  Millis(200),
                                  Millis(400),  Millis(800),  Millis(1000),
                                  Millis(1000), Millis(1000), Millis(450)};
  EXPECT_EQ(clock_.sleeps(), expected);
  EXPECT_EQ(clock_.elapsed(), Millis(5000));
  EXPECT_EQ(told, 1);  // told once, not at every poll
}

TEST_F(LockTest, TakenOnceTheHolderLetsGo) {
  clock_.OnSleep([&](int sleeps) {
    if (sleeps == 3) cluster_.ReleaseLock("main");
  });
  EXPECT_TRUE(TakeLock(*db_, "main", Millis(60'000), clock_).ok());
  EXPECT_EQ(clock_.elapsed(), Millis(350));
}

TEST_F(LockTest, StopWhileWaitingCancels) {
  std::atomic<bool> stop{false};
  clock_.OnSleep([&](int) { stop = true; });
  Status s = TakeLock(*db_, "main", Millis(60'000), clock_, nullptr, &stop);
  EXPECT_EQ(s.code(), Status::Code::kCancelled);
  EXPECT_EQ(clock_.sleeps().size(), 1u);
}

TEST(BackoffTest, GrowsToItsMostAndStartsAgainAfterReset) {
  Backoff b(Millis(1000), Millis(5000));
  std::vector<Millis> got;
  for (int i = 0; i < 5; ++i) got.push_back(b.Next());
  EXPECT_EQ(got, (std::vector<Millis>{Millis(1000), Millis(2000), Millis(4000), Millis(5000),
                                      Millis(5000)}));
  b.Reset();
  EXPECT_EQ(b.Next(), Millis(1000));
}

// The daemon's refresh of a database that went away: 1 s, 2 s, ... up to a
// refresh interval shorter than the first step.
TEST(BackoffTest, NeverLongerThanItsMost) {
  Backoff b(Millis(1000), Millis(300));
  EXPECT_EQ(b.Next(), Millis(300));
  EXPECT_EQ(b.Next(), Millis(300));
}

TEST(BackoffTest, ByHalfAgain) {
  Backoff b(Millis(200), Millis(5000), 150);
  std::vector<Millis> got;
  for (int i = 0; i < 4; ++i) got.push_back(b.Next());
  EXPECT_EQ(got, (std::vector<Millis>{Millis(200), Millis(300), Millis(450), Millis(675)}));
}

}  // namespace
}  // namespace lockstep
