// environments: the same platform with other variable bindings (dev,
// staging, production), each an env_file of KEY=VALUE lines read before the
// process environment. `--env NAME` picks one; `compare` reads several.
#ifndef LOCKSTEP_MANIFESTS_ENVIRONMENTS_H_
#define LOCKSTEP_MANIFESTS_ENVIRONMENTS_H_

#include <map>
#include <string>
#include <vector>

#include "graph/diagnostic.h"
#include "manifests/environment.h"

namespace YAML {
class Node;
}

namespace lockstep {

class YamlFile;

struct EnvironmentConfig {
  std::string name;
  std::string env_file;  // as the user would open it (relative to the platform file's folder)
  int line = 0;          // of its entry in the platform file
};

// The `environments:` mapping of a platform file (`root` its folder), checked
// as it is read: errors go to `file`.
std::vector<EnvironmentConfig> ReadEnvironments(const YAML::Node& node, const std::string& root,
                                                YamlFile* file);

// Reads an env file: KEY=VALUE lines, '#' comments and blank lines, an
// optional `export ` before a key, values optionally in single quotes (as
// written) or double quotes (\" \\ \n \$ unescaped). No ${VAR} expansion.
// Errors name the file and line and never show a value.
bool ReadEnvFile(const std::string& path, std::map<std::string, std::string>* vars,
                 Diagnostics* diag);

// The environment named `name` of the platform file `config_path`: its env
// file's variables, then `base` for the rest. False (with the reason in
// `diag`: an unknown name with a did-you-mean and the names there are, a
// missing or malformed file) when it cannot.
bool EnvironmentNamed(const std::string& config_path, const std::string& name,
                      const Environment& base, Environment* out, Diagnostics* diag);

}  // namespace lockstep

#endif  // LOCKSTEP_MANIFESTS_ENVIRONMENTS_H_
