// Builds platforms on disk from inline text, as ninja's tests build graphs
// from inline manifests: a temporary folder that is removed afterwards.
#ifndef LOCKSTEP_TESTS_TESTING_PLATFORM_BUILDER_H_
#define LOCKSTEP_TESTS_TESTING_PLATFORM_BUILDER_H_

#include <map>
#include <string>

#include "graph/diagnostic.h"
#include "manifests/platform.h"

namespace lockstep {

class TempPlatform {
 public:
  TempPlatform();
  ~TempPlatform();
  TempPlatform(const TempPlatform&) = delete;
  TempPlatform& operator=(const TempPlatform&) = delete;

  // Writes `text` to `relative` under the root, creating folders.
  void Write(const std::string& relative, const std::string& text);
  // A lockstep.yaml with databases `dbs` ("a,b") and services/*/service.yaml.
  void WritePlatformFile(const std::string& dbs = "main");
  // services/<name>/service.yaml on database `db`.
  void WriteService(const std::string& name, const std::string& db = "main");
  // services/<service>/migrations/<file>.
  void WriteMigration(const std::string& service, const std::string& file, const std::string& sql);

  const std::string& root() const { return root_; }
  std::string config() const { return root_ + "/lockstep.yaml"; }
  // Path as diagnostics show it.
  std::string Path(const std::string& relative) const { return root_ + "/" + relative; }

  // Loads with an environment holding `env`.
  Platform Load(Diagnostics* diag, const std::map<std::string, std::string>& env = {}) const;

 private:
  std::string root_;
};

// Every diagnostic, one per line, with the root replaced by "ROOT".
std::string Describe(const Diagnostics& diag, const std::string& root);

}  // namespace lockstep

#endif  // LOCKSTEP_TESTS_TESTING_PLATFORM_BUILDER_H_
