#include "manifests/environments.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <memory>

#include "graph/suggest.h"
#include "manifests/migration_files.h"
#include "manifests/yaml_file.h"

namespace lockstep {

namespace fs = std::filesystem;

std::vector<EnvironmentConfig> ReadEnvironments(const YAML::Node& node, const std::string& root,
                                                YamlFile* file) {
  std::vector<EnvironmentConfig> out;
  if (!node) return out;
  if (!node.IsMap()) {
    file->Error(node,
                "'environments' must be a mapping, e.g. {staging: {env_file: envs/staging.env}}");
    return out;
  }
  for (const auto& entry : node) {
    EnvironmentConfig env;
    env.name = entry.first.Scalar();
    env.line = YamlFile::Line(entry.first);
    const YAML::Node value = entry.second;
    if (!value.IsMap()) {
      file->Error(value, "environment '" + env.name + "' must be a mapping, e.g. {env_file: envs/" +
                             env.name + ".env}");
      continue;
    }
    file->CheckKeys(value, {"env_file"}, "environment '" + env.name + "'");
    auto path = file->Scalar(value, "env_file", true, "environment '" + env.name + "'");
    if (!path) continue;
    env.env_file =
        fs::path(*path).is_absolute() || root.empty() ? *path : (fs::path(root) / *path).string();
    out.push_back(std::move(env));
  }
  return out;
}

namespace {

bool IsKey(std::string_view key) {
  if (key.empty() || std::isdigit(static_cast<unsigned char>(key[0]))) return false;
  for (char c : key) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

}  // namespace

bool ReadEnvFile(const std::string& path, std::map<std::string, std::string>* vars,
                 Diagnostics* diag) {
  std::string text, error;
  if (!ReadWholeFile(path, &text, &error)) {
    diag->Error(path, 0, error);
    return false;
  }
  bool ok = true;
  int line = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view raw = Trim(std::string_view(text).substr(start, end - start));
    start = end + 1;
    ++line;
    if (raw.empty() || raw[0] == '#') continue;
    if (raw.substr(0, 7) == "export ") raw = Trim(raw.substr(7));
    size_t eq = raw.find('=');
    std::string_view key = eq == std::string_view::npos ? raw : Trim(raw.substr(0, eq));
    if (eq == std::string_view::npos || !IsKey(key)) {
      diag->Error(path, line,
                  "expected KEY=VALUE (a key of letters, digits and '_'), '# comment' or a blank "
                  "line");
      ok = false;
      continue;
    }
    std::string_view value = Trim(raw.substr(eq + 1));
    std::string out;
    if (!value.empty() && (value[0] == '\'' || value[0] == '"')) {
      char quote = value[0];
      size_t i = 1;
      bool closed = false;
      for (; i < value.size(); ++i) {
        char c = value[i];
        if (c == quote) {
          closed = true;
          break;
        }
        if (quote == '"' && c == '\\' && i + 1 < value.size()) {
          char n = value[++i];
          out += n == 'n' ? '\n' : n;
          continue;
        }
        out += c;
      }
      std::string_view rest = closed ? Trim(value.substr(i + 1)) : std::string_view();
      if (!closed || (!rest.empty() && rest[0] != '#')) {
        diag->Error(path, line,
                    std::string(key) + ": the value's " +
                        (closed ? "closing quote is followed "
                                  "by more text"
                                : "quote is not closed") +
                        " (the value is not shown)");
        ok = false;
        continue;
      }
    } else {
      // Unquoted: up to a " #" comment.
      size_t hash = value.find(" #");
      out = std::string(Trim(value.substr(0, hash)));
    }
    (*vars)[std::string(key)] = std::move(out);
  }
  return ok;
}

bool EnvironmentNamed(const std::string& config_path, const std::string& name,
                      const Environment& base, Environment* out, Diagnostics* diag) {
  YamlFile file(config_path, diag);
  YAML::Node root;
  if (!file.Load(&root, "; pass -c FILE or set LOCKSTEP_CONFIG")) return false;
  std::string folder = fs::path(config_path).parent_path().string();
  int errors = diag->error_count();
  std::vector<EnvironmentConfig> envs = ReadEnvironments(root["environments"], folder, &file);
  if (diag->error_count() > errors) return false;
  for (const EnvironmentConfig& env : envs) {
    if (env.name != name) continue;
    auto vars = std::make_shared<std::map<std::string, std::string>>();
    if (!ReadEnvFile(env.env_file, vars.get(), diag)) return false;
    *out = [vars, base](const std::string& key) -> std::optional<std::string> {
      if (auto it = vars->find(key); it != vars->end()) return it->second;
      return base(key);
    };
    return true;
  }
  std::vector<std::string_view> names;
  std::string list;
  for (const EnvironmentConfig& env : envs) {
    names.push_back(env.name);
    list += (list.empty() ? "" : ", ") + env.name;
  }
  diag->Error(config_path, 0,
              "no environment '" + name + "'" + DidYouMean(name, names) +
                  (envs.empty() ? "; the platform file has no 'environments:' section"
                                : "; environments: " + list));
  return false;
}

}  // namespace lockstep
