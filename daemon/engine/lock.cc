#include "daemon/engine/lock.h"

#include <algorithm>

#include "daemon/engine/backoff.h"
#include "manifests/durations.h"

namespace lockstep {

Status TakeLock(Database& db, const std::string& name, std::chrono::milliseconds timeout,
                Clock& clock, const std::function<void(const LockHolder&)>& waiting,
                const std::atomic<bool>* stop) {
  auto deadline = clock.Now() + timeout;
  Backoff delays(std::chrono::milliseconds(50), std::chrono::milliseconds(1000));
  for (bool told = false;; told = true) {
    bool acquired = false;
    LockHolder holder;
    if (Status s = db.TryLock(&acquired, &holder); !s.ok()) return s;
    if (acquired) return Status::Ok();
    if (stop && *stop) {
      return Status::Cancelled("stopped while waiting for the lock of database '" + name + "'");
    }
    auto now = clock.Now();
    if (now >= deadline) {
      return Status::LockTimeout("database '" + name + "': the migration lock is held by " +
                                 holder.ToString() + "; gave up after " + FormatDuration(timeout) +
                                 " (settings.lock_timeout, LOCKSTEP_LOCK_TIMEOUT)");
    }
    if (!told && waiting) waiting(holder);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    clock.SleepFor(std::min(delays.Next(), left));
  }
}

}  // namespace lockstep
