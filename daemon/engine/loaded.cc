#include "daemon/engine/loaded.h"

#include "manifests/loader.h"

namespace lockstep {

namespace {

std::string ConfigPath(const std::string& flag, const Environment& env) {
  if (!flag.empty()) return flag;
  if (auto value = env("LOCKSTEP_CONFIG"); value && !value->empty()) return *value;
  return "lockstep.yaml";
}

}  // namespace

Loaded LoadAndCheck(const CommonOptions& options, bool strict) {
  Loaded loaded;
  loaded.platform = std::make_unique<Platform>(
      LoadPlatform(ConfigPath(options.config_path, options.env), options.env, &loaded.diag));
  if (!loaded.diag.has_errors()) {
    MigrationGraph graph = MigrationGraph::Build(loaded.platform->model, &loaded.diag);
    if (strict) loaded.diag.MakeWarningsErrors();
    if (!loaded.diag.has_errors()) loaded.graph.emplace(std::move(graph));
  } else if (strict) {
    loaded.diag.MakeWarningsErrors();
  }
  return loaded;
}

}  // namespace lockstep
