// The process environment as lockstep reads it: ${VAR} expansion in the
// platform file, LOCKSTEP_* settings, and keeping passwords out of output.
#ifndef LOCKSTEP_MANIFESTS_ENVIRONMENT_H_
#define LOCKSTEP_MANIFESTS_ENVIRONMENT_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace lockstep {

// Looks a variable up; nullopt when it is unset. A function so that tests can
// pass their own environment.
using Environment = std::function<std::optional<std::string>(const std::string&)>;

// The real process environment (getenv).
Environment ProcessEnvironment();

// Replaces each ${NAME} in `text` with its value. On an unset variable or a
// malformed ${...} returns false and sets *error, naming every unset one.
bool ExpandVariables(std::string_view text, const Environment& env, std::string* out,
                     std::string* error);

}  // namespace lockstep

#endif  // LOCKSTEP_MANIFESTS_ENVIRONMENT_H_
