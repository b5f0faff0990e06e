// Builds graph models in memory for the pure graph and plan tests.
#ifndef LOCKSTEP_TESTS_TESTING_MODEL_BUILDER_H_
#define LOCKSTEP_TESTS_TESTING_MODEL_BUILDER_H_

#include <string>
#include <vector>

#include "graph/model.h"

namespace lockstep {

class ModelBuilder {
 public:
  // Adds a service (once) and returns its index.
  int Service(const std::string& name, const std::string& database = "main");

  // Adds "service:version" with `requires` ids and, when given, explicit
  // parents (bare versions); the directives sit on lines 1 and 2.
  ModelBuilder& Migration(const std::string& id, std::vector<std::string> requires_ids = {},
                          std::vector<std::string> parents = {}, bool explicit_parents = false);

  const Model& model() const { return model_; }

 private:
  Model model_;
};

// Ids of `migrations` in order: "a:001 b:002".
std::string Ids(const Model& model, const std::vector<int>& migrations);

}  // namespace lockstep

#endif  // LOCKSTEP_TESTS_TESTING_MODEL_BUILDER_H_
