// lockstep compare ENV ENV...: the same platform read through several
// environments (dev, staging, production): per service, which migrations
// each has applied, what one has and another lacks, and checksums that
// differ. Exit 4 when they differ.
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "daemon/cli/commands.h"
#include "daemon/cli/context.h"
#include "daemon/engine/loaded.h"
#include "daemon/exit_codes.h"
#include "manifests/environments.h"

namespace lockstep {
namespace {

using nlohmann::ordered_json;

// One migration's row in one environment.
struct Seen {
  std::string status;  // "" when not applied there
  std::string checksum;
};

struct Row {
  std::string name;                // from the files, or the history
  std::map<std::string, Seen> in;  // by environment
  bool differs = false;
};

// "applied" and "baseline" both mean the schema has it.
std::string Presence(const std::string& status) {
  return status == "baseline" ? "applied" : status;
}

}  // namespace

int RunCompare(const CommonOptions& options, const std::vector<std::string>& names,
               std::ostream& out, Log& log) {
  if (names.size() < 2) {
    log.error() << "lockstep: compare needs two environments or more, e.g. 'lockstep compare "
                   "staging production'\n";
    return kExitBadInput;
  }
  std::set<std::string> unique(names.begin(), names.end());
  if (unique.size() != names.size()) {
    log.error() << "lockstep: compare: an environment is named twice\n";
    return kExitBadInput;
  }
  // service key -> version -> row; versions ordered as the files order them.
  std::map<std::string, std::map<std::string, Row>> services;
  std::map<std::string, std::vector<std::string>> order;  // service -> versions, in file order
  const std::string config = ConfigPath(options.config_path, options.env);
  for (const std::string& env_name : names) {
    CommonOptions o = options;
    Diagnostics diag;
    if (!EnvironmentNamed(config, env_name, options.env, &o.env, &diag)) {
      LogDiagnostics(diag, options.verbose, log);
      return kExitBadInput;
    }
    Loaded loaded = Load(o, log);
    if (!loaded.graph) return kExitBadInput;
    const Model& model = loaded.graph->model();
    // (database, service name) -> the service's key ("app@tenant/acme" on a member).
    std::map<std::pair<std::string, std::string>, std::string> key_of;
    for (const Service& s : model.services) key_of[{s.database, s.name}] = s.key();
    for (const Migration& m : model.migrations) {
      const std::string& key = model.services[m.service].key();
      auto [it, fresh] = services[key].try_emplace(m.version.text());
      if (fresh) order[key].push_back(m.version.text());
      it->second.name = m.name;
    }
    std::map<std::string, std::vector<HistoryRow>> histories;
    DatabaseFactory factory = MakeDatabases(o, *loaded.platform, NewRunId());
    if (int code = ReadHistoriesOrSay(*loaded.platform, factory, &histories, log); code != 0) {
      log.error() << "lockstep: compare: environment '" << env_name
                  << "' could not be read (above)\n";
      return code;
    }
    for (const auto& [database, rows] : histories) {
      for (const HistoryRow& r : rows) {
        auto k = key_of.find({database, r.service});
        std::string key = k == key_of.end() ? r.service : k->second;
        auto [it, fresh] = services[key].try_emplace(r.version);
        if (fresh) {
          order[key].push_back(r.version);
          it->second.name = r.name;
        }
        it->second.in[env_name] = {r.status, r.checksum};
      }
    }
  }

  int differing = 0;
  ordered_json j;
  j["environments"] = names;
  j["services"] = ordered_json::array();
  std::string text;
  for (auto& [service, rows] : services) {
    bool differs = false;
    int applied_everywhere = 0;
    for (auto& [version, row] : rows) {
      std::set<std::string> presence, checksums;
      for (const std::string& e : names) {
        auto it = row.in.find(e);
        presence.insert(it == row.in.end() ? "" : Presence(it->second.status));
        if (it != row.in.end() && !it->second.checksum.empty())
          checksums.insert(it->second.checksum);
      }
      row.differs = presence.size() > 1 || checksums.size() > 1 || presence.count("failed") ||
                    presence.count("running");
      differs = differs || row.differs;
      if (!row.differs && presence.count("applied")) ++applied_everywhere;
    }
    if (differs) ++differing;
    ordered_json js{
        {"service", service}, {"differs", differs}, {"migrations", ordered_json::array()}};
    std::string lines;
    for (const std::string& version : order[service]) {
      const Row& row = rows[version];
      ordered_json states = ordered_json::object(), sums = ordered_json::object();
      std::string cells, checksum_note;
      std::set<std::string> checksums;
      for (const std::string& e : names) {
        auto it = row.in.find(e);
        states[e] = it == row.in.end() ? ordered_json(nullptr) : ordered_json(it->second.status);
        sums[e] = it == row.in.end() || it->second.checksum.empty()
                      ? ordered_json(nullptr)
                      : ordered_json(it->second.checksum);
        std::string cell = it == row.in.end() ? "-" : it->second.status;
        cells += "  " + cell + std::string(cell.size() < 10 ? 10 - cell.size() : 0, ' ');
        if (it != row.in.end() && !it->second.checksum.empty()) {
          checksums.insert(it->second.checksum);
        }
      }
      if (checksums.size() > 1) {
        for (const std::string& e : names) {
          auto it = row.in.find(e);
          if (it == row.in.end() || it->second.checksum.empty()) continue;
          checksum_note += (checksum_note.empty() ? "checksum differs: " : ", ") + e + " " +
                           it->second.checksum.substr(0, 8);
        }
      }
      js["migrations"].push_back({{"version", version},
                                  {"name", row.name},
                                  {"differs", row.differs},
                                  {"states", states},
                                  {"checksums", sums}});
      if (!row.differs) continue;
      std::string label = version + " " + row.name;
      if (label.size() < 32) label += std::string(32 - label.size(), ' ');
      lines += "  " + label + cells + (checksum_note.empty() ? "" : "  " + checksum_note);
      while (!lines.empty() && lines.back() == ' ') lines.pop_back();
      lines += "\n";
    }
    j["services"].push_back(js);
    if (differs) {
      std::string header = "  " + std::string(32, ' ');
      header.replace(2, 9, "migration");
      for (const std::string& e : names) {
        header += "  " + e + std::string(e.size() < 10 ? 10 - e.size() : 0, ' ');
      }
      while (!header.empty() && header.back() == ' ') header.pop_back();
      text += service + ": differs\n" + header + "\n" + lines;
    } else {
      text +=
          service + ": the same everywhere (" + std::to_string(applied_everywhere) + " applied)\n";
    }
  }
  std::string all;
  for (size_t i = 0; i < names.size(); ++i) {
    all += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  }
  j["differ"] = differing > 0;
  if (options.json) {
    out << j.dump(2) << "\n";
  } else {
    out << text;
  }
  if (differing > 0) {
    log.info() << "lockstep: compare: " << differing << " of " << services.size()
               << (services.size() == 1 ? " service differs" : " services differ") << " between "
               << all << "\n";
  } else {
    log.info() << "lockstep: compare: " << all << " are the same (" << services.size()
               << (services.size() == 1 ? " service)" : " services)") << "\n";
  }
  return differing > 0 ? kExitDrift : kExitOk;
}

}  // namespace lockstep
