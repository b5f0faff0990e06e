#include "daemon/engine/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <map>

#include "adapters/connection_string.h"
#include "manifests/durations.h"
#include "manifests/loader.h"

extern char** environ;

namespace lockstep {
namespace {

constexpr size_t kKeepOutput = 64 * 1024;

}  // namespace

Status RunShell(const std::string& command,
                const std::vector<std::pair<std::string, std::string>>& env,
                std::chrono::milliseconds timeout, std::string* output) {
  output->clear();
  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls.
  std::map<std::string, std::string> vars;
  for (char** e = environ; *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq) vars[std::string(*e, eq - *e)] = eq + 1;
  }
  for (const auto& [k, v] : env) vars[k] = v;
  std::vector<std::string> strings;
  for (const auto& [k, v] : vars) strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (std::string& s : strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string sh = "/bin/sh", dash_c = "-c", cmd = command;
  char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};

  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) {
    return Status::Failed(std::string("cannot run the hook: pipe: ") + std::strerror(errno));
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    return Status::Failed(std::string("cannot run the hook: fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    ::dup2(pipefd[1], 1);
    ::dup2(pipefd[1], 2);
    // Signals the parent blocks or ignores (the executor's SIGINT/SIGTERM
    // handling) are not the hook's.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::execve(argv[0], argv, envp.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from here: no race with a kill below
  ::close(pipefd[1]);

  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  char buffer[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{pipefd[0], POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    ssize_t n = ::read(pipefd[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: every writer (the shell and what it started) is done
    output->append(buffer, static_cast<size_t>(n));
    if (output->size() > 2 * kKeepOutput) output->erase(0, output->size() - kKeepOutput);
  }
  if (output->size() > kKeepOutput) output->erase(0, output->size() - kKeepOutput);
  if (timed_out) {
    ::kill(-pid, SIGTERM);
    for (int i = 0; i < 20; ++i) {
      if (::waitpid(pid, nullptr, WNOHANG) == pid) {
        ::kill(-pid, SIGKILL);  // what it started, if anything is left
        pid = -1;
        break;
      }
      ::usleep(100'000);
    }
    if (pid > 0) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    ::close(pipefd[0]);
    return Status::Failed("did not finish within " + FormatDuration(timeout) +
                          " (settings.hooks.timeout); it was killed");
  }
  ::close(pipefd[0]);
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) return Status::Ok();
  if (WIFEXITED(wstatus)) {
    return Status::Failed("exited with status " + std::to_string(WEXITSTATUS(wstatus)));
  }
  return Status::Failed(std::string("was killed by signal ") + std::to_string(WTERMSIG(wstatus)));
}

const char* HookName(HookPhase phase) {
  return phase == HookPhase::kBeforeApply ? "before_apply" : "after_apply";
}

HookRunner MakeHookRunner(
    const Platform& platform, const Environment& env, const std::string& run_id,
    std::function<void(const std::string&, HookPhase, const std::string&)> say) {
  const Settings::Hooks& hooks = platform.settings.hooks;
  if (hooks.before_apply.empty() && hooks.after_apply.empty()) return nullptr;
  return [&platform, env, run_id, say](HookPhase phase, const std::string& database,
                                       const std::string& services) -> Status {
    const Settings::Hooks& hooks = platform.settings.hooks;
    const std::string& command =
        phase == HookPhase::kBeforeApply ? hooks.before_apply : hooks.after_apply;
    if (command.empty()) return Status::Ok();
    const DatabaseConfig* config = platform.FindDatabase(database);
    std::string url, error;
    if (!config || !ResolveDatabaseUrl(platform, *config, env, &url, &error)) {
      return Status::BadInput(error.empty() ? "no database '" + database + "'" : error);
    }
    std::vector<std::pair<std::string, std::string>> vars = LibpqEnvironment(url);
    vars.emplace_back("LOCKSTEP_DATABASE", database);
    vars.emplace_back("LOCKSTEP_RUN_ID", run_id);
    vars.emplace_back("LOCKSTEP_SERVICES", services);
    vars.emplace_back("LOCKSTEP_HOOK", HookName(phase));
    std::string output;
    Status status = RunShell(command, vars, hooks.timeout, &output);
    // The hook may print its environment: the password never reaches a log.
    std::vector<std::string> secrets;
    ConnectionStringProblem(url, &secrets);
    output = Scrub(output, secrets);
    if (say && !output.empty()) say(database, phase, output);
    if (status.ok()) return status;
    return Status::Failed(std::string("settings.hooks.") + HookName(phase) + " for database '" +
                          database + "' " + status.message());
  };
}

}  // namespace lockstep
