#include "testing/model_builder.h"

namespace lockstep {

int ModelBuilder::Service(const std::string& name, const std::string& database) {
  for (size_t i = 0; i < model_.services.size(); ++i) {
    if (model_.services[i].name == name) return static_cast<int>(i);
  }
  lockstep::Service s;
  s.name = name;
  s.database = database;
  s.manifest_path = "services/" + name + "/service.yaml";
  s.line = 1;
  model_.services.push_back(s);
  return static_cast<int>(model_.services.size()) - 1;
}

ModelBuilder& ModelBuilder::Migration(const std::string& id, std::vector<std::string> requires_ids,
                                      std::vector<std::string> parents, bool explicit_parents) {
  size_t colon = id.find(':');
  lockstep::Migration m;
  m.service = Service(id.substr(0, colon));
  m.version = *Version::Parse(id.substr(colon + 1));
  m.name = "m" + m.version.text();
  m.up_path = "services/" + id.substr(0, colon) + "/migrations/" + m.version.text() + "_" + m.name +
              ".up.sql";
  for (auto& r : requires_ids) m.requires_refs.push_back({r, 1, 0});
  for (auto& p : parents) m.parent_refs.push_back({p, 2, 0});
  m.has_parents_directive = explicit_parents || !parents.empty();
  model_.migrations.push_back(std::move(m));
  return *this;
}

std::string Ids(const Model& model, const std::vector<int>& migrations) {
  std::string out;
  for (int m : migrations) out += (out.empty() ? "" : " ") + model.IdOf(m);
  return out;
}

}  // namespace lockstep
