// lockstep verify: does every down migration undo its up? On scratch
// databases made for the purpose, each migration in graph order goes up,
// down, and up again, and the catalog is compared at each step.
#include <algorithm>
#include <set>

#include <sstream>

#include <nlohmann/json.hpp>

#include "daemon/cli/commands.h"
#include "daemon/cli/context.h"
#include "daemon/cli/scratch.h"
#include "daemon/engine/drift.h"
#include "manifests/loader.h"

namespace lockstep {
namespace {

std::string Describe(const std::vector<DriftItem>& items) {
  std::string out;
  for (const DriftItem& i : items) {
    out += "\n      " + std::string(KindName(i.kind)) + " " + i.object;
    if (!i.before.empty() && !i.after.empty()) out += ": was " + i.before + ", now " + i.after;
  }
  return out;
}

enum class Verdict {
  kOk,
  kSkipped,   // no down file, or an empty one
  kProblem,   // the down does not undo the up, or cannot run
  kStop,      // a problem after which nothing later can be checked
  kUpFailed,  // not checked at all, and nothing later can be
};

// Up, down, up again for one migration, the catalog compared at each step.
Verdict VerifyOne(const MigrationGraph& graph, int m, Database& db, const std::string& run_id,
                  std::ostream& out) {
  const Migration& mig = graph.model().migrations[m];
  const Service& service = graph.model().services[mig.service];
  MigrationToRun up{&mig, service.name, service.schema, run_id, false};
  MigrationToRun down = up;
  down.down = true;
  SchemaSnapshot before, after_up, after_down, again;
  Status s = db.CaptureSchema(&before);
  if (s.ok()) s = db.Apply(up);
  if (s.ok()) s = db.CaptureSchema(&after_up);
  if (!s.ok()) {
    out << "FAIL  " << graph.IdOf(m) << ": up failed: " << s.message() << "\n";
    return Verdict::kUpFailed;  // everything after it needs it
  }
  if (!mig.has_down || mig.down_empty) {
    out << "skip  " << graph.IdOf(m) << ": "
        << (!mig.has_down ? "no down file" : "empty down file (irreversible)") << "\n";
    return Verdict::kSkipped;
  }
  if (!mig.down_problems.empty()) {
    out << "FAIL  " << graph.IdOf(m) << ": its down file cannot run:";
    for (const std::string& p : mig.down_problems) out << "\n    " << p;
    out << "\n";
    return Verdict::kProblem;
  }
  s = db.Apply(down);
  if (s.ok()) s = db.CaptureSchema(&after_down);
  if (!s.ok()) {
    out << "FAIL  " << graph.IdOf(m) << ": down failed: " << s.message() << "\n";
    return Verdict::kStop;
  }
  std::vector<DriftItem> left = Diff(before, after_down);
  s = db.Apply(up);
  if (s.ok()) s = db.CaptureSchema(&again);
  std::vector<DriftItem> changed = s.ok() ? Diff(after_up, again) : std::vector<DriftItem>{};
  if (left.empty() && changed.empty() && s.ok()) {
    out << "ok    " << graph.IdOf(m) << "\n";
    return Verdict::kOk;
  }
  out << "FAIL  " << graph.IdOf(m) << " " << mig.name << ": its down does not undo its up ("
      << mig.DownPath() << ")";
  if (!left.empty()) out << "\n    left behind by the down:" << Describe(left);
  if (!s.ok()) out << "\n    up again failed: " << s.message();
  if (!changed.empty()) out << "\n    up again made a different schema:" << Describe(changed);
  out << "\n";
  return s.ok() ? Verdict::kProblem : Verdict::kStop;
}

}  // namespace

int RunVerify(const CommonOptions& options, const VerifyOptions& verify, std::ostream& out,
              Log& log) {
  Loaded loaded = Load(options, log);
  if (!loaded.graph) return kExitBadInput;
  const MigrationGraph& graph = *loaded.graph;
  const Model& model = graph.model();
  std::vector<bool> wanted;
  std::vector<std::string> services;
  if (!verify.service.empty()) services.push_back(verify.service);
  if (Status s = Select(graph, {}, services, &wanted); !s.ok()) return OkOrSay(s, log);
  std::set<std::string> databases;
  for (int m = 0; m < graph.size(); ++m) {
    if (wanted.empty() || wanted[m])
      databases.insert(model.services[model.migrations[m].service].database);
  }
  // With --json the lines each step prints become its "detail".
  nlohmann::ordered_json j{{"migrations", nlohmann::ordered_json::array()}};
  std::ostream discard(nullptr);
  ScratchDatabases scratch(*loaded.platform, options, verify.scratch_url, verify.keep, "verify");
  for (const std::string& db : databases) {
    if (Status s = scratch.Make(db, options.json ? discard : out); !s.ok()) return OkOrSay(s, log);
  }
  int problems = 0, checked = 0;
  for (int m : graph.TopologicalOrder()) {
    if (!wanted.empty() && !wanted[m]) continue;
    const std::string& db = model.services[model.migrations[m].service].database;
    std::ostringstream said;
    Verdict v = VerifyOne(graph, m, scratch.of(db), scratch.run_id(), said);
    if (options.json) {
      // "ok    ID", "skip  ID: why", "FAIL  ID ...": the verdict, then what follows the id.
      std::string text = said.str(), id = graph.IdOf(m);
      size_t at = text.find(id);
      std::string detail = at == std::string::npos ? text : text.substr(at + id.size());
      while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) detail.pop_back();
      while (!detail.empty() && (detail[0] == ':' || detail[0] == ' ')) detail.erase(0, 1);
      const char* result = v == Verdict::kOk ? "ok" : v == Verdict::kSkipped ? "skipped" : "failed";
      j["migrations"].push_back({{"id", id}, {"result", result}, {"detail", detail}});
    } else {
      out << said.str();
    }
    checked += v != Verdict::kUpFailed;
    problems += v == Verdict::kProblem || v == Verdict::kStop || v == Verdict::kUpFailed;
    if (v == Verdict::kStop || v == Verdict::kUpFailed) break;
  }
  if (options.json) {
    j["checked"] = checked;
    j["problems"] = problems;
    out << j.dump(2) << "\n";
  } else {
    out << "verify: " << checked << " migrations checked, " << problems
        << (problems == 1 ? " problem" : " problems") << "\n";
  }
  return problems == 0 ? kExitOk : kExitDrift;
}

}  // namespace lockstep
