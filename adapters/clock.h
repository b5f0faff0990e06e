// Time as lockstep's waits see it, beside the database interface: lock
// polling, `wait` and the daemon's backoff ask a Clock, so that tests of
// timeouts and backoff run in fake time.
#ifndef LOCKSTEP_ADAPTERS_CLOCK_H_
#define LOCKSTEP_ADAPTERS_CLOCK_H_

#include <chrono>

namespace lockstep {

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  virtual TimePoint Now() = 0;
  // Blocks the calling thread for `d` (a fake clock only moves its time on).
  virtual void SleepFor(std::chrono::milliseconds d) = 0;

  // The steady clock and std::this_thread::sleep_for. Thread-safe; lives for
  // the whole process.
  static Clock* Real();
};

}  // namespace lockstep

#endif  // LOCKSTEP_ADAPTERS_CLOCK_H_
