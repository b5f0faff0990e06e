// lockstep report: the migration health report of seed 001, measured from the
// files (and the databases, when they can be read): naming conformance, fix
// migrations, branches and merges, downs, descriptions, files edited after
// they were applied. Text, --json, or --format markdown for a pull request.
#include <algorithm>
#include <cctype>
#include <iomanip>
#include <map>
#include <sstream>
#include <string_view>

#include <nlohmann/json.hpp>

#include "daemon/cli/commands.h"
#include "daemon/cli/context.h"
#include "daemon/engine/state.h"
#include "daemon/exit_codes.h"
#include "manifests/migration_files.h"

namespace lockstep {
namespace {

using nlohmann::ordered_json;

// "001_add_x.up.sql" -> "001_add_x".
std::string Stem(const std::string& path) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  size_t dot = name.find(".up.sql");
  return dot == std::string::npos ? name : name.substr(0, dot);
}

// A version's shape: "3" for "001", "8.3" for "20250824_001".
std::string Shape(const std::string& version) {
  std::string shape;
  size_t digits = 0;
  for (char c : version) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      ++digits;
    } else {
      shape += std::to_string(digits) + ".";
      digits = 0;
    }
  }
  return shape + std::to_string(digits);
}

// Whether `s` is what a placeholder of settings.report.naming stands for.
bool Fits(std::string_view kind, std::string_view s) {
  auto digits = [](std::string_view t) {
    return !t.empty() && t.find_first_not_of("0123456789") == std::string_view::npos;
  };
  if (kind == "{timestamp}") return s.size() == 14 && digits(s);
  if (kind == "{date}") return s.size() == 8 && digits(s);
  if (kind == "{number}") return digits(s);
  if (kind == "{version}") {
    if (!digits(s.substr(0, 1)) || !digits(s.substr(s.size() - 1))) return false;
    for (size_t i = 1; i < s.size(); ++i) {
      bool sep = s[i] == '.' || s[i] == '_';
      if (sep && (s[i - 1] == '.' || s[i - 1] == '_')) return false;
      if (!sep && !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    }
    return true;
  }
  if (kind == "{description}") {
    if (s.empty() || !std::islower(static_cast<unsigned char>(s[0]))) return false;
    for (char c : s) {
      if (!std::islower(static_cast<unsigned char>(c)) &&
          !std::isdigit(static_cast<unsigned char>(c)) && c != '_') {
        return false;
      }
    }
    return true;
  }
  return s == kind;  // not a placeholder: itself
}

// Whether a file's stem follows settings.report.naming ("{date}_{number}_
// {description}"): literals match themselves, placeholders what Fits says,
// trying every split (names are short).
bool FollowsNaming(std::string_view pattern, std::string_view stem) {
  if (pattern.empty()) return stem.empty();
  size_t close = pattern[0] == '{' ? pattern.find('}') : std::string_view::npos;
  if (close == std::string_view::npos) {
    return !stem.empty() && stem[0] == pattern[0] &&
           FollowsNaming(pattern.substr(1), stem.substr(1));
  }
  std::string_view kind = pattern.substr(0, close + 1), rest = pattern.substr(close + 1);
  for (size_t n = 1; n <= stem.size(); ++n) {
    if (Fits(kind, stem.substr(0, n)) && FollowsNaming(rest, stem.substr(n))) return true;
  }
  return false;
}

// Why a name is not a description a person wrote, or "".
std::string NameProblem(const std::string& name) {
  if (name.empty()) return "no description in the file name";
  for (char c : name) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '_')) {
      return "the description is not lower_snake_case";
    }
  }
  // A generated id (abc123def456): a word of 8+ characters mixing letters and
  // digits, all of them hexadecimal.
  std::stringstream words(name);
  std::string word;
  while (std::getline(words, word, '_')) {
    bool hex = word.size() >= 8 && word.find_first_not_of("0123456789abcdef") == std::string::npos;
    bool mixed = word.find_first_of("0123456789") != std::string::npos &&
                 word.find_first_of("abcdef") != std::string::npos;
    if (hex && mixed) return "'" + word + "' looks like a generated id, not a description";
  }
  return "";
}

bool IsFix(const std::string& name) {
  for (const char* prefix : {"fix", "hotfix", "add_missing", "repair", "correct", "revert"}) {
    if (name.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

// Whether the up file says in a comment what it does (beyond directives).
bool Documented(const std::string& path) {
  std::string text, error;
  if (!ReadWholeFile(path, &text, &error)) return false;
  std::stringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line.compare(start, 2, "--") != 0) continue;
    std::string rest = line.substr(start + 2);
    rest.erase(0, rest.find_first_not_of(" \t"));
    if (rest.size() >= 3 && rest.rfind("lockstep:", 0) != 0) return true;
  }
  return false;
}

int Percent(int part, int whole) { return whole == 0 ? 100 : (100 * part + whole / 2) / whole; }

struct ServiceReport {
  std::string service;
  int migrations = 0, conforming = 0, fixes = 0, merges = 0, heads = 0, without_down = 0,
      irreversible = 0, documented = 0, edited = -1;        // -1: databases not read
  std::vector<std::pair<std::string, std::string>> naming;  // id, why
  std::vector<std::string> fix_ids, without_down_ids, undocumented_ids, edited_ids;
};

}  // namespace

int RunReport(const CommonOptions& options, const ReportOptions& report, std::ostream& out,
              Log& log) {
  Loaded loaded = Load(options, log);
  if (!loaded.graph) return kExitBadInput;
  const MigrationGraph& graph = loaded.written_graph();
  const Model& model = graph.model();
  const Settings::Report& rules = loaded.written_platform().settings.report;
  std::vector<bool> keep;
  if (Status s = ServiceFilter(graph, report.services, "", &keep); !s.ok()) return OkOrSay(s, log);
  const bool naming = !rules.naming.empty();

  // Files edited after apply, from the databases when they can be read.
  std::vector<bool> edited;
  bool databases_read = false;
  {
    std::map<std::string, std::vector<HistoryRow>> histories;
    DatabaseFactory factory = MakeDatabases(options, *loaded.platform, NewRunId());
    std::vector<Status> failures = ReadHistories(*loaded.platform, factory, &histories);
    if (failures.empty()) {
      databases_read = true;
      const MigrationGraph& expanded = *loaded.graph;
      PlatformState state = Reconcile(expanded, histories);
      edited.assign(model.migrations.size(), false);
      // A set's migration counts as edited when any member's copy is.
      for (int m : state.mismatched) {
        const Migration& mig = expanded.model().migrations[m];
        const std::string& name = expanded.model().services[mig.service].name;
        for (int w = 0; w < graph.size(); ++w) {
          const Migration& written = model.migrations[w];
          if (model.services[written.service].name == name && written.version == mig.version) {
            edited[w] = true;
          }
        }
      }
    } else {
      log.warning() << "lockstep: report: " << failures[0].message()
                    << "; files edited after apply are not counted\n";
    }
  }

  std::vector<ServiceReport> services;
  for (size_t s = 0; s < model.services.size(); ++s) {
    if (!keep[s]) continue;
    ServiceReport r;
    r.service = model.services[s].name;
    const std::vector<int>& list = graph.MigrationsOf(static_cast<int>(s));
    std::map<std::string, int> shapes;
    for (int m : list) ++shapes[Shape(model.migrations[m].version.text())];
    std::string style;
    for (const auto& [shape, n] : shapes) {
      if (style.empty() || n > shapes[style]) style = shape;
    }
    r.heads = static_cast<int>(graph.Heads(static_cast<int>(s)).size());
    if (databases_read) r.edited = 0;
    for (int m : list) {
      const Migration& mig = model.migrations[m];
      const std::string id = graph.IdOf(m);
      ++r.migrations;
      std::string why = NameProblem(mig.name);
      if (why.empty() && naming && !FollowsNaming(rules.naming, Stem(mig.up_path))) {
        why = "does not follow settings.report.naming '" + rules.naming + "'";
      }
      if (why.empty() && !naming && Shape(mig.version.text()) != style) {
        why = "its version '" + mig.version.text() + "' is not in the service's style";
      }
      if (why.empty() && !rules.ranges.empty()) {
        // The last number of the version: 20250824_001 is number 1.
        const std::string& v = mig.version.text();
        long number = std::strtol(v.c_str() + v.find_last_of("_.") + 1, nullptr, 10);
        std::string label;
        for (const auto& [range, what] : rules.ranges) {
          long from = std::strtol(range.c_str(), nullptr, 10);
          long to = std::strtol(range.c_str() + range.find('-') + 1, nullptr, 10);
          if (number >= from && number <= to) label = what;
        }
        if (label.empty()) {
          why = "version " + mig.version.text() + " is in no range of settings.report.ranges";
        }
      }
      if (why.empty()) {
        ++r.conforming;
      } else {
        r.naming.emplace_back(id, why);
      }
      if (IsFix(mig.name)) ++r.fixes, r.fix_ids.push_back(id);
      if (graph.ParentCount(m) > 1) ++r.merges;
      if (!mig.has_down) ++r.without_down, r.without_down_ids.push_back(id);
      if (mig.down_empty) ++r.irreversible;
      if (Documented(mig.up_path)) {
        ++r.documented;
      } else {
        r.undocumented_ids.push_back(id);
      }
      if (databases_read && edited[m]) ++r.edited, r.edited_ids.push_back(id);
    }
    services.push_back(std::move(r));
  }

  ServiceReport total;
  total.service = "platform";
  total.edited = databases_read ? 0 : -1;
  int unmerged = 0;
  for (const ServiceReport& r : services) {
    total.migrations += r.migrations;
    total.conforming += r.conforming;
    total.fixes += r.fixes;
    total.merges += r.merges;
    total.without_down += r.without_down;
    total.irreversible += r.irreversible;
    total.documented += r.documented;
    if (databases_read) total.edited += r.edited;
    unmerged += r.heads > 1;
  }
  // Seed 001's four scores, each a share of the migrations (or services).
  const int naming_score = Percent(total.conforming, total.migrations);
  const int integrity = 100 - Percent(total.fixes, total.migrations);
  const int clarity =
      Percent(static_cast<int>(services.size()) - unmerged, static_cast<int>(services.size()));
  const int documentation = Percent(total.documented, total.migrations);

  if (options.json) {
    ordered_json j;
    j["migrations"] = total.migrations;
    j["scores"] = {{"naming", naming_score},
                   {"integrity", integrity},
                   {"dependency_clarity", clarity},
                   {"documentation", documentation}};
    j["databases_read"] = databases_read;
    j["services"] = ordered_json::array();
    for (const ServiceReport& r : services) {
      ordered_json naming_problems = ordered_json::array();
      for (const auto& [id, why] : r.naming) naming_problems.push_back({{"id", id}, {"why", why}});
      j["services"].push_back({{"service", r.service},
                               {"migrations", r.migrations},
                               {"naming_conforming", r.conforming},
                               {"naming_problems", naming_problems},
                               {"fixes", r.fix_ids},
                               {"merges", r.merges},
                               {"heads", r.heads},
                               {"without_down", r.without_down_ids},
                               {"irreversible", r.irreversible},
                               {"undocumented", r.undocumented_ids},
                               {"edited_after_apply", databases_read ? ordered_json(r.edited_ids)
                                                                     : ordered_json(nullptr)}});
    }
    out << j.dump(2) << "\n";
    return kExitOk;
  }

  const bool md = report.format == "markdown";
  auto edited_cell = [&](const ServiceReport& r) {
    return r.edited < 0 ? std::string("?") : std::to_string(r.edited);
  };
  if (md) {
    out << "## Migration health: " << total.migrations << " migrations, " << services.size()
        << " services\n\n"
        << "| score | |\n|---|---:|\n"
        << "| naming | " << naming_score << "% |\n"
        << "| integrity (no fix migrations) | " << integrity << "% |\n"
        << "| dependency clarity (no unmerged heads) | " << clarity << "% |\n"
        << "| documentation (a comment says what it does) | " << documentation << "% |\n\n"
        << "| service | migrations | naming | fixes | merges | heads | no down | undocumented "
           "| edited after apply |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    for (const ServiceReport& r : services) {
      out << "| " << r.service << " | " << r.migrations << " | "
          << Percent(r.conforming, r.migrations) << "% | " << r.fixes << " | " << r.merges << " | "
          << r.heads << " | " << r.without_down << " | " << r.undocumented_ids.size() << " | "
          << edited_cell(r) << " |\n";
    }
    bool any = false;
    for (const ServiceReport& r : services) {
      for (const auto& [id, why] : r.naming) {
        if (!any) out << "\n### Naming\n\n";
        any = true;
        out << "- `" << id << "`: " << why << "\n";
      }
    }
    for (const ServiceReport& r : services) {
      for (const std::string& id : r.edited_ids)
        out << "- `" << id << "`: edited after it was applied\n";
    }
    return kExitOk;
  }
  out << "migration health: " << total.migrations << " migrations, " << services.size()
      << " services\n"
      << "  naming          " << std::setw(3) << naming_score << "%  (" << total.conforming
      << " of " << total.migrations << " follow the rule)\n"
      << "  integrity       " << std::setw(3) << integrity << "%  (" << total.fixes
      << " fix migrations)\n"
      << "  dependencies    " << std::setw(3) << clarity << "%  (" << unmerged
      << " services with unmerged heads; " << total.merges << " merges)\n"
      << "  documentation   " << std::setw(3) << documentation << "%  ("
      << total.migrations - total.documented << " without a comment saying what they do)\n"
      << "  without a down  " << total.without_down << " (" << total.irreversible
      << " irreversible: an empty down)\n"
      << "  edited after apply  "
      << (databases_read ? std::to_string(total.edited) : std::string("not read (no database)"))
      << "\n";
  for (const ServiceReport& r : services) {
    std::vector<std::string> notes;
    for (const auto& [id, why] : r.naming) notes.push_back(id + ": " + why);
    for (const std::string& id : r.fix_ids) notes.push_back(id + ": a fix migration");
    if (r.heads > 1)
      notes.push_back(std::to_string(r.heads) + " heads: lockstep merge " + r.service);
    for (const std::string& id : r.edited_ids)
      notes.push_back(id + ": edited after it was applied");
    if (notes.empty()) continue;
    out << r.service << "\n";
    for (const std::string& n : notes) out << "  " << n << "\n";
  }
  return kExitOk;
}

}  // namespace lockstep
