// Growing delays between retries: lock polls, `wait`'s history reads, the
// daemon's refresh of a database that went away.
#ifndef LOCKSTEP_DAEMON_ENGINE_BACKOFF_H_
#define LOCKSTEP_DAEMON_ENGINE_BACKOFF_H_

#include <algorithm>
#include <chrono>

namespace lockstep {

class Backoff {
 public:
  using Millis = std::chrono::milliseconds;

  // Delays start at `first` and grow by `percent` (200: doubling) after each
  // use, up to `most`.
  Backoff(Millis first, Millis most, int percent = 200)
      : first_(first), most_(most), percent_(percent), next_(std::min(first, most)) {}

  // The delay to wait now; the next one grows.
  Millis Next() {
    Millis now = next_;
    next_ = std::min(Millis(next_.count() * percent_ / 100), most_);
    return now;
  }
  // After a success: start again from `first`.
  void Reset() { next_ = std::min(first_, most_); }
  void set_most(Millis most) {
    most_ = most;
    next_ = std::min(next_, most_);
  }

 private:
  Millis first_, most_;
  int percent_;
  Millis next_;
};

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_ENGINE_BACKOFF_H_
