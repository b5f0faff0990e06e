// settings.hooks: a shell command run per database before its first and
// after its last migration of an apply (a pg_dump backup, a check), with
// libpq's environment pointing at that database so no password is ever on a
// command line.
#ifndef LOCKSTEP_DAEMON_ENGINE_HOOKS_H_
#define LOCKSTEP_DAEMON_ENGINE_HOOKS_H_

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "graph/status.h"
#include "manifests/environment.h"
#include "manifests/platform.h"

namespace lockstep {

// Runs `command` with /bin/sh -c in its own process group, with `env` added
// to (or replacing in) this process's environment, stdin from /dev/null.
// Its output (stdout and stderr together, the last 64 KiB) goes to *output.
// Failed when it exits non-zero, dies of a signal, or outlives `timeout`
// (then its whole process group is killed: SIGTERM, then SIGKILL 2 s later).
Status RunShell(const std::string& command,
                const std::vector<std::pair<std::string, std::string>>& env,
                std::chrono::milliseconds timeout, std::string* output);

enum class HookPhase { kBeforeApply, kAfterApply };
const char* HookName(HookPhase phase);  // "before_apply"

// Runs the hook of `phase` for `database` (a logical name, "tenant/acme" for
// a member), whose pending services this run are `services` (comma-
// separated). Blocking; any thread. Ok when the platform has no such hook.
using HookRunner = std::function<Status(HookPhase phase, const std::string& database,
                                        const std::string& services)>;

// The hooks of settings.hooks for run `run_id`, the database URLs resolved
// with `env`; each hook's output handed to `say` (database, phase, output)
// when it is not empty. An empty function when the platform has no hooks.
HookRunner MakeHookRunner(
    const Platform& platform, const Environment& env, const std::string& run_id,
    std::function<void(const std::string&, HookPhase, const std::string&)> say);

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_ENGINE_HOOKS_H_
