#include "manifests/loader.h"

#include "manifests/environments.h"

#include <glob.h>

// Asio 1.18 uses std::exchange without including <utility>.
#include <utility>

#include <algorithm>
#include <filesystem>
#include <set>
#include <thread>

#include <yaml-cpp/yaml.h>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include "graph/suggest.h"
#include "manifests/migration_files.h"
#include "manifests/settings.h"
#include "manifests/yaml_file.h"

namespace lockstep {
namespace {

namespace fs = std::filesystem;

bool IsServiceName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && c == '-');
    if (!ok) return false;
  }
  return true;
}

TenantSource ReadTenantSource(const std::string& set, const YAML::Node& node, YamlFile* file) {
  TenantSource source;
  source.line = YamlFile::Line(node);
  std::string where = "tenants of database set '" + set + "'";
  if (!node.IsMap()) {
    file->Error(node, where +
                          " must be { file: tenants.txt }, { list: [a, b] } or "
                          "{ query: \"SELECT ...\", database: NAME }");
    return source;
  }
  file->CheckKeys(node, {"file", "list", "query", "database"}, where);
  int kinds = !!node["file"] + !!node["list"] + !!node["query"];
  if (kinds != 1) {
    file->Error(node, where + " need exactly one of 'file', 'list' and 'query'");
    source.kind = TenantSource::Kind::kList;  // still a set, with no member
    return source;
  }
  if (node["list"]) {
    source.kind = TenantSource::Kind::kList;
    if (!node["list"].IsSequence()) {
      file->Error(node["list"], where + ": 'list' must be a list of names, e.g. [acme, globex]");
      return source;
    }
    for (const auto& item : node["list"]) {
      if (!item.IsScalar()) {
        file->Error(item, where + ": each entry of 'list' must be a name");
        continue;
      }
      source.list.push_back(item.Scalar());
    }
  } else if (node["file"]) {
    source.kind = TenantSource::Kind::kFile;
    source.file = file->Scalar(node, "file", true, where).value_or("");
  } else {
    source.kind = TenantSource::Kind::kQuery;
    source.query = file->Scalar(node, "query", true, where).value_or("");
    source.database = file->Scalar(node, "database", true, where).value_or("");
  }
  if (source.kind != TenantSource::Kind::kQuery && node["database"]) {
    file->Error(node["database"], where + ": 'database' goes with 'query' only");
  }
  return source;
}

std::vector<DatabaseConfig> ReadDatabases(const YAML::Node& node, YamlFile* file) {
  std::vector<DatabaseConfig> out;
  if (!node) {
    file->Error(node,
                "the platform file needs 'databases': logical names with a url or url_file each");
    return out;
  }
  if (!node.IsMap()) {
    file->Error(node, "'databases' must map logical names to { url: ... } or { url_file: ... }");
    return out;
  }
  for (const auto& entry : node) {
    DatabaseConfig db;
    db.name = entry.first.Scalar();
    db.line = YamlFile::Line(entry.first);
    const YAML::Node& value = entry.second;
    if (!IsIdentifier(db.name) && !IsServiceName(db.name)) {
      file->Error(entry.first, "database name '" + db.name +
                                   "' must be lower-case letters, digits, '_' and '-'");
    }
    if (!value.IsMap()) {
      file->Error(value, "database '" + db.name + "' must be { url: ... } or { url_file: ... }");
      continue;
    }
    file->CheckKeys(value, {"url", "url_file", "tenants"}, "database '" + db.name + "'");
    db.url = file->Scalar(value, "url", false, "").value_or("");
    db.url_file = file->Scalar(value, "url_file", false, "").value_or("");
    if (db.url.empty() == db.url_file.empty()) {
      file->Error(value, "database '" + db.name + "' needs exactly one of 'url' and 'url_file'");
    }
    if (value["tenants"]) {
      db.tenants = ReadTenantSource(db.name, value["tenants"], file);
      if (!db.url_file.empty()) {
        file->Error(value["url_file"], "database set '" + db.name +
                                           "' needs 'url' (with {tenant} for a database per "
                                           "member), not 'url_file'");
      }
    } else if (db.url.find("{tenant}") != std::string::npos) {
      file->Error(value["url"], "database '" + db.name +
                                    "' has {tenant} in its url but no 'tenants:'; add "
                                    "tenants: { file: tenants.txt } (or list:, or query:)");
    }
    std::string expanded, error;
    auto any = [](const std::string&) -> std::optional<std::string> { return ""; };
    if (!ExpandVariables(db.url + db.url_file, any, &expanded, &error)) {
      file->Error(value, "database '" + db.name + "': " + error);
    }
    out.push_back(std::move(db));
  }
  for (const DatabaseConfig& db : out) {
    if (db.tenants.kind != TenantSource::Kind::kQuery || db.tenants.database.empty()) continue;
    auto source = std::find_if(out.begin(), out.end(), [&](const DatabaseConfig& other) {
      return other.name == db.tenants.database;
    });
    if (source == out.end() || source->is_set()) {
      file->Error(node[db.name]["tenants"]["database"],
                  "tenants of database set '" + db.name + "': '" + db.tenants.database +
                      "' is not a plain database of this platform; the query runs on one "
                      "of the databases defined here, not on a set");
    }
  }
  return out;
}

// The manifests that `services:` names, in order, each once.
std::vector<std::string> ExpandServiceGlobs(const YAML::Node& node, const std::string& root,
                                            YamlFile* file) {
  std::vector<std::string> out;
  if (!node || !node.IsSequence() || node.size() == 0) {
    file->Error(node,
                "'services' must list service manifests (globs allowed), e.g. "
                "- services/*/service.yaml");
    return out;
  }
  std::set<std::string> seen;
  for (const auto& item : node) {
    if (!item.IsScalar()) {
      file->Error(item, "each entry of 'services' must be a path or a glob");
      continue;
    }
    std::string pattern = (fs::path(root) / item.Scalar()).lexically_normal().string();
    glob_t matches{};
    int rc = ::glob(pattern.c_str(), GLOB_ERR, nullptr, &matches);
    // GLOB_ABORTED: a folder of the pattern does not exist, which means the
    // same to the user as no match.
    if (rc == GLOB_NOMATCH || rc == GLOB_ABORTED || (rc == 0 && matches.gl_pathc == 0)) {
      file->Error(item, "'" + item.Scalar() + "' matches no service manifest");
    } else if (rc != 0) {
      file->Error(item, "cannot expand '" + item.Scalar() + "'");
    } else {
      for (size_t i = 0; i < matches.gl_pathc; ++i) {
        std::string path = fs::path(matches.gl_pathv[i]).lexically_normal().string();
        if (seen.insert(path).second) out.push_back(path);
      }
    }
    globfree(&matches);
  }
  return out;
}

struct ServiceEntry {
  Service service;
  std::string folder;  // migrations folder; empty if unusable
};

std::optional<ServiceEntry> ReadServiceManifest(const std::string& path, const Platform& platform,
                                                Diagnostics* diag) {
  YamlFile file(path, diag);
  YAML::Node root;
  if (!file.Load(&root)) return std::nullopt;
  file.CheckKeys(root, {"service", "database", "schema", "migrations"}, "a service manifest");
  ServiceEntry entry;
  Service& s = entry.service;
  s.manifest_path = path;
  s.line = YamlFile::Line(root["service"]);
  auto name = file.Scalar(root, "service", true, "a service manifest");
  auto database = file.Scalar(root, "database", true, "a service manifest");
  auto schema = file.Scalar(root, "schema", false, "");
  auto folder = file.Scalar(root, "migrations", false, "").value_or("migrations");
  if (name && !IsServiceName(*name)) {
    file.Error(root["service"], "service name '" + *name +
                                    "' must be lower-case letters, digits and '-', "
                                    "starting with a letter or digit");
  }
  s.name = name.value_or("");
  if (database && !platform.FindDatabase(*database)) {
    std::vector<std::string_view> names;
    std::string list;
    for (const auto& db : platform.databases) {
      names.push_back(db.name);
      list += (list.empty() ? "" : ", ") + db.name;
    }
    file.Error(root["database"], "unknown database '" + *database + "'" +
                                     DidYouMean(*database, names) +
                                     "; the platform file defines: " + list);
  }
  s.database = database.value_or("");
  std::string error;
  const DatabaseConfig* db = platform.FindDatabase(s.database);
  bool on_set = db && db->is_set();
  if (schema) {
    // On a set, "tenant_{tenant}" names each member's schema; checked here
    // with a sample name, and with every real name when the set is expanded.
    std::string sample = *schema;
    bool templated = sample.find("{tenant}") != std::string::npos;
    if (templated) sample.replace(sample.find("{tenant}"), 8, "x");
    if (templated && !on_set) {
      file.Error(root["schema"], "schema: {tenant} is for services on a database set, and '" +
                                     s.database + "' is not one");
    } else if (!ParseSchema(sample, &s.schema, &error)) {
      file.Error(root["schema"], "schema: " + error);
    } else {
      s.schema = *schema;
    }
  }
  if (on_set && db->schema_members() && s.schema.find("{tenant}") == std::string::npos) {
    file.Error(root["schema"] ? root["schema"] : root["database"],
               "database set '" + s.database +
                   "' has no {tenant} in its url, so its members are schemas of one database: "
                   "give this service schema: \"" +
                   (s.schema.empty() ? s.database : s.schema) + "_{tenant}\"");
  }
  fs::path dir = fs::path(path).parent_path();
  std::string migrations = (dir / folder).lexically_normal().string();
  YAML::Node where = root["migrations"] ? root["migrations"] : root;
  std::error_code ec;
  fs::path canonical_root = fs::weakly_canonical(platform.root.empty() ? "." : platform.root, ec);
  fs::path canonical = fs::weakly_canonical(migrations, ec);
  std::string relative = canonical.lexically_relative(canonical_root).string();
  if (relative.empty() || relative.starts_with("..")) {
    file.Error(where, "migrations folder '" + folder +
                          "' is outside the platform root; keep it under the folder of " +
                          platform.config_path);
  } else if (!fs::is_directory(migrations, ec)) {
    file.Error(where, "migrations folder '" + migrations + "' does not exist");
  } else {
    entry.folder = migrations;
    s.folder = migrations;
  }
  return entry;
}

// Runs body(i) for every service entry with a folder, a few at a time.
template <typename F>
void ForEachFolder(const std::vector<ServiceEntry>& entries, F&& body) {
  size_t threads = std::min<size_t>(std::max(1u, std::thread::hardware_concurrency()),
                                    std::max<size_t>(entries.size(), 1));
  boost::asio::thread_pool pool(threads);
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!entries[i].folder.empty()) boost::asio::post(pool, [&body, i] { body(i); });
  }
  pool.join();
}

// Reads every service's migrations folder, a few services at a time. Each
// folder's migrations are built in place, in the model's slots for that
// folder (as many as it has up files, counted first), so that no migration
// is ever held twice: a vector per folder moved into the model afterwards
// doubled the peak of memory (35 MB at 100,000 migrations).
void LoadFolders(const std::vector<ServiceEntry>& entries, const std::string& root, Model* model,
                 Diagnostics* diag, bool keep_statements) {
  const size_t n = entries.size();
  std::vector<size_t> first(n + 1, model->migrations.size()), used(n, 0);
  std::vector<std::vector<Migration>> extra(n);  // files added after the count
  std::vector<Diagnostics> diags(n);
  std::vector<size_t> slots(n, 0);
  ForEachFolder(entries, [&](size_t i) { slots[i] = CountUpFiles(entries[i].folder); });
  for (size_t i = 0; i < n; ++i) first[i + 1] = first[i] + slots[i];
  model->migrations.resize(first[n]);  // one buffer, allocated once
  ForEachFolder(entries, [&](size_t i) {
    LoadMigrationFolder(static_cast<int>(i), entries[i].folder, root, &diags[i], keep_statements,
                        [&, i](Migration&& m) {
                          if (used[i] < slots[i]) {
                            model->migrations[first[i] + used[i]++] = std::move(m);
                          } else {
                            extra[i].push_back(std::move(m));
                          }
                        });
  });
  // Closes the gaps of migrations that were not built (files with errors),
  // moving each down within the buffer, folder after folder.
  size_t end = first[0];
  for (size_t i = 0; i < n; ++i) {
    if (!entries[i].folder.empty() && used[i] + extra[i].size() == 0 && !diags[i].has_errors()) {
      const Service& s = entries[i].service;
      diag->Warning(s.manifest_path, s.line,
                    "service '" + s.name + "' has no migrations in " + entries[i].folder);
    }
    diag->Append(diags[i]);
    for (size_t k = 0; k < used[i]; ++k, ++end) {
      if (end != first[i] + k) model->migrations[end] = std::move(model->migrations[first[i] + k]);
    }
    if (!extra[i].empty()) {
      model->migrations.insert(model->migrations.begin() + static_cast<ptrdiff_t>(end),
                               std::make_move_iterator(extra[i].begin()),
                               std::make_move_iterator(extra[i].end()));
      end += extra[i].size();
      // The slots after it moved as far: shift where the later folders begin.
      for (size_t j = i + 1; j <= n; ++j) first[j] += extra[i].size();
    }
  }
  model->migrations.resize(end);
}

}  // namespace

Platform LoadPlatform(const std::string& config_path, const Environment& env, Diagnostics* diag,
                      bool keep_statements) {
  Platform platform;
  platform.config_path = config_path;
  platform.root = fs::path(config_path).parent_path().string();
  YamlFile file(config_path, diag);
  YAML::Node root;
  if (!file.Load(&root, "; pass -c FILE or set LOCKSTEP_CONFIG")) return platform;
  file.CheckKeys(root, {"version", "services", "databases", "settings", "environments"},
                 "the platform file");
  auto version = file.Scalar(root, "version", true, "the platform file");
  if (version && *version != "1") {
    file.Error(root["version"],
               "unsupported version '" + *version + "'; this lockstep reads version: 1");
  }
  platform.databases = ReadDatabases(root["databases"], &file);
  platform.settings = ReadSettings(root["settings"], env, &file, diag);
  platform.environments = ReadEnvironments(root["environments"], platform.root, &file);
  if (const std::string& name = platform.settings.coordination; !name.empty()) {
    const DatabaseConfig* db = platform.FindDatabase(name);
    if (!db || db->is_set()) {
      YAML::Node where = root["settings"]["coordination"];
      file.Error(where ? where : root, "settings.coordination: '" + name +
                                           "' is not a plain database of this platform; name "
                                           "one under 'databases:' (not a set)");
    }
  }

  std::vector<ServiceEntry> entries;
  std::map<std::string, std::string> manifest_of;
  std::set<std::string> used_databases;
  for (const std::string& path : ExpandServiceGlobs(root["services"], platform.root, &file)) {
    auto entry = ReadServiceManifest(path, platform, diag);
    if (!entry) continue;
    const Service& s = entry->service;
    if (!s.name.empty()) {
      auto [it, inserted] = manifest_of.emplace(s.name, path);
      if (!inserted) {
        diag->Error(path, s.line,
                    "service '" + s.name + "' is also defined in " + it->second +
                        "; service names must be unique");
        continue;
      }
    }
    used_databases.insert(s.database);
    entries.push_back(std::move(*entry));
  }
  for (const auto& db : platform.databases) {
    if (!used_databases.count(db.name)) {
      diag->Warning(config_path, db.line, "database '" + db.name + "' is used by no service");
    }
  }
  for (const auto& e : entries) platform.model.services.push_back(e.service);
  std::error_code ec;
  std::string canonical_root =
      fs::weakly_canonical(platform.root.empty() ? "." : platform.root, ec).string();
  LoadFolders(entries, canonical_root, &platform.model, diag, keep_statements);
  return platform;
}

bool ResolveDatabaseUrl(const Platform& platform, const DatabaseConfig& db, const Environment& env,
                        std::string* url, std::string* error) {
  std::string expanded;
  const std::string& source = db.url.empty() ? db.url_file : db.url;
  if (!ExpandVariables(source, env, &expanded, error)) {
    *error = "database '" + db.name + "': " + *error;
    return false;
  }
  if (!db.url.empty()) {
    *url = expanded;
    if (db.is_member()) {
      for (size_t at = url->find("{tenant}"); at != std::string::npos; at = url->find("{tenant}")) {
        url->replace(at, 8, db.tenant);
      }
    }
    return true;
  }
  fs::path path =
      fs::path(expanded).is_absolute() ? fs::path(expanded) : fs::path(platform.root) / expanded;
  std::string contents;
  constexpr size_t kUrlFileLimit = 64 * 1024;
  if (!ReadWholeFile(path.string(), &contents, error, AT_FDCWD, kUrlFileLimit)) {
    *error = "database '" + db.name + "': url_file " + path.string() + ": " + *error;
    return false;
  }
  while (!contents.empty() && std::isspace(static_cast<unsigned char>(contents.back()))) {
    contents.pop_back();
  }
  if (contents.empty()) {
    *error = "database '" + db.name + "': url_file " + path.string() + " is empty";
    return false;
  }
  *url = contents;
  return true;
}

}  // namespace lockstep
