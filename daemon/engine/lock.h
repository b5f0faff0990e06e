// Taking a database's migration lock, as DESIGN.md's lock protocol says.
#ifndef LOCKSTEP_DAEMON_ENGINE_LOCK_H_
#define LOCKSTEP_DAEMON_ENGINE_LOCK_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include "adapters/clock.h"
#include "adapters/database.h"

namespace lockstep {

// Polls for the lock of `db` (the logical database `name`): short
// pg_try_advisory_lock attempts with backoff (50 ms doubling to 1 s), never a
// blocking wait inside a transaction, which would hold a snapshot that
// CREATE INDEX CONCURRENTLY in the holder's run waits on forever.
// `waiting` is told the holder once, when the first attempt fails. After
// `timeout` a LockTimeout naming the holder; Cancelled when *stop turns true.
Status TakeLock(Database& db, const std::string& name, std::chrono::milliseconds timeout,
                Clock& clock, const std::function<void(const LockHolder&)>& waiting = nullptr,
                const std::atomic<bool>* stop = nullptr);

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_ENGINE_LOCK_H_
