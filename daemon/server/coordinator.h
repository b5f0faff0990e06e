// Several `serve` replicas, one leader (settings.coordination): the replica
// that holds a lock of its own on the coordination database runs rounds and
// changes; the others serve reads.
//
// The lock is a session advisory lock with a key of its own (never the
// migration lock's), or with `lock: lease` a lease row in
// <history_schema>_leader. A thread polls for it every `interval`
// (lock_timeout / 6, between 100 ms and 1 s) and, once leading, checks every
// interval that it still holds it.
//
// No two leaders at any moment: a leader counts as one only while its last
// successful check is less than 2 intervals old (a hung connection steps it
// down as surely as a failed one), and a follower that takes the lock waits 3
// intervals, still holding it, before it leads: by then any old leader, whose
// session the server has ended, has stopped counting itself as one.
#ifndef LOCKSTEP_DAEMON_SERVER_COORDINATOR_H_
#define LOCKSTEP_DAEMON_SERVER_COORDINATOR_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "adapters/database.h"

namespace lockstep {

class Coordinator {
 public:
  // `open` makes a connection to the coordination database with the leader's
  // lock (a new one after each loss); `on_change` is told (on the
  // coordinator's thread) when this replica starts or stops leading.
  Coordinator(std::function<std::unique_ptr<Database>()> open, std::chrono::milliseconds interval,
              bool lease, std::function<void(bool leading)> on_change);
  ~Coordinator();  // stops; a held lock goes with its connection

  void Start();
  void Stop();

  // Whether this replica leads now (see the header comment). Any thread.
  bool leading() const;
  // Who leads, as the lock's holder shows it ("pid 123 (lockstep/serve-web-1,
  // from 10.0.0.5, since ...)"), when another replica does; else empty.
  std::string leader() const;

 private:
  void Loop();
  // Waits `d` or until stopped; false when stopped.
  bool Sleep(std::chrono::milliseconds d);
  // Whether the lock is still ours: the session answers (advisory) or the
  // lease is still ours (lease).
  bool StillHeld();

  std::function<std::unique_ptr<Database>()> open_;
  std::chrono::milliseconds interval_;
  bool lease_;
  std::function<void(bool)> on_change_;

  std::unique_ptr<Database> db_;  // the coordinator thread's only
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool holding_ = false;  // leads, as far as the checks go
  std::chrono::steady_clock::time_point last_check_;
  std::string leader_;
  std::thread thread_;
};

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_SERVER_COORDINATOR_H_
