#include "daemon/cli/progress.h"

#include <sstream>

#include <gtest/gtest.h>

#include "testing/fake_clock.h"
#include "testing/fake_database.h"
#include "testing/model_builder.h"

namespace lockstep {
namespace {

using Millis = std::chrono::milliseconds;
using Seconds = std::chrono::seconds;

class ProgressTest : public ::testing::Test {
 protected:
  ProgressTest() {
    b_.Migration("a:001").Migration("a:002");
    Diagnostics diag;
    graph_.emplace(MigrationGraph::Build(b_.model(), &diag));
  }
  // Moves fake time on by `d` and ticks the printer.
  void After(Seconds d, ProgressPrinter& p) {
    clock_.SleepFor(std::chrono::duration_cast<Millis>(d));
    p.Tick();
  }

  ModelBuilder b_;
  std::optional<MigrationGraph> graph_;
  FakeClock clock_;
  std::ostringstream log_text_;
  Log log_{LogFormat::kText, log_text_};
};

TEST_F(ProgressTest, StillRunningLineEveryThirtySecondsWhenNotATerminal) {
  ProgressPrinter p(*graph_, log_, clock_, nullptr);
  p.RunPlanned(2);
  p.MigrationStarted(0, "main");
  After(Seconds(29), p);
  EXPECT_EQ(log_text_.str().find("still running"), std::string::npos);
  After(Seconds(2), p);
  After(Seconds(10), p);
  After(Seconds(20), p);
  EXPECT_EQ(log_text_.str(),
            "  start  main  a:001  m001\n"
            "  still running  main  a:001  0:31\n"
            "  still running  main  a:001  1:01\n");
  p.MigrationFinished(0, "main", Status::Ok(), Millis(61'000));
  After(Seconds(60), p);
  EXPECT_EQ(log_text_.str().find("\033"), std::string::npos);  // no escape codes when piped
  EXPECT_NE(log_text_.str().find("  done   main  a:001  61.00 s\n"), std::string::npos);
}

TEST_F(ProgressTest, LiveLineIsRedrawnInPlaceOnATerminal) {
  std::ostringstream terminal;
  {
    ProgressPrinter p(*graph_, log_, clock_, &terminal);
    p.RunPlanned(2);
    p.MigrationStarted(0, "main");
    After(Seconds(2), p);
    p.MigrationFinished(0, "main", Status::Ok(), Millis(2000));
    p.MigrationStarted(1, "main");
    EXPECT_NE(terminal.str().find("\r\033[Klockstep: 0/2 migrations, running main:a:001, 0:02 "
                                  "elapsed"),
              std::string::npos)
        << terminal.str();
    EXPECT_NE(terminal.str().find("lockstep: 1/2 migrations, running main:a:002, 0:02 elapsed, "
                                  "about 0:02 left"),
              std::string::npos)
        << terminal.str();
  }
  // Gone when the run is: the terminal's last word is a cleared line.
  EXPECT_EQ(terminal.str().substr(terminal.str().size() - 4), "\r\033[K");
  EXPECT_EQ(log_text_.str().find("\033"), std::string::npos);
}

// The executor tells the observer what it will start, and ticks while it runs.
class CountingObserver : public ExecutionObserver {
 public:
  void RunPlanned(int migrations) override { planned = migrations; }
  void Tick() override { ++ticks; }
  int planned = -1;
  std::atomic<int> ticks{0};
};

TEST_F(ProgressTest, ExecutorTicksWhileMigrationsRun) {
  FakeCluster cluster;
  cluster.SetApplyDelay(Millis(100));
  CountingObserver observer;
  ExecutorOptions o;
  o.tick = Millis(10);
  o.handle_signals = false;
  Executor executor(*graph_, cluster.Factory(), &observer, o);
  ExecutionResult r = executor.Run({});
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(observer.planned, 2);
  EXPECT_GE(observer.ticks, 5);
}

}  // namespace
}  // namespace lockstep
