// yaml-cpp access for one file, turning its exceptions and wrong types into
// diagnostics with line and column. Internal to manifests/.
#ifndef LOCKSTEP_MANIFESTS_YAML_FILE_H_
#define LOCKSTEP_MANIFESTS_YAML_FILE_H_

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/depthguard.h>
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
    if (int line = FirstNulLine(text)) {
      diag_->Error(path_, line, "holds a NUL byte; remove it");
      return false;
    }
    try {
      *root = YAML::Load(text);
    } catch (const YAML::DeepRecursion& e) {
      // yaml-cpp's own message for this is "bad file".
      diag_->Error(path_, e.mark.line + 1,
                   "invalid YAML: nested deeper than the YAML parser allows; lockstep's files "
                   "need a few levels",
                   e.mark.column + 1);
      return false;
    } catch (const YAML::Exception& e) {
      diag_->Error(path_, e.mark.line + 1, "invalid YAML: " + e.msg, e.mark.column + 1);
      return false;
    }
    if (!CheckDuplicateKeys(*root)) return false;
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
  std::optional<std::string> Scalar(const YAML::Node& map, const char* key, bool required,
                                    const std::string& where) {
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
  // yaml-cpp keeps every pair of a mapping, duplicates included, and answers
  // lookups with the first: a second `databases:` block would be silently
  // ignored. Reports each key seen twice in one mapping, anywhere.
  // Aliases are walked again at each use: a budget keeps a hostile file of
  // nested aliases ("billion laughs") from taking forever, and a depth limit
  // one that refers to itself (`a: &a [*a]`) from recursing without end.
  bool CheckDuplicateKeys(const YAML::Node& node, int depth = 0) {
    if (++visited_ > kVisitBudget || depth > kMaxDepth) return true;
    bool ok = true;
    if (node.IsSequence()) {
      for (const auto& item : node) ok &= CheckDuplicateKeys(item, depth + 1);
    } else if (node.IsMap()) {
      std::map<std::string, int> seen;  // key -> its first line
      for (const auto& entry : node) {
        if (entry.first.IsScalar()) {
          auto [it, inserted] = seen.emplace(entry.first.Scalar(), Line(entry.first));
          if (!inserted) {
            Error(entry.first, "duplicate key '" + it->first + "' (first on line " +
                                   std::to_string(it->second) +
                                   "); YAML keeps only one of them: merge them into one");
            ok = false;
          }
        }
        ok &= CheckDuplicateKeys(entry.second, depth + 1);
      }
    }
    return ok;
  }

  static constexpr int kVisitBudget = 1'000'000;
  static constexpr int kMaxDepth = 64;
  std::string path_;
  Diagnostics* diag_;
  int visited_ = 0;
};

}  // namespace lockstep

#endif  // LOCKSTEP_MANIFESTS_YAML_FILE_H_
