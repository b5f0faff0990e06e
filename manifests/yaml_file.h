// yaml-cpp access for one file, turning its exceptions and wrong types into
// diagnostics with line and column. Internal to manifests/.
#ifndef LOCKSTEP_MANIFESTS_YAML_FILE_H_
#define LOCKSTEP_MANIFESTS_YAML_FILE_H_

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "graph/diagnostic.h"
#include "graph/suggest.h"
#include "manifests/migration_files.h"

namespace lockstep {

class YamlFile {
 public:
  YamlFile(std::string path, Diagnostics* diag) : path_(std::move(path)), diag_(diag) {}

  const std::string& path() const { return path_; }

  // Reads and parses the file; false (with a diagnostic) when it cannot.
  bool Load(YAML::Node* root, const char* hint = "") {
    std::string text, error;
    if (!ReadWholeFile(path_, &text, &error)) {
      diag_->Error(path_, 0, error + hint);
      return false;
    }
    if (int bad = FirstInvalidUtf8Line(text)) {
      diag_->Error(path_, bad, "not valid UTF-8; save the file as UTF-8");
      return false;
    }
    try {
      *root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      diag_->Error(path_, e.mark.line + 1, "invalid YAML: " + e.msg, e.mark.column + 1);
      return false;
    }
    if (!root->IsMap()) {
      Error(*root, "expected a mapping of keys to values at the top of the file");
      return false;
    }
    return true;
  }

  void Error(const YAML::Node& node, const std::string& message) {
    diag_->Error(path_, Line(node), message, Column(node));
  }
  void Warning(const YAML::Node& node, const std::string& message) {
    diag_->Warning(path_, Line(node), message, Column(node));
  }

  static int Line(const YAML::Node& node) {
    return node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
  }
  static int Column(const YAML::Node& node) {
    return node.Mark().column >= 0 ? node.Mark().column + 1 : 0;
  }

  // Reports keys of `map` that are not in `known`, with a "did you mean".
  void CheckKeys(const YAML::Node& map, const std::vector<std::string_view>& known,
                 const std::string& where) {
    for (const auto& entry : map) {
      std::string key = entry.first.Scalar();
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      Error(entry.first, "unknown key '" + key + "' in " + where + DidYouMean(key, known));
    }
  }

  // The scalar at `map[key]`: nullopt (and an error when `required`) if it is
  // missing, or if it is not a scalar.
  std::optional<std::string> Scalar(const YAML::Node& map, const char* key,
                                    bool required, const std::string& where) {
    YAML::Node node = map[key];
    if (!node) {
      if (required) Error(map, where + " needs '" + key + "'");
      return std::nullopt;
    }
    if (!node.IsScalar()) {
      Error(node, "'" + std::string(key) + "' must be a single value");
      return std::nullopt;
    }
    return node.Scalar();
  }

 private:
  std::string path_;
  Diagnostics* diag_;
};

}  // namespace lockstep

#endif  // LOCKSTEP_MANIFESTS_YAML_FILE_H_
