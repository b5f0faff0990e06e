// Writing migrations: new, heads, merge.
#include <ctime>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "daemon/cli/commands.h"
#include "daemon/cli/context.h"
#include "daemon/exit_codes.h"

namespace lockstep {
namespace {

namespace fs = std::filesystem;

std::string Today() {
  std::time_t t = std::time(nullptr);
  char buffer[16];
  std::strftime(buffer, sizeof buffer, "%Y%m%d", std::gmtime(&t));
  return buffer;
}

std::string Padded(unsigned long long n, size_t width) {
  std::string digits = std::to_string(n);
  return std::string(width > digits.size() ? width - digits.size() : 0, '0') + digits;
}

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 100) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// Loads the platform and finds `name` in it; -1 (after saying why) when
// either fails.
int LoadService(const CommonOptions& options, const std::string& name, const std::string& what,
                Loaded* loaded, Log& log) {
  *loaded = Load(options, log);
  if (!loaded->graph) return -1;
  int service = -1;
  OkOrSay(FindService(loaded->written_graph(), name, what, &service), log);
  return service;
}

}  // namespace

// The next version of `service`, in the style its files already use: "007"
// after "006"; "20261122_001" (today, then a counter) after a date-stamped
// one; "001" for a first migration.
std::string NextVersion(const MigrationGraph& graph, int service) {
  const std::vector<int>& list = graph.MigrationsOf(service);
  if (list.empty()) return "001";
  const std::string& last = graph.model().migrations[list.back()].version.text();
  size_t cut = last.find_last_of("_.");
  if (cut == std::string::npos) return Padded(std::stoull(last) + 1, last.size());
  std::string head = last.substr(0, cut), tail = last.substr(cut + 1);
  if (head.size() == 8 && head.rfind("20", 0) == 0 && head < Today()) {
    return Today() + last[cut] + Padded(1, tail.size());
  }
  return head + last[cut] + Padded(std::stoull(tail) + 1, tail.size());
}

// Writes the pair; refuses to overwrite. Prints the paths (with `json`, as
// {"service", "version", "up", "down"}).
int WritePair(const Service& service, const std::string& version, const std::string& name,
              const std::string& up, const std::string& down, bool json, std::ostream& out,
              Log& log, std::string* up_written, std::string* down_written) {
  const std::string stem = version + "_" + name;
  std::string up_path = (fs::path(service.folder) / (stem + ".up.sql")).string();
  std::string down_path = (fs::path(service.folder) / (stem + ".down.sql")).string();
  for (const std::string& p : {up_path, down_path}) {
    if (fs::exists(p)) {
      log.error() << "lockstep: " << p << " already exists\n";
      return kExitBadInput;
    }
  }
  std::ofstream(up_path) << up;
  std::ofstream(down_path) << down;
  if (!std::ifstream(up_path) || !std::ifstream(down_path)) {
    log.error() << "lockstep: cannot write into " << service.folder << "\n";
    return kExitFailed;
  }
  if (up_written) *up_written = up_path;
  if (down_written) *down_written = down_path;
  if (json) {
    nlohmann::ordered_json j{
        {"service", service.name}, {"version", version}, {"up", up_path}, {"down", down_path}};
    out << j.dump(2) << "\n";
  } else {
    out << up_path << "\n" << down_path << "\n";
  }
  return kExitOk;
}

int RunNew(const CommonOptions& options, const NewOptions& o, std::ostream& out, Log& log) {
  if (!ValidName(o.name)) {
    log.error() << "lockstep: new: '" << o.name
                << "' is not a migration name: use lower-case letters, digits and '_' "
                   "(e.g. add_users_phone)\n";
    return kExitBadInput;
  }
  Loaded loaded;
  int service = LoadService(options, o.service, "new", &loaded, log);
  if (service < 0) return kExitBadInput;
  const MigrationGraph& graph = loaded.written_graph();
  for (const std::string& id : o.requires_ids) {
    std::string error;
    if (graph.Resolve(id, &error) < 0) {
      log.error() << "lockstep: new: --requires " << id << ": " << error << "\n";
      return kExitBadInput;
    }
  }
  std::string up;
  if (!o.requires_ids.empty()) {
    up += "-- lockstep:requires";
    for (const std::string& id : o.requires_ids) up += " " + id;
    up += "\n";
  }
  up += "-- " + o.name +
        ": what this migration changes, and why.\n"
        "-- lockstep runs this file in one transaction; keep it to one change.\n\n";
  std::string down = "-- Undo " + o.name + ": the exact inverse of the up file.\n\n";
  return WritePair(loaded.written_platform().model.services[service], NextVersion(graph, service),
                   o.name, up, down, options.json, out, log);
}

int RunHeads(const CommonOptions& options, const std::string& service_name, std::ostream& out,
             Log& log) {
  Loaded loaded;
  int service = LoadService(options, service_name, "heads", &loaded, log);
  if (service < 0) return kExitBadInput;
  const MigrationGraph& graph = loaded.written_graph();
  std::vector<int> heads = graph.Heads(service);
  if (options.json) {
    nlohmann::ordered_json j{{"service", service_name}, {"heads", nlohmann::ordered_json::array()}};
    for (int m : heads) {
      j["heads"].push_back({{"id", graph.IdOf(m)}, {"name", graph.model().migrations[m].name}});
    }
    out << j.dump(2) << "\n";
    return kExitOk;
  }
  for (int m : heads) out << graph.IdOf(m) << "  " << graph.model().migrations[m].name << "\n";
  if (heads.size() > 1) {
    out << "(" << heads.size() << " heads: merge them with lockstep merge " << service_name
        << ")\n";
  }
  return kExitOk;
}

int RunMerge(const CommonOptions& options, const std::string& service_name, std::ostream& out,
             Log& log) {
  Loaded loaded;
  int service = LoadService(options, service_name, "merge", &loaded, log);
  if (service < 0) return kExitBadInput;
  const MigrationGraph& graph = loaded.written_graph();
  std::vector<int> heads = graph.Heads(service);
  if (heads.size() < 2) {
    log.error() << "lockstep: merge: " << service_name << " has one head; nothing to merge\n";
    return kExitBadInput;
  }
  std::string parents, ids;
  for (int m : heads) {
    parents += " " + graph.model().migrations[m].version.text();
    ids += (ids.empty() ? "" : ", ") + graph.IdOf(m);
  }
  std::string up = "-- lockstep:parents" + parents + "\n-- Merges the heads " + ids +
                   ".\n-- Put here what reconciles the branches, if anything.\n\n";
  std::string down = "-- Undo the merge migration (often nothing).\n\n";
  return WritePair(loaded.written_platform().model.services[service], NextVersion(graph, service),
                   "merge_heads", up, down, options.json, out, log);
}

}  // namespace lockstep
