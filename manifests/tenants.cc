#include "manifests/tenants.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "graph/suggest.h"
#include "manifests/migration_files.h"
#include "manifests/settings.h"

namespace lockstep {
namespace {

namespace fs = std::filesystem;

constexpr size_t kTenantFileLimit = 64 * 1024 * 1024;

const char kNameRule[] = "lower-case letters, digits, '_' and '-', starting with a letter or digit";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// The names of a `tenants: { file }`, one a line, '#' to the end of a line a
// comment, blank lines skipped.
std::vector<std::string> ReadTenantFile(const Platform& platform, const DatabaseConfig& set,
                                        Diagnostics* diag) {
  fs::path path = fs::path(set.tenants.file).is_absolute()
                      ? fs::path(set.tenants.file)
                      : fs::path(platform.root) / set.tenants.file;
  std::string text, error;
  if (!ReadWholeFile(path.string(), &text, &error, AT_FDCWD, kTenantFileLimit)) {
    diag->Error(platform.config_path, set.tenants.line,
                "tenants of database set '" + set.name + "': " + path.string() + ": " + error);
    return {};
  }
  std::vector<std::string> names;
  std::set<std::string> seen;
  int line = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string name = text.substr(start, end - start);
    start = end + 1;
    ++line;
    name = name.substr(0, name.find('#'));
    auto blank = [](unsigned char c) { return std::isspace(c); };
    name.erase(name.begin(), std::find_if_not(name.begin(), name.end(), blank));
    name.erase(std::find_if_not(name.rbegin(), name.rend(), blank).base(), name.end());
    if (name.empty()) continue;
    if (!IsTenantName(name)) {
      diag->Error(
          path.string(), line,
          "tenant '" + name + "' of database set '" + set.name + "': a name must be " + kNameRule);
    } else if (!seen.insert(name).second) {
      diag->Error(path.string(), line,
                  "tenant '" + name + "' is listed twice; remove one of the lines");
    } else {
      names.push_back(name);
    }
  }
  return names;
}

}  // namespace

bool IsTenantName(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && (c == '_' || c == '-'));
    if (!ok) return false;
  }
  return true;
}

Members ReadMembers(const Platform& platform, const TenantQuery& query, Diagnostics* diag,
                    std::vector<std::string>* unread) {
  Members members;
  for (const DatabaseConfig& set : platform.databases) {
    if (!set.is_set()) continue;
    std::vector<std::string>& names = members[set.name];
    switch (set.tenants.kind) {
      case TenantSource::Kind::kList: {
        std::set<std::string> seen;
        for (const std::string& name : set.tenants.list) {
          if (!IsTenantName(name)) {
            diag->Error(platform.config_path, set.tenants.line,
                        "tenant '" + name + "' of database set '" + set.name +
                            "': a name must be " + kNameRule);
          } else if (!seen.insert(name).second) {
            diag->Error(platform.config_path, set.tenants.line,
                        "tenant '" + name + "' of database set '" + set.name +
                            "' is listed twice; remove one");
          } else {
            names.push_back(name);
          }
        }
        break;
      }
      case TenantSource::Kind::kFile:
        names = ReadTenantFile(platform, set, diag);
        break;
      case TenantSource::Kind::kQuery: {
        if (!query) {
          if (unread) unread->push_back(set.name);
          break;
        }
        std::vector<std::string> rows;
        std::string error;
        std::string where =
            "tenants of database set '" + set.name + "' (query on '" + set.tenants.database + "')";
        if (!query(set, &rows, &error)) {
          diag->Error(platform.config_path, set.tenants.line, where + ": " + error);
          break;
        }
        std::set<std::string> seen;
        for (size_t row = 0; row < rows.size(); ++row) {
          if (!IsTenantName(rows[row])) {
            diag->Error(platform.config_path, set.tenants.line,
                        where + ": row " + std::to_string(row + 1) + " is '" + rows[row] +
                            "', and a name must be " + kNameRule +
                            "; change the query to return such names");
          } else if (seen.insert(rows[row]).second) {
            names.push_back(rows[row]);
          }
        }
        break;
      }
      case TenantSource::Kind::kNone:
        break;
    }
    std::sort(names.begin(), names.end());
  }
  return members;
}

void SelectMembers(const std::vector<std::string>& wanted, Members* members, Diagnostics* diag) {
  if (wanted.empty()) return;
  Members kept;
  std::vector<std::string> all, bare;  // "tenant/acme" and "acme", alike
  for (const auto& [set, names] : *members) {
    kept[set];
    for (const std::string& name : names) {
      all.push_back(set + "/" + name);
      bare.push_back(name);
    }
  }
  for (const std::string& want : wanted) {
    bool found = false;
    for (const auto& [set, names] : *members) {
      for (const std::string& name : names) {
        if (want != set + "/" + name && want != name) continue;
        found = true;
        std::vector<std::string>& list = kept[set];
        if (std::find(list.begin(), list.end(), name) == list.end()) list.push_back(name);
      }
    }
    if (!found) {
      const std::vector<std::string>& like = want.find('/') == std::string::npos ? bare : all;
      std::vector<std::string_view> candidates(like.begin(), like.end());
      int best = ClosestMatch(want, candidates);
      diag->Error("", 0,
                  "--tenant " + want + ": no database set has such a member" +
                      (all.empty() ? std::string("; this platform's sets have no member")
                       : best >= 0 ? " (did you mean '" + all[best] + "'?)"
                                   : std::string("")));
    }
  }
  for (auto& [set, names] : kept) std::sort(names.begin(), names.end());
  *members = std::move(kept);
}

Platform ExpandSets(const Platform& platform, const Members& members, Diagnostics* diag) {
  Platform out;
  out.config_path = platform.config_path;
  out.root = platform.root;
  out.settings = platform.settings;
  out.databases = platform.databases;
  const Model& model = platform.model;
  std::vector<std::vector<int>> copies(model.services.size());  // template -> new services
  for (size_t s = 0; s < model.services.size(); ++s) {
    const Service& service = model.services[s];
    const DatabaseConfig* db = platform.FindDatabase(service.database);
    if (!db || !db->is_set()) {
      copies[s].push_back(static_cast<int>(out.model.services.size()));
      out.model.services.push_back(service);
      continue;
    }
    auto it = members.find(db->name);
    if (it == members.end()) continue;
    for (const std::string& tenant : it->second) {
      Service copy = service;
      copy.member = db->name + "/" + tenant;
      copy.database = copy.member;
      copy.schema = Replace(service.schema, "{tenant}", tenant);
      if (!copy.schema.empty() && !IsIdentifier(copy.schema)) {
        diag->Error(service.manifest_path, service.line,
                    "schema '" + copy.schema + "' of member '" + copy.member +
                        "' is not a plain schema name (lower-case letters, digits and '_', at "
                        "most 63 bytes); rename the tenant or the schema");
        continue;
      }
      copies[s].push_back(static_cast<int>(out.model.services.size()));
      out.model.services.push_back(std::move(copy));
    }
  }
  for (const DatabaseConfig& set : platform.databases) {
    if (!set.is_set()) continue;
    auto it = members.find(set.name);
    if (it == members.end()) continue;
    for (const std::string& tenant : it->second) {
      DatabaseConfig member = set;
      member.tenants = TenantSource{};
      member.name = set.name + "/" + tenant;
      member.set = set.name;
      member.tenant = tenant;
      if (set.schema_members()) {
        member.history_schema =
            Replace(platform.settings.history_schema + "_" + set.name + "_" + tenant, "-", "_");
        if (!IsIdentifier(member.history_schema)) {
          diag->Error(platform.config_path, set.line,
                      "member '" + member.name + "' would keep its history in schema '" +
                          member.history_schema +
                          "', longer than PostgreSQL's 63 bytes; use shorter names");
        }
      }
      out.databases.push_back(std::move(member));
    }
  }
  size_t total = 0;
  for (const Migration& m : model.migrations) total += copies[m.service].size();
  out.model.migrations.reserve(total);
  // Grouped by new service, so that each member's migrations stay together.
  std::vector<std::vector<int>> of_template(model.services.size());
  for (size_t m = 0; m < model.migrations.size(); ++m) {
    of_template[model.migrations[m].service].push_back(static_cast<int>(m));
  }
  for (size_t s = 0; s < model.services.size(); ++s) {
    for (int service : copies[s]) {
      for (int m : of_template[s]) {
        Migration copy = model.migrations[m];
        copy.service = service;
        out.model.migrations.push_back(std::move(copy));
      }
    }
  }
  return out;
}

}  // namespace lockstep
