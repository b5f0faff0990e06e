// Planning: which migrations are pending, in which waves and lanes, and — for
// the executor — which one may start next. Pure: no I/O, no threads, no clock.
#ifndef LOCKSTEP_GRAPH_PLAN_H_
#define LOCKSTEP_GRAPH_PLAN_H_

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace lockstep {

// Lanes: one per logical database; services that share a database share its
// lane, so their migrations run one after another there.
struct Lanes {
  std::vector<std::string> databases;  // lane index -> database, sorted
  std::vector<int> lane_of_migration;

  static Lanes Of(const MigrationGraph& graph);
};

// The migrations to apply: within `wanted` (all when empty), what is not in
// `applied`. `applied` is indexed by migration and may be empty (nothing
// applied, as `plan --offline` assumes).
std::vector<bool> PendingSet(const MigrationGraph& graph, const std::vector<bool>& wanted,
                             const std::vector<bool>& applied);

// Topological layers of the pending migrations: every migration of wave k has
// all its pending dependencies in waves before k. Within a wave, ordered by
// lane, then topological order. REQUIRES: the graph is acyclic.
std::vector<std::vector<int>> Waves(const MigrationGraph& graph, const std::vector<bool>& pending,
                                    const Lanes& lanes);

// The executor's view (ninja's Plan with a Pool of one slot per lane): what is
// wanted, what is done, what is ready. Not thread-safe: the scheduler keeps it
// on one strand.
class Plan {
 public:
  // kApply: a migration is ready once its dependencies are done. kRollback:
  // once every migration that depends on it is done (dependents first).
  enum class Direction { kApply, kRollback };

  // kStop: the first failure stops every lane. kContinue: a failure stops
  // its own lane (and what needs what is left there); the others go on.
  enum class OnFailure { kStop, kContinue };

  Plan(const MigrationGraph& graph, std::vector<bool> pending, Lanes lanes,
       Direction direction = Direction::kApply, OnFailure on_failure = OnFailure::kStop);

  // A migration whose dependencies are all applied and whose lane is idle,
  // now marked running; nullopt when none can start now (or, after a
  // failure, ever again).
  std::optional<int> NextReady();
  // The same, among lanes for which `may_start(lane)` holds (a lane whose
  // lock can be taken now, say).
  std::optional<int> NextReady(const std::function<bool(int lane)>& may_start);
  // Whether a migration of `lane` is ready (waiting only for the lane or a
  // slot, not for a dependency).
  bool ReadyOn(int lane) const;

  // Reports the end of a running migration. On failure nothing new starts.
  void Finished(int migration, bool ok);

  // The migrations of running `m`'s lane that can follow it there, in the
  // order NextReady would start them, if `m` and each of them before it
  // succeed and nothing else finishes: up to `max`, while
  // `may_join(migration)` holds. They are set aside for the lane: none of
  // them becomes ready for NextReady; each starts with StartChained once the
  // one before it finished, and Unchain gives back those that will not.
  std::vector<int> Chain(int m, size_t max, const std::function<bool(int migration)>& may_join);
  // Starts chained `m`, whose dependencies are done. REQUIRES: its lane is
  // idle.
  void StartChained(int m);
  // Gives chained `m` back: ready again when its dependencies are done.
  void Unchain(int m);

  int running() const { return running_; }
  int remaining() const { return remaining_; }
  // True once a failure stops everything (kStop).
  bool failed() const { return failed_; }
  // Lanes stopped by a failure (kContinue).
  bool dead(int lane) const { return lane_dead_[lane]; }
  // True when nothing runs and nothing more will start.
  bool done() const;

 private:
  // What must be done before `m` may start, in this plan's direction.
  std::vector<int> Before(int m) const;
  std::vector<int> After(int m) const;

  const MigrationGraph& graph_;
  Direction direction_;
  std::vector<bool> pending_;
  Lanes lanes_;
  std::vector<int> rank_;                // topological position, for ready order
  std::vector<int> missing_;             // pending dependencies not yet finished
  std::set<std::pair<int, int>> ready_;  // (rank, migration)
  std::vector<bool> chained_;            // set aside by Chain
  OnFailure on_failure_;
  std::vector<bool> lane_busy_;
  std::vector<bool> lane_dead_;
  int running_ = 0;
  int remaining_ = 0;
  bool failed_ = false;
};

}  // namespace lockstep

#endif  // LOCKSTEP_GRAPH_PLAN_H_
