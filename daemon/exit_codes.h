// Exit codes of DESIGN.md; scripts and tests depend on them.
#ifndef LOCKSTEP_DAEMON_EXIT_CODES_H_
#define LOCKSTEP_DAEMON_EXIT_CODES_H_

#include "graph/status.h"

namespace lockstep {

enum ExitCode : int {
  kExitOk = 0,           // done, or nothing to do
  kExitFailed = 1,       // a migration or database operation failed
  kExitBadInput = 2,     // bad usage, configuration or graph
  kExitLockTimeout = 3,  // a database lock was not obtained in time
  kExitDrift = 4,        // drift or mismatch found
  kExitWaitTimeout = 5,  // `wait` timed out
};

// 0 for ok, 2 for bad input, 3 for a lock timeout, 1 for the rest.
inline int ExitCodeOf(const Status& status) {
  switch (status.code()) {
    case Status::Code::kOk:
      return kExitOk;
    case Status::Code::kBadInput:
      return kExitBadInput;
    case Status::Code::kLockTimeout:
      return kExitLockTimeout;
    case Status::Code::kFailed:
    case Status::Code::kCancelled:
      break;
  }
  return kExitFailed;
}

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_EXIT_CODES_H_
