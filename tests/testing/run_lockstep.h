// Runs the lockstep binary as a user would, capturing exit code and output.
#ifndef LOCKSTEP_TESTS_TESTING_RUN_LOCKSTEP_H_
#define LOCKSTEP_TESTS_TESTING_RUN_LOCKSTEP_H_

#include <string>

namespace lockstep {

struct Result {
  int code = -1;
  std::string out, err;
};

// Runs `<binary> ARGS` through the shell with `env` ("A=1 B=2") added and
// LOCKSTEP_CONFIG removed. Args are trusted test strings.
Result RunLockstep(const std::string& args, const std::string& env = "");

// `text` as one word for /bin/sh, in single quotes: a checkout, a build folder
// or a temporary folder may hold a space (or a quote).
std::string ShellQuoted(const std::string& text);

// The binary, quoted for the shell: every test runs it through a command line.
inline const std::string kLockstep = ShellQuoted(LOCKSTEP_BINARY);

// Runs a shell command; returns its exit code and fills *out with stdout.
int Shell(const std::string& command, std::string* out = nullptr);

std::string Slurp(const std::string& path);

}  // namespace lockstep

#endif  // LOCKSTEP_TESTS_TESTING_RUN_LOCKSTEP_H_
