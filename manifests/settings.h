// The `settings:` of the platform file and their LOCKSTEP_* overrides.
// Internal to manifests/.
#ifndef LOCKSTEP_MANIFESTS_SETTINGS_H_
#define LOCKSTEP_MANIFESTS_SETTINGS_H_

#include <string>
#include <string_view>

#include "graph/diagnostic.h"
#include "manifests/environment.h"
#include "manifests/platform.h"
#include "manifests/yaml_file.h"

namespace lockstep {

// A plain lower-case SQL identifier: [a-z_][a-z0-9_]*, at most 63 bytes.
bool IsIdentifier(std::string_view name);

// A schema name as settings and manifests take it; false with *error else.
bool ParseSchema(std::string_view text, std::string* out, std::string* error);

// The one place settings are filled in: defaults (in the struct), then the
// file's `settings:` (`node`, possibly absent), then LOCKSTEP_<NAME> from the
// environment. Problems go to `file` (with positions) or `diag`.
Settings ReadSettings(const YAML::Node& node, const Environment& env, YamlFile* file,
                      Diagnostics* diag);

}  // namespace lockstep

#endif  // LOCKSTEP_MANIFESTS_SETTINGS_H_
