// lockstep lint: the pending migrations (all with --all, or when a database
// cannot be read) checked by lint/lint.h's rules, with settings.lint's
// severities and each file's `-- lockstep:allow`.
#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "daemon/cli/commands.h"
#include "daemon/cli/context.h"
#include "daemon/engine/state.h"
#include "daemon/exit_codes.h"
#include "graph/suggest.h"
#include "lint/lint.h"
#include "manifests/migration_files.h"

namespace lockstep {
namespace {

int Explain(const std::string& which, std::ostream& out, Log& log) {
  std::vector<const LintRule*> rules;
  if (which == "all") {
    for (const LintRule& r : LintRules()) rules.push_back(&r);
  } else if (const LintRule* r = FindLintRule(which)) {
    rules.push_back(r);
  } else {
    std::vector<std::string_view> names;
    for (const LintRule& r : LintRules()) names.push_back(r.id), names.push_back(r.name);
    log.error() << "lockstep: lint --explain: no rule '" << which << "'" << DidYouMean(which, names)
                << "; 'lockstep lint --explain all' lists every rule\n";
    return kExitBadInput;
  }
  for (const LintRule* r : rules) {
    out << r->id << " " << r->name << " (" << SeverityName(r->severity) << " by default)\n  "
        << r->summary << "\n\n";
    // The explanation, wrapped at 80 columns and indented.
    std::string line = " ";
    std::string text = r->explanation;
    size_t start = 0;
    while (start < text.size()) {
      size_t space = text.find(' ', start);
      std::string word =
          text.substr(start, space == std::string::npos ? std::string::npos : space - start);
      if (line.size() + word.size() + 1 > 80) {
        out << line << "\n";
        line = " ";
      }
      line += " " + word;
      start = space == std::string::npos ? text.size() : space + 1;
    }
    out << line << "\n\n";
  }
  return kExitOk;
}

// settings.lint applied to the defaults; BadInput naming an unknown id.
Status Severities(const Platform& platform, std::map<std::string, LintSeverity>* out) {
  for (const LintRule& r : LintRules()) (*out)[r.id] = r.severity;
  for (const auto& [id, severity] : platform.settings.lint) {
    if (!FindLintRule(id)) {
      return Status::BadInput(
          platform.config_path + ":" + std::to_string(platform.settings.lint_lines.at(id)) +
          ": settings.lint: no rule " + id + "; 'lockstep lint --explain all' lists them");
    }
    (*out)[id] = severity == "error"     ? LintSeverity::kError
                 : severity == "warning" ? LintSeverity::kWarning
                                         : LintSeverity::kOff;
  }
  return Status::Ok();
}

// The up files of migrations not applied on every database they run on;
// false (having said why) when a history cannot be read.
bool PendingFiles(const CommonOptions& options, const Loaded& loaded, std::set<std::string>* files,
                  Log& log) {
  std::map<std::string, std::vector<HistoryRow>> histories;
  DatabaseFactory factory = MakeDatabases(options, *loaded.platform, NewRunId());
  std::vector<Status> failures = ReadHistories(*loaded.platform, factory, &histories);
  if (!failures.empty()) {
    log.warning() << "lockstep: lint: " << failures[0].message()
                  << (failures.size() > 1
                          ? " (and " + std::to_string(failures.size() - 1) + " more databases)"
                          : "")
                  << "; linting every migration, as with --all\n";
    return false;
  }
  const MigrationGraph& graph = *loaded.graph;
  PlatformState state = Reconcile(graph, histories);
  for (int m = 0; m < graph.size(); ++m) {
    if (!state.applied[m]) files->insert(graph.model().migrations[m].up_path);
  }
  return true;
}

// Which migration creates each table: "database\x1fschema\x1ftable" to the
// first migration (in topological order) whose file creates it.
using Creators = std::map<std::string, int>;

std::string TableKey(const Service& s, const std::string& table) {
  return s.database + '\x1f' + s.schema + '\x1f' + table;
}

// LS110: m changes or references a table that another service's migration
// creates on the same database, and m does not need that migration.
void CrossService(const MigrationGraph& graph, int m, const LintTables& tables,
                  const Creators& creators, std::vector<LintFinding>* out) {
  const Model& model = graph.model();
  const Migration& mig = model.migrations[m];
  if (std::count(mig.lint_allow.begin(), mig.lint_allow.end(), "LS110")) return;
  std::vector<bool> needs;
  for (const LintTables::Use& use : tables.used) {
    auto it = creators.find(TableKey(model.services[mig.service], use.table));
    if (it == creators.end()) continue;
    const Migration& creator = model.migrations[it->second];
    if (creator.service == mig.service) continue;
    if (needs.empty()) needs = graph.Closure({m});
    if (needs[it->second]) continue;
    std::string by = model.services[creator.service].name + ":" + creator.version.text();
    LintFinding f;
    f.file = mig.up_path;
    f.line = use.line;
    f.column = use.column;
    f.rule = FindLintRule("LS110");
    f.message = use.table + " is created by " + by + " (" + creator.up_path +
                "), which this migration does not require: add '-- lockstep:requires " + by + "'";
    out->push_back(std::move(f));
  }
}

}  // namespace

int RunLint(const CommonOptions& options, const LintOptions& lint, std::ostream& out, Log& log) {
  if (!lint.explain.empty()) return Explain(lint.explain, out, log);
  Loaded loaded = Load(options, log);
  if (!loaded.graph) return kExitBadInput;
  std::map<std::string, LintSeverity> severity;
  if (Status s = Severities(loaded.written_platform(), &severity); !s.ok()) return OkOrSay(s, log);
  std::vector<bool> keep;
  const MigrationGraph& written = loaded.written_graph();
  if (Status s = ServiceFilter(written, lint.services, "", &keep); !s.ok()) return OkOrSay(s, log);

  std::set<std::string> pending;
  bool all = lint.all || !PendingFiles(options, loaded, &pending, log);
  // Every file is read (what is applied still creates the tables that
  // pending migrations change); only the pending ones are checked.
  const std::vector<int> order = written.TopologicalOrder();
  std::vector<std::vector<LintFinding>> found(order.size());
  std::vector<LintTables> tables(written.size());
  Creators creators;
  for (int m : order) {
    const Migration& mig = written.model().migrations[m];
    std::string text, error;
    if (!ReadWholeFile(mig.up_path, &text, &error)) {
      log.error() << "lockstep: " << mig.up_path << ": " << error << "\n";
      return kExitFailed;
    }
    found[m] = LintSql(mig.up_path, text, mig.lint_allow, &tables[m]);
    for (const std::string& t : tables[m].created) {
      creators.emplace(TableKey(written.model().services[mig.service], t), m);
    }
  }
  std::vector<LintFinding> findings;
  int checked = 0, errors = 0, warnings = 0;
  for (int m : order) {
    const Migration& mig = written.model().migrations[m];
    if (!keep[mig.service] || (!all && !pending.count(mig.up_path))) continue;
    ++checked;
    CrossService(written, m, tables[m], creators, &found[m]);
    for (LintFinding& f : found[m]) {
      f.severity = severity[f.rule->id];
      if (f.severity == LintSeverity::kOff) continue;
      (f.severity == LintSeverity::kError ? errors : warnings) += 1;
      findings.push_back(std::move(f));
    }
  }
  if (options.json) {
    nlohmann::ordered_json j;
    j["scope"] = all ? "all" : "pending";
    j["checked"] = checked;
    j["errors"] = errors;
    j["warnings"] = warnings;
    j["findings"] = nlohmann::ordered_json::array();
    for (const LintFinding& f : findings) {
      j["findings"].push_back({{"file", f.file},
                               {"line", f.line},
                               {"column", f.column},
                               {"rule", f.rule->id},
                               {"name", f.rule->name},
                               {"severity", SeverityName(f.severity)},
                               {"message", f.message}});
    }
    out << j.dump(2) << "\n";
  } else {
    for (const LintFinding& f : findings) {
      out << (lint.format == "github" ? FormatGithub(f) : FormatFinding(f)) << "\n";
    }
  }
  log.info() << "lockstep: lint: " << checked << (all ? " migrations" : " pending migrations")
             << " checked: " << errors << (errors == 1 ? " error, " : " errors, ") << warnings
             << (warnings == 1 ? " warning" : " warnings")
             << (findings.empty() ? "" : "; 'lockstep lint --explain ID' says why and what instead")
             << "\n";
  return errors > 0 ? kExitDrift : kExitOk;
}

}  // namespace lockstep
