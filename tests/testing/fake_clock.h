// A Clock whose time moves only when something sleeps on it: timeouts and
// backoff tested in fake time.
#ifndef LOCKSTEP_TESTS_TESTING_FAKE_CLOCK_H_
#define LOCKSTEP_TESTS_TESTING_FAKE_CLOCK_H_

#include <functional>
#include <mutex>
#include <vector>

#include "adapters/clock.h"

namespace lockstep {

class FakeClock : public Clock {
 public:
  using Millis = std::chrono::milliseconds;

  TimePoint Now() override {
    std::lock_guard<std::mutex> lock(mu_);
    return start_ + elapsed_;
  }
  // Moves time on by `d`, then calls the hook with the number of sleeps so far.
  void SleepFor(Millis d) override {
    std::function<void(int)> hook;
    int n;
    {
      std::lock_guard<std::mutex> lock(mu_);
      sleeps_.push_back(d);
      elapsed_ += d;
      hook = on_sleep_;
      n = static_cast<int>(sleeps_.size());
    }
    if (hook) hook(n);
  }

  void OnSleep(std::function<void(int sleeps)> hook) { on_sleep_ = std::move(hook); }
  std::vector<Millis> sleeps() const {
    std::lock_guard<std::mutex> lock(mu_);
    return sleeps_;
  }
  Millis elapsed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return elapsed_;
  }

 private:
  mutable std::mutex mu_;
  TimePoint start_ = std::chrono::steady_clock::now();
  Millis elapsed_{0};
  std::vector<Millis> sleeps_;
  std::function<void(int)> on_sleep_;
};

}  // namespace lockstep

#endif  // LOCKSTEP_TESTS_TESTING_FAKE_CLOCK_H_
