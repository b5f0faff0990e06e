#include "testing/run_lockstep.h"

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "testing/platform_builder.h"

namespace lockstep {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string ShellQuoted(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

int Shell(const std::string& command, std::string* out) {
  TempPlatform scratch;
  std::string file = scratch.root() + "/out";
  int status = std::system((command + " >" + file).c_str());
  if (out) *out = Slurp(file);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Result RunLockstep(const std::string& args, const std::string& env) {
  TempPlatform scratch;  // a folder for the captured output
  std::string out = scratch.root() + "/out", err = scratch.root() + "/err";
  std::string command = "env -u LOCKSTEP_CONFIG " + env + " " + kLockstep + " " + args + " >" +
                        out + " 2>" + err + " </dev/null";
  int status = std::system(command.c_str());
  Result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = Slurp(out);
  r.err = Slurp(err);
  return r;
}

}  // namespace lockstep
