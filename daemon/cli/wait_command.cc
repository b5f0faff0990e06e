// lockstep wait: what an app's init container runs so that the app starts
// only once the migrations it needs are in. Read-only: it needs SELECT on the
// history table and nothing else.
#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "daemon/cli/commands.h"
#include "daemon/cli/context.h"
#include "daemon/engine/backoff.h"
#include "daemon/engine/state.h"
#include "daemon/exit_codes.h"
#include "manifests/durations.h"

namespace lockstep {
namespace {

constexpr auto kFirstDelay = std::chrono::milliseconds(200);
constexpr auto kMaxDelay = std::chrono::milliseconds(5000);
constexpr auto kReportEvery = std::chrono::seconds(10);

std::string List(const MigrationGraph& graph, const std::vector<int>& ids) {
  std::string out;
  for (int m : ids) out += (out.empty() ? "" : ", ") + graph.IdOf(m);
  return out;
}

// The migrations to wait for: --for ids and the heads of --service names.
// Only these are checked: lockstep applies their ancestors first, so once
// they are in, so is everything they need.
Status Targets(const MigrationGraph& graph, const WaitOptions& wait, std::vector<int>* targets) {
  if (wait.targets.empty() && wait.services.empty()) {
    return Status::BadInput("wait: name what to wait for: --for service:version or --service NAME");
  }
  return TargetsOf(graph, wait.targets, "--for", wait.services, targets);
}

// Reads the databases' histories through connections kept between rounds.
// BadInput (configuration) ends the wait; any other failure is `trouble`, and
// that database is reconnected next round: it may not be up yet.
class HistoryReader {
 public:
  HistoryReader(DatabaseFactory factory, std::set<std::string> databases)
      : factory_(std::move(factory)), databases_(std::move(databases)) {}

  Status Read(std::map<std::string, std::vector<HistoryRow>>* histories, std::string* trouble) {
    for (const std::string& db : databases_) {
      std::unique_ptr<Database>& conn = connections_[db];
      Status status;
      if (!conn) {
        std::string error;
        if (!(conn = factory_(db, &error))) return Status::BadInput(error);
        status = conn->Open();
      }
      if (status.ok()) status = conn->ReadHistory(&(*histories)[db]);
      if (status.code() == Status::Code::kBadInput) return status;
      if (!status.ok()) {
        *trouble = status.message();
        conn.reset();
      }
    }
    return Status::Ok();
  }

 private:
  DatabaseFactory factory_;
  std::set<std::string> databases_;
  std::map<std::string, std::unique_ptr<Database>> connections_;
};

}  // namespace

int RunWait(const CommonOptions& options, const WaitOptions& wait, std::ostream& out, Log& log) {
  std::chrono::milliseconds timeout;
  std::string error;
  if (!ParseDuration(wait.timeout, &timeout, &error)) {
    return OkOrSay(Status::BadInput("wait: --timeout: " + error), log);
  }
  Loaded loaded = Load(options, log);
  if (!loaded.graph) return kExitBadInput;
  const MigrationGraph& graph = *loaded.graph;
  std::vector<int> targets;
  if (Status s = Targets(graph, wait, &targets); !s.ok()) return OkOrSay(s, log);
  std::vector<bool> needed = graph.Closure(targets);
  std::set<std::string> databases;
  for (int m = 0; m < graph.size(); ++m) {
    if (needed[m])
      databases.insert(graph.model().services[graph.model().migrations[m].service].database);
  }
  HistoryReader reader(MakeDatabases(options, *loaded.platform, NewRunId()), databases);
  Clock& clock = *options.clock;
  auto deadline = clock.Now() + timeout;
  Backoff delays(kFirstDelay, kMaxDelay, 150);
  auto last_report = clock.Now() - kReportEvery;
  for (;;) {
    std::map<std::string, std::vector<HistoryRow>> histories;
    std::string trouble;  // why a database could not be read this round
    if (Status s = reader.Read(&histories, &trouble); !s.ok()) return OkOrSay(s, log);
    PlatformState state = Reconcile(graph, histories);
    // A failed migration anywhere below a target blocks it for good.
    std::vector<int> failed, missing;
    for (int m : state.failed) {
      if (needed[m]) failed.push_back(m);
    }
    for (int m : targets) {
      if (!state.applied[m]) missing.push_back(m);
    }
    if (!failed.empty()) {
      log.error() << "lockstep: " << List(graph, failed)
                  << " is recorded as failed; it will not be applied without a person: exit "
                     "without waiting\n";
      return kExitFailed;
    }
    if (missing.empty()) {
      log.info() << "lockstep: applied: " << List(graph, targets) << "\n";
      if (options.json) {
        nlohmann::ordered_json ids = nlohmann::ordered_json::array();
        for (int m : targets) ids.push_back(graph.IdOf(m));
        out << nlohmann::ordered_json{{"ready", true}, {"migrations", ids}}.dump(2) << "\n";
      } else {
        out << "ready\n";
      }
      return kExitOk;
    }
    auto now = clock.Now();
    std::string why = trouble.empty() ? "" : " (" + trouble + ")";
    if (now >= deadline) {
      log.error() << "lockstep: timed out after " << FormatDuration(timeout) << " waiting for "
                  << List(graph, missing)
                  << (trouble.empty() ? "" : " (last error: " + trouble + ")") << "\n";
      return kExitWaitTimeout;
    }
    if (now - last_report >= kReportEvery) {
      log.info() << "lockstep: waiting for " << List(graph, missing) << why << "\n";
      last_report = now;
    }
    clock.SleepFor(std::min(delays.Next(),
                            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now)));
  }
}

}  // namespace lockstep
