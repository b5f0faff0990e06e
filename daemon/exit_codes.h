// Exit codes of DESIGN.md; scripts and tests depend on them.
#ifndef LOCKSTEP_DAEMON_EXIT_CODES_H_
#define LOCKSTEP_DAEMON_EXIT_CODES_H_

namespace lockstep {

enum ExitCode : int {
  kExitOk = 0,           // done, or nothing to do
  kExitFailed = 1,       // a migration or database operation failed
  kExitBadInput = 2,     // bad usage, configuration or graph
  kExitLockTimeout = 3,  // a database lock was not obtained in time
  kExitDrift = 4,        // drift or mismatch found
  kExitWaitTimeout = 5,  // `wait` timed out
};

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_EXIT_CODES_H_
