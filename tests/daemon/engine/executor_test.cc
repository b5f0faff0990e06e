#include "daemon/engine/executor.h"

#include <algorithm>
#include <functional>
#include <thread>

#include <gtest/gtest.h>

#include <mutex>

#include "testing/fake_database.h"
#include "testing/faulty_database.h"
#include "testing/model_builder.h"

namespace lockstep {
namespace {

using Strings = std::vector<std::string>;

// Records what the executor reports, in the order it reports it.
class RecordingObserver : public ExecutionObserver {
 public:
  explicit RecordingObserver(const MigrationGraph** graph) : graph_(graph) {}
  void MigrationStarted(int m, const std::string&) override {
    events.push_back("start " + (*graph_)->IdOf(m));
  }
  void MigrationFinished(int m, const std::string&, const Status& status,
                         std::chrono::milliseconds) override {
    events.push_back((status.ok() ? "done " : "fail ") + (*graph_)->IdOf(m));
  }
  std::vector<std::string> events;

 private:
  const MigrationGraph** graph_;
};

class ExecutorTest : public ::testing::TestWithParam<int> {
 protected:
  const MigrationGraph& Build() {
    Diagnostics diag;
    graph_.emplace(MigrationGraph::Build(b_.model(), &diag));
    EXPECT_FALSE(diag.has_errors());
    return *graph_;
  }
  ExecutionResult Run(std::vector<bool> wanted = {},
                      std::chrono::milliseconds lock_timeout = std::chrono::milliseconds(2000),
                      Faults faults = {}) {
    ExecutorOptions o;
    o.jobs = jobs_ > 0 ? jobs_ : GetParam();
    o.lock_timeout = lock_timeout;
    o.run_id = "test";
    o.hooks = hooks_;
    graph_ptr_ = &*graph_;
    Executor executor(*graph_, WithFaults(cluster_.Factory(), faults), &observer_, o);
    ExecutionResult r = executor.Run(wanted);
    EXPECT_FALSE(cluster_.any_lock_left());
    return r;
  }
  HistoryRow Row(const std::string& service, const std::string& version, const std::string& status,
                 const std::string& checksum = Checksum().hex()) {
    HistoryRow r;
    r.service = service;
    r.version = version;
    r.status = status;
    r.checksum = checksum;
    return r;
  }

  ModelBuilder b_;
  std::optional<MigrationGraph> graph_;
  FakeCluster cluster_;
  const MigrationGraph* graph_ptr_ = nullptr;
  RecordingObserver observer_{&graph_ptr_};
  HookRunner hooks_;
  std::mutex hook_mu_;
  int jobs_ = 0;  // instead of the parameter, when set

  // Databases one (a:001, a:002), two (b:001) and three (c:001, applied);
  // hooks_ records "PHASE DB SERVICES APPLIED-THERE locked|unlocked" in
  // *calls and fails before_apply on `fail_before_on` ("disk full").
  void HookPlatform(Strings* calls, const std::string& fail_before_on) {
    b_.Service("a", "one");
    b_.Service("b", "two");
    b_.Service("c", "three");
    b_.Migration("a:001").Migration("a:002").Migration("b:001").Migration("c:001");
    Build();
    cluster_.SetHistory("three",
                        {Row("c", "001", "applied", b_.model().migrations[3].checksum.hex())});
    hooks_ = [this, calls, fail_before_on](HookPhase phase, const std::string& db,
                                           const std::string& services) {
      int applied = 0;
      for (const HistoryRow& r : cluster_.history(db)) applied += r.status == "applied";
      std::lock_guard<std::mutex> lock(hook_mu_);
      calls->push_back(std::string(HookName(phase)) + " " + db + " " + services + " " +
                       std::to_string(applied) + (cluster_.locked(db) ? " locked" : " unlocked"));
      return db == fail_before_on && phase == HookPhase::kBeforeApply ? Status::Failed("disk full")
                                                                      : Status::Ok();
    };
  }
};

TEST_P(ExecutorTest, DiamondRunsSharedRootOnce) {
  b_.Service("root", "r");
  b_.Service("left", "l");
  b_.Service("right", "rr");
  b_.Service("join", "j");
  b_.Migration("root:001")
      .Migration("left:001", {"root:001"})
      .Migration("right:001", {"root:001"})
      .Migration("join:001", {"left:001", "right:001"});
  Build();
  ExecutionResult r = Run();
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  Strings started = cluster_.started();
  ASSERT_EQ(started.size(), 4u);
  EXPECT_EQ(started.front(), "root:001");
  EXPECT_EQ(started.back(), "join:001");
  EXPECT_EQ(r.applied.size(), 4u);
}

TEST_P(ExecutorTest, OneMigrationAtATimePerDatabase) {
  for (const char* s : {"a", "b", "c"}) b_.Service(s, "shared");
  b_.Service("d", "other");
  b_.Migration("a:001").Migration("b:001").Migration("c:001").Migration("d:001").Migration("d:002");
  Build();
  cluster_.SetApplyDelay(std::chrono::milliseconds(20));
  ASSERT_TRUE(Run().status.ok());
  EXPECT_EQ(cluster_.max_per_database(), 1);
  EXPECT_LE(cluster_.max_overall(), std::min(GetParam(), 2));
  EXPECT_EQ(cluster_.applied().size(), 5u);
}

TEST_P(ExecutorTest, LanesRunInParallelUpToJobs) {
  for (const char* s : {"a", "b", "c", "d"}) b_.Service(s, std::string("db_") + s);
  b_.Migration("a:001").Migration("b:001").Migration("c:001").Migration("d:001");
  Build();
  cluster_.SetApplyDelay(std::chrono::milliseconds(100));
  ASSERT_TRUE(Run().status.ok());
  EXPECT_EQ(cluster_.max_overall(), std::min(GetParam(), 4));
}

TEST_P(ExecutorTest, RequirementOnAnotherDatabaseWaits) {
  b_.Service("a", "db_a");
  b_.Service("b", "db_b");
  b_.Migration("a:001").Migration("a:002").Migration("b:001", {"a:002"});
  Build();
  cluster_.SetApplyDelay(std::chrono::milliseconds(10));
  ASSERT_TRUE(Run().status.ok());
  EXPECT_EQ(cluster_.applied(), (Strings{"a:001", "a:002", "b:001"}));
}

TEST_P(ExecutorTest, FailureStopsNewStartsEverywhere) {
  b_.Service("a", "db_a");
  b_.Service("b", "db_b");
  b_.Migration("a:001").Migration("a:002").Migration("b:001").Migration("b:002").Migration("b:003");
  Build();
  cluster_.FailOn("a:001");
  cluster_.SetApplyDelay(std::chrono::milliseconds(30));
  ExecutionResult r = Run();
  EXPECT_EQ(r.status.code(), Status::Code::kFailed);
  EXPECT_EQ(graph_->IdOf(r.failed), "a:001");
  // Nothing starts once the executor knows of the failure; what was already
  // running finishes.
  Strings events = observer_.events;
  auto failure = std::find(events.begin(), events.end(), "fail a:001");
  ASSERT_NE(failure, events.end());
  for (auto it = failure; it != events.end(); ++it) EXPECT_NE(it->rfind("start ", 0), 0u) << *it;
  for (const std::string& id : cluster_.started()) EXPECT_NE(id, "a:002");
  EXPECT_EQ(r.not_started + static_cast<int>(cluster_.started().size()), 5);
}

TEST_P(ExecutorTest, AlreadyAppliedIsSkipped) {
  b_.Migration("a:001").Migration("a:002");
  Build();
  cluster_.SetHistory("main",
                      {Row("a", "001", "applied", b_.model().migrations[0].checksum.hex())});
  ExecutionResult r = Run();
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(cluster_.started(), (Strings{"a:002"}));
  EXPECT_EQ(r.already_applied, 1);
}

TEST_P(ExecutorTest, ReRunAppliesNothing) {
  b_.Migration("a:001").Migration("a:002");
  Build();
  ASSERT_TRUE(Run().status.ok());
  ExecutionResult again = Run();
  ASSERT_TRUE(again.status.ok());
  EXPECT_TRUE(again.applied.empty());
  EXPECT_EQ(again.already_applied, 2);
}

TEST_P(ExecutorTest, FailedRecordStopsTheRun) {
  b_.Migration("a:001").Migration("a:002");
  Build();
  cluster_.SetHistory("main", {Row("a", "001", "failed")});
  ExecutionResult r = Run();
  EXPECT_EQ(r.status.code(), Status::Code::kFailed);
  EXPECT_NE(r.status.message().find("a:001 is recorded as failed"), std::string::npos);
  EXPECT_TRUE(cluster_.started().empty());
}

TEST_P(ExecutorTest, ChangedChecksumRefusesBeforeAnythingRuns) {
  b_.Migration("a:001").Migration("a:002");
  Build();
  cluster_.SetHistory("main", {Row("a", "001", "applied", "0000")});
  ExecutionResult r = Run();
  EXPECT_EQ(r.status.code(), Status::Code::kBadInput);
  EXPECT_NE(r.status.message().find("a:001 was applied with checksum 0000"), std::string::npos);
  EXPECT_TRUE(cluster_.started().empty());
}

TEST_P(ExecutorTest, LockTimeoutNamesTheHolder) {
  b_.Migration("a:001");
  Build();
  LockHolder holder;
  holder.pid = 4242;
  holder.application_name = "lockstep/other";
  holder.client_address = "10.1.2.3";
  holder.since = "2026-01-01 00:00:00 UTC";
  cluster_.HoldLock("main", holder);
  ExecutionResult r = Run({}, std::chrono::milliseconds(150));
  EXPECT_EQ(r.status.code(), Status::Code::kLockTimeout);
  EXPECT_EQ(r.status.message(),
            "database 'main': the migration lock is held by pid 4242 (lockstep/other, from "
            "10.1.2.3, since 2026-01-01 00:00:00 UTC); gave up after 150ms "
            "(settings.lock_timeout, LOCKSTEP_LOCK_TIMEOUT)");
  EXPECT_TRUE(cluster_.started().empty());
}

TEST_P(ExecutorTest, TargetRunsOnlyWhatItNeeds) {
  b_.Migration("a:001").Migration("a:002").Migration("b:001", {"a:001"});
  Build();
  ASSERT_TRUE(Run(graph_->Closure({2})).status.ok());
  EXPECT_EQ(cluster_.applied(), (Strings{"a:001", "b:001"}));
}

TEST_P(ExecutorTest, UnreachableDatabaseReleasesTheLocksAlreadyTaken) {
  b_.Service("a", "db_a");
  b_.Service("b", "db_b");
  b_.Migration("a:001").Migration("b:001");
  Build();
  Faults faults;
  faults.database = "db_b";
  faults.open = true;
  ExecutionResult r = Run({}, std::chrono::milliseconds(2000), faults);  // checks no lock is left
  EXPECT_EQ(r.status.message(), "database 'db_b': cannot connect: refused");
  EXPECT_TRUE(cluster_.started().empty());  // nothing runs before every database is ready
}

TEST_P(ExecutorTest, LostConnectionFailsTheRunAndAReRunConverges) {
  b_.Migration("a:001").Migration("a:002").Migration("a:003");
  Build();
  Faults faults;
  faults.database = "main";
  faults.apply_call = 1;
  ExecutionResult r = Run({}, std::chrono::milliseconds(2000), faults);
  EXPECT_EQ(r.status.code(), Status::Code::kFailed);
  EXPECT_EQ(graph_->IdOf(r.failed), "a:002");
  EXPECT_EQ(cluster_.applied(), (Strings{"a:001"}));
  ExecutionResult again = Run();
  ASSERT_TRUE(again.status.ok()) << again.status.message();
  EXPECT_EQ(cluster_.applied(), (Strings{"a:001", "a:002", "a:003"}));
}

TEST_P(ExecutorTest, UnreadableHistoryStopsBeforeAnythingRuns) {
  b_.Service("a", "db_a");
  b_.Migration("a:001");
  Build();
  Faults faults;
  faults.database = "db_a";
  faults.read_history = true;
  ExecutionResult r = Run({}, std::chrono::milliseconds(2000), faults);
  EXPECT_EQ(r.status.code(), Status::Code::kFailed);
  EXPECT_TRUE(cluster_.started().empty());
}

// settings.on_failure: continue: a failure stops its own database (and what
// needs what is left there); every other database goes on to the end.
TEST_P(ExecutorTest, OnFailureContinueStopsOnlyTheFailedDatabase) {
  b_.Service("a", "db_a");
  b_.Service("b", "db_b");
  b_.Service("c", "db_c");
  b_.Migration("a:001").Migration("a:002").Migration("b:001").Migration("b:002");
  b_.Migration("c:001").Migration("c:002", {"b:002"}).Migration("c:003");
  Build();
  cluster_.FailOn("b:001");
  ExecutorOptions o;
  o.jobs = GetParam();
  o.run_id = "test";
  o.continue_on_failure = true;
  graph_ptr_ = &*graph_;
  Executor executor(*graph_, cluster_.Factory(), &observer_, o);
  ExecutionResult r = executor.Run({});
  EXPECT_FALSE(cluster_.any_lock_left());
  EXPECT_EQ(r.status.code(), Status::Code::kFailed);
  EXPECT_EQ(graph_->IdOf(r.failed), "b:001");
  EXPECT_EQ(r.failed_databases, (Strings{"db_b"}));
  Strings applied = cluster_.applied();
  std::sort(applied.begin(), applied.end());
  // c:002 needs b:002, which never ran; c:003 comes after c:002.
  EXPECT_EQ(applied, (Strings{"a:001", "a:002", "c:001"}));
  EXPECT_EQ(r.not_started, 3);  // b:002, c:002, c:003
}

// Observes lock states while migrations start, for the per-lane lock tests.
class LockWatcher : public ExecutionObserver {
 public:
  LockWatcher(const FakeCluster* cluster, const MigrationGraph** graph)
      : cluster_(cluster), graph_(graph) {}
  void RunPlanned(int) override {
    if (on_planned) on_planned();
  }
  // The databases locked when `m` starts. Letting a lock go is asynchronous,
  // so this waits (up to a second) for only `m`'s own database to be locked;
  // a lock that is never let go shows in the line.
  void MigrationStarted(int m, const std::string& database) override {
    std::string id = (*graph_)->IdOf(m), line;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    do {
      line = id + ":";
      for (const char* db : {"db_a", "db_b", "db_c"}) {
        if (cluster_->locked(db)) line += std::string(" ") + db;
      }
      if (line == id + ": " + database || database.rfind("db_", 0) != 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    } while (std::chrono::steady_clock::now() < deadline);
    seen.push_back(line);
  }
  std::function<void()> on_planned;
  std::vector<std::string> seen;

 private:
  const FakeCluster* cluster_;
  const MigrationGraph** graph_;
};

class PerLaneLockTest : public ExecutorTest {
 protected:
  ExecutionResult RunWatched(int max_connections = 32) {
    ExecutorOptions o;
    o.jobs = GetParam();
    o.max_connections = max_connections;
    o.lock_timeout = std::chrono::milliseconds(2000);
    o.run_id = "test";
    graph_ptr_ = &*graph_;
    Executor executor(*graph_, cluster_.Factory(), &watcher_, o);
    ExecutionResult r = executor.Run({});
    EXPECT_FALSE(cluster_.any_lock_left());
    return r;
  }
  LockWatcher watcher_{&cluster_, &graph_ptr_};
};

// A database with nothing pending is read, never locked: a no-op run does
// not wait behind a deploy that holds a lock.
TEST_P(PerLaneLockTest, NothingPendingTakesNoLock) {
  b_.Service("a", "db_a");
  b_.Service("b", "db_b");
  b_.Migration("a:001").Migration("b:001");
  Build();
  cluster_.SetHistory("db_a",
                      {Row("a", "001", "applied", b_.model().migrations[0].checksum.hex())});
  LockHolder holder;
  holder.pid = 1;
  cluster_.HoldLock("db_a", holder);  // another deploy holds it
  ExecutionResult r = RunWatched();
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.applied.size(), 1u);
  EXPECT_EQ(r.already_applied, 1);
  EXPECT_EQ(cluster_.lock_attempts("db_a"), 0);
  EXPECT_EQ(cluster_.lock_attempts("db_b"), 1);
}

// A lane holds its lock only while it has work it can do: db_a is let go
// once a:001 is in, while db_b runs, and taken again when a:002 may start.
TEST_P(PerLaneLockTest, LockIsLetGoWhileTheLaneWaitsForAnotherDatabase) {
  b_.Service("a", "db_a");
  b_.Service("b", "db_b");
  b_.Migration("a:001").Migration("b:001", {"a:001"}).Migration("a:002", {"b:001"});
  Build();
  cluster_.SetApplyDelay(std::chrono::milliseconds(30));
  ExecutionResult r = RunWatched();
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(watcher_.seen, (Strings{"a:001: db_a", "b:001: db_b", "a:002: db_a"}));
  EXPECT_EQ(cluster_.lock_attempts("db_a"), 2);  // taken again, history read again
}

// What another run applied between the first read and the lock is skipped.
TEST_P(PerLaneLockTest, WorkDoneMeanwhileIsSkippedUnderTheLock) {
  b_.Service("a", "db_a");
  b_.Migration("a:001").Migration("a:002");
  Build();
  watcher_.on_planned = [&] {
    cluster_.SetHistory("db_a",
                        {Row("a", "001", "applied", b_.model().migrations[0].checksum.hex())});
  };
  ExecutionResult r = RunWatched();
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(cluster_.started(), (Strings{"a:002"}));
  EXPECT_EQ(r.already_applied, 1);
  EXPECT_EQ(r.applied.size(), 1u);
}

// ... and a failure recorded meanwhile stops the lane, as it would have
// stopped the run.
TEST_P(PerLaneLockTest, FailureRecordedMeanwhileIsCheckedUnderTheLock) {
  b_.Service("a", "db_a");
  b_.Migration("a:001").Migration("a:002");
  Build();
  watcher_.on_planned = [&] {
    cluster_.SetHistory("db_a",
                        {Row("a", "001", "failed", b_.model().migrations[0].checksum.hex())});
  };
  ExecutionResult r = RunWatched();
  EXPECT_EQ(r.status.code(), Status::Code::kFailed) << r.status.message();
  EXPECT_NE(r.status.message().find("a:001"), std::string::npos) << r.status.message();
  EXPECT_TRUE(cluster_.started().empty());
}

// Where every lane can take its lock beside them, the connections the plan
// read the histories on are kept for the lanes: one connection per database
// and run, not two. A database with nothing pending is not held open.
TEST_P(PerLaneLockTest, ALaneTakesItsLockOnTheConnectionThePlanReadOn) {
  b_.Service("a", "db_a");
  b_.Service("b", "db_b");
  b_.Service("c", "db_c");
  b_.Migration("a:001").Migration("a:002").Migration("b:001", {"a:001"}).Migration("c:001");
  Build();
  cluster_.SetHistory("db_c",
                      {Row("c", "001", "applied", b_.model().migrations[3].checksum.hex())});
  int open_when_planned = -1;
  watcher_.on_planned = [&] { open_when_planned = cluster_.open_now(); };
  ExecutionResult r = RunWatched();
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.applied.size(), 3u);
  EXPECT_EQ(open_when_planned, 2);  // db_a's and db_b's; db_c's closed
  EXPECT_EQ(cluster_.opened("db_a"), 1);
  EXPECT_EQ(cluster_.opened("db_b"), 1);
  EXPECT_EQ(cluster_.opened("db_c"), 1);
  EXPECT_EQ(cluster_.open_now(), 0);
}

// A kept connection that ended while it waited (idle_session_timeout, a
// pooler's idle timeout) is replaced by a new one: the run goes on.
TEST_P(PerLaneLockTest, AKeptConnectionThatEndedIsReplaced) {
  b_.Service("a", "db_a");
  b_.Migration("a:001");
  Build();
  cluster_.EndIdleConnectionsOf("db_a");
  ExecutionResult r = RunWatched();
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(cluster_.applied(), (Strings{"a:001"}));
  EXPECT_EQ(cluster_.opened("db_a"), 2);
  EXPECT_EQ(cluster_.lock_attempts("db_a"), 2);
}

// Forty databases, a budget of six connections: never more open at once.
TEST_P(PerLaneLockTest, ConnectionsStayWithinMaxConnections) {
  for (int i = 0; i < 40; ++i) {
    std::string s = "s" + std::to_string(i);
    b_.Service(s, "db" + std::to_string(i));
    b_.Migration(s + ":001").Migration(s + ":002");
  }
  Build();
  cluster_.SetApplyDelay(std::chrono::milliseconds(2));
  // Reads that take a while, so that the parallel reads before the plan
  // are open at once and max_open >= 2 below holds on a loaded machine too:
  // with instant reads and one job, nothing had to overlap, and under load
  // it was 1 about once in 400 runs.
  cluster_.SetReadDelay(std::chrono::milliseconds(10));
  ExecutionResult r = RunWatched(/*max_connections=*/6);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.applied.size(), 80u);
  EXPECT_LE(cluster_.max_open(), 6);
  EXPECT_GE(cluster_.max_open(), 2);
  // 40 lanes cannot take their locks beside 40 kept connections within six:
  // each database is read on one connection and locked on another.
  EXPECT_EQ(cluster_.opened("db0"), 2);
}

// settings.hooks: before_apply once per database with something pending,
// under its lock and before its first migration; after_apply once after its
// last; none where nothing is pending; a failing before_apply stops that
// database before anything runs there.
TEST_P(ExecutorTest, HooksRunOncePerDatabaseAroundItsMigrations) {
  Strings calls;
  HookPlatform(&calls, /*fail_before_on=*/"two");
  ExecutionResult r = Run();
  std::sort(calls.begin(), calls.end());
  EXPECT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.message(), "disk full");
  EXPECT_EQ(cluster_.history("two").size(), 0u);
  // "two"'s failure stops the run: "one" may not have begun, or stopped
  // between its migrations (no after_apply: its part is not done), or
  // finished with its hooks framing both.
  switch (cluster_.history("one").size()) {
    case 0:
      EXPECT_EQ(calls, (Strings{"before_apply two b 0 locked"}));
      break;
    case 1:
      EXPECT_EQ(calls, (Strings{"before_apply one a 0 locked", "before_apply two b 0 locked"}));
      break;
    default:
      EXPECT_EQ(calls, (Strings{"after_apply one a 2 locked", "before_apply one a 0 locked",
                                "before_apply two b 0 locked"}));
  }
}

TEST_P(ExecutorTest, HooksFrameEachDatabasesPartOfARun) {
  Strings calls;
  HookPlatform(&calls, /*fail_before_on=*/"");
  ExecutionResult r = Run();
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  std::sort(calls.begin(), calls.end());
  EXPECT_EQ(calls, (Strings{"after_apply one a 2 locked", "after_apply two b 1 locked",
                            "before_apply one a 0 locked", "before_apply two b 0 locked"}));
}

// One WAL flush per database lane, not one per migration: only the lane's
// last migration commits with the server's synchronous_commit; the others
// (synchronous_commit = off) are durable once it is (WAL is flushed in order).
TEST_P(ExecutorTest, OnlyTheLastMigrationOfALaneCommitsDurably) {
  b_.Service("a", "db_a");
  b_.Service("b", "db_b");
  b_.Migration("a:001").Migration("a:002").Migration("a:003").Migration("a:004");
  b_.Migration("b:001").Migration("b:002");
  Build();
  ExecutionResult r = Run();
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  Strings durable = cluster_.durable();
  std::sort(durable.begin(), durable.end());
  EXPECT_EQ(durable, (Strings{"a:004", "b:002"}));
  EXPECT_TRUE(cluster_.unflushed("db_a").empty());
  EXPECT_TRUE(cluster_.unflushed("db_b").empty());
  EXPECT_EQ(cluster_.flushes(), 0);  // the last commit (and the snapshot) did it
  EXPECT_EQ(r.applied.size(), 6u);
}

// Nothing is reported applied before its commit is durable: a lane's
// earlier migrations are reported once its durable commit returns.
TEST_P(ExecutorTest, AMigrationIsReportedOnlyOnceDurable) {
  b_.Migration("a:001").Migration("a:002").Migration("a:003");
  Build();
  ASSERT_TRUE(Run().status.ok());
  EXPECT_EQ(observer_.events, (Strings{"start a:001", "start a:002", "start a:003", "done a:001",
                                       "done a:002", "done a:003"}));
}

// A migration another database needs commits durably before that one
// starts: a crash of its server must not lose what the other relies on.
TEST_P(ExecutorTest, AMigrationAnotherDatabaseNeedsCommitsDurably) {
  b_.Service("a", "db_a");
  b_.Service("b", "db_b");
  b_.Migration("a:001").Migration("a:002").Migration("a:003").Migration("b:001", {"a:002"});
  Build();
  ASSERT_TRUE(Run().status.ok());
  Strings durable = cluster_.durable();
  std::sort(durable.begin(), durable.end());
  EXPECT_EQ(durable, (Strings{"a:002", "a:003", "b:001"}));
  Strings& events = observer_.events;
  auto done = std::find(events.begin(), events.end(), "done a:002");
  auto other = std::find(events.begin(), events.end(), "start b:001");
  ASSERT_NE(done, events.end());
  EXPECT_LT(done, other);
  EXPECT_LT(std::find(events.begin(), events.end(), "done a:001"), done);
}

// A failure ends the lane early: what it committed before is flushed before
// its lock goes, then reported in order, then the failure.
TEST_P(ExecutorTest, AFailureFlushesWhatTheLaneCommittedBefore) {
  b_.Migration("a:001").Migration("a:002").Migration("a:003").Migration("a:004");
  Build();
  cluster_.FailOn("a:003");
  ExecutionResult r = Run();
  EXPECT_EQ(r.status.code(), Status::Code::kFailed);
  EXPECT_EQ(graph_->IdOf(r.failed), "a:003");
  EXPECT_EQ(cluster_.flushes(), 1);
  EXPECT_TRUE(cluster_.unflushed("main").empty());
  EXPECT_EQ(r.applied.size(), 2u);
  EXPECT_EQ(observer_.events, (Strings{"start a:001", "start a:002", "start a:003", "done a:001",
                                       "done a:002", "fail a:003"}));
}

// When the server does not confirm the flush (the connection went), the
// commits before it are not reported applied: they are failures, and the
// next run finds out whether the server kept them.
TEST_P(ExecutorTest, ACommitNeverConfirmedDurableIsNotReportedApplied) {
  b_.Migration("a:001").Migration("a:002").Migration("a:003");
  Build();
  cluster_.FailOn("a:003");
  cluster_.FailFlushOn("main");
  ExecutionResult r = Run();
  EXPECT_EQ(r.status.code(), Status::Code::kFailed);
  EXPECT_EQ(graph_->IdOf(r.failed), "a:003");
  EXPECT_TRUE(r.applied.empty());
  EXPECT_EQ(observer_.events, (Strings{"start a:001", "start a:002", "start a:003", "fail a:001",
                                       "fail a:002", "fail a:003"}));
  EXPECT_EQ(r.failed_databases, (Strings{"main"}));
}

// A long lane commits durably about once a second, so that its progress is
// reported while it runs, not all at its end.
// Quick migrations of a lane go to its database together (issue 15: the
// server goes from one to the next without waiting for lockstep), in batches
// that double while they stay quick; each is still reported on its own, in
// order, and the lane's last commit is durable.
TEST_P(ExecutorTest, QuickMigrationsGoInBatchesThatGrow) {
  for (int i = 1; i <= 8; ++i) b_.Migration("a:00" + std::to_string(i));
  Build();
  ExecutionResult r = Run();
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(cluster_.batches(),
            (Strings{"a:001", "a:002 a:003", "a:004 a:005 a:006 a:007", "a:008"}));
  EXPECT_EQ(cluster_.applied(),
            (Strings{"a:001", "a:002", "a:003", "a:004", "a:005", "a:006", "a:007", "a:008"}));
  EXPECT_EQ(Ids(b_.model(), r.applied), "a:001 a:002 a:003 a:004 a:005 a:006 a:007 a:008");
  EXPECT_EQ(cluster_.durable().back(), "a:008");
  Strings starts;
  for (const std::string& e : observer_.events) {
    if (e.rfind("start ", 0) == 0) starts.push_back(e);
  }
  EXPECT_EQ(starts.size(), 8u);
}

// A slow migration ends the growth: after it, one at a time again.
TEST_P(ExecutorTest, SlowMigrationsGoOneAtATime) {
  for (int i = 1; i <= 5; ++i) b_.Migration("a:00" + std::to_string(i));
  Build();
  cluster_.SetApplyDelayOf("a:002", std::chrono::milliseconds(300));
  cluster_.SetApplyDelayOf("a:003", std::chrono::milliseconds(300));
  ASSERT_TRUE(Run().status.ok());
  EXPECT_EQ(cluster_.batches(), (Strings{"a:001", "a:002 a:003", "a:004", "a:005"}));
}

// Migrations that a busy machine makes take 25 ms each (8 lanes on 2 cores
// do that to a CREATE TABLE) still go in batches that grow. They went one
// at a time when the bound was 20 ms per migration: a fleet's databases took
// twice as many messages under load.
TEST_P(ExecutorTest, MigrationsSlowedByABusyMachineStillGoInBatches) {
  for (int i = 1; i <= 8; ++i) b_.Migration("a:00" + std::to_string(i));
  Build();
  cluster_.SetApplyDelay(std::chrono::milliseconds(25));
  ASSERT_TRUE(Run().status.ok());
  EXPECT_EQ(cluster_.batches(),
            (Strings{"a:001", "a:002 a:003", "a:004 a:005 a:006 a:007", "a:008"}));
}

// A failure on one database while another runs a batch: the batch's running
// migration finishes, and nothing after it starts (the run starts nothing
// new after a failure, batch or not).
TEST_P(ExecutorTest, AFailureElsewhereCutsABatchInFlight) {
  jobs_ = 2;  // both databases at once, whatever the parameter
  b_.Service("a", "db_a");
  b_.Service("b", "db_b");
  b_.Migration("a:001");
  for (int i = 1; i <= 7; ++i) b_.Migration("b:00" + std::to_string(i));
  Build();
  cluster_.FailOn("a:001");
  cluster_.SetApplyDelayOf("a:001", std::chrono::milliseconds(150));
  cluster_.SetApplyDelayOf("b:004", std::chrono::milliseconds(400));
  ExecutionResult r = Run();
  EXPECT_EQ(graph_->IdOf(r.failed), "a:001");
  EXPECT_EQ(cluster_.batches().back(), "b:004 b:005 b:006 b:007");
  EXPECT_EQ(cluster_.applied(), (Strings{"b:001", "b:002", "b:003", "b:004"}));
  EXPECT_EQ(r.not_started, 3);
  Strings events = observer_.events;
  auto failure = std::find(events.begin(), events.end(), "fail a:001");
  ASSERT_NE(failure, events.end());
  for (auto it = failure; it != events.end(); ++it) EXPECT_NE(it->rfind("start ", 0), 0u) << *it;
  EXPECT_NE(std::find(failure, events.end(), "done b:004"), events.end());
  EXPECT_GE(cluster_.cuts(), 1);
}

TEST_P(ExecutorTest, ALongLaneCommitsDurablyAboutOnceASecond) {
  b_.Migration("a:001").Migration("a:002").Migration("a:003").Migration("a:004");
  b_.Migration("a:005").Migration("a:006");
  Build();
  cluster_.SetApplyDelay(std::chrono::milliseconds(250));
  ASSERT_TRUE(Run().status.ok());
  Strings durable = cluster_.durable();
  ASSERT_GE(durable.size(), 2u);
  EXPECT_EQ(durable.back(), "a:006");
  EXPECT_NE(durable.front(), "a:001");
  auto first = std::find(observer_.events.begin(), observer_.events.end(), "done a:001");
  auto last = std::find(observer_.events.begin(), observer_.events.end(), "start a:006");
  EXPECT_LT(first, last);
}

// Another run is in the middle of a no-transaction migration (recorded
// running, its lock held): this run reads that without a lock, waits for the
// lock, and under it finds the migration applied. It is not "the lock is not
// holding" (DeployTest.TenReplicasTwoApplyEightWait once failed so in CI).
TEST_P(ExecutorTest, AMigrationRunningInAnotherLiveRunIsWaitedFor) {
  b_.Service("a", "db_a");
  b_.Migration("a:001").Migration("a:002");
  Build();
  const std::string checksum = b_.model().migrations[0].checksum.hex();
  cluster_.SetHistory("db_a", {Row("a", "001", "running", checksum)});
  LockHolder holder;
  holder.application_name = "lockstep/other";
  cluster_.HoldLock("db_a", holder);
  std::thread other([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    cluster_.SetHistory("db_a", {Row("a", "001", "applied", checksum)});
    cluster_.ReleaseLock("db_a");
  });
  ExecutionResult r = Run();
  other.join();
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(cluster_.applied(), (Strings{"a:002"}));
  EXPECT_EQ(r.already_applied, 1);
}

// Under this run's own lock a live run's running row means the lock does not
// hold (a pooler in transaction mode): refused before anything runs there.
TEST_P(ExecutorTest, AMigrationRunningUnderOurOwnLockIsRefused) {
  b_.Service("a", "db_a");
  b_.Migration("a:001").Migration("a:002");
  Build();
  cluster_.SetHistory("db_a",
                      {Row("a", "001", "running", b_.model().migrations[0].checksum.hex())});
  ExecutionResult r = Run();
  EXPECT_EQ(r.status.code(), Status::Code::kFailed);
  EXPECT_NE(r.status.message().find("the advisory lock is not holding"), std::string::npos)
      << r.status.message();
  EXPECT_TRUE(cluster_.applied().empty());
}

// The next batch's size: twice the last, within the cap and what the last
// one's pace fits into half a second.
TEST(NextBatchSizeTest, DoublesWhileTheBatchFitsHalfASecond) {
  using std::chrono::milliseconds;
  EXPECT_EQ(NextBatchSize(1, milliseconds(5), 32), 2u);
  EXPECT_EQ(NextBatchSize(8, milliseconds(240), 32), 16u);  // 30 ms each: 16 fit
  EXPECT_EQ(NextBatchSize(16, milliseconds(480), 32), 16u);
  EXPECT_EQ(NextBatchSize(16, milliseconds(1000), 32), 8u);  // shrinks, not to 1
  EXPECT_EQ(NextBatchSize(32, milliseconds(1), 32), 32u);    // the cap
  EXPECT_EQ(NextBatchSize(2, milliseconds(600), 32), 1u);    // 300 ms each
  EXPECT_EQ(NextBatchSize(1, milliseconds(600), 32), 1u);    // one slow migration
  EXPECT_EQ(NextBatchSize(4, std::chrono::nanoseconds(0), 32), 8u);
  EXPECT_EQ(NextBatchSize(4, milliseconds(1), 1), 1u);  // lock: lease
}

INSTANTIATE_TEST_SUITE_P(Jobs, ExecutorTest, ::testing::Values(1, 2, 8));
INSTANTIATE_TEST_SUITE_P(Jobs, PerLaneLockTest, ::testing::Values(1, 2, 8));

}  // namespace
}  // namespace lockstep
