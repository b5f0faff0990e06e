// lockstep wait: what an app's init container runs so that the app starts
// only once the migrations it needs are in. Read-only: it needs SELECT on the
// history table and nothing else.
#include <algorithm>
#include <set>

#include "daemon/cli/commands.h"
#include "daemon/exit_codes.h"
#include "daemon/cli/context.h"
#include "daemon/engine/backoff.h"
#include "daemon/engine/state.h"
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

}  // namespace

int RunWait(const CommonOptions& options, const WaitOptions& wait, std::ostream& out, Log& log) {
  if (wait.targets.empty() && wait.services.empty()) {
    log.error() << "lockstep: wait: name what to wait for: --for service:version or --service NAME\n";
    return kExitBadInput;
  }
  std::chrono::milliseconds timeout;
  std::string error;
  if (!ParseDuration(wait.timeout, &timeout, &error)) {
    log.error() << "lockstep: wait: --timeout: " << error << "\n";
    return kExitBadInput;
  }
  Loaded loaded = Load(options, log);
  if (!loaded.graph) return kExitBadInput;
  const MigrationGraph& graph = *loaded.graph;
  const Model& model = graph.model();
  std::vector<bool> wanted;
  // Only the named migrations (or heads) are checked: lockstep applies their
  // ancestors first, so once they are in, so is everything they need.
  std::vector<int> targets;
  for (const std::string& id : wait.targets) {
    int m = graph.Resolve(id, &error);
    if (m < 0) {
      log.error() << "lockstep: --for " << id << ": " << error << "\n";
      return kExitBadInput;
    }
    targets.push_back(m);
  }
  if (!Select(graph, {}, wait.services, &wanted, log)) return kExitBadInput;
  for (const std::string& name : wait.services) {
    for (int m : graph.Heads(graph.FindService(name))) targets.push_back(m);
  }
  std::vector<bool> needed = graph.Closure(targets);
  std::set<std::string> databases;
  for (int m = 0; m < graph.size(); ++m) {
    if (needed[m]) databases.insert(model.services[model.migrations[m].service].database);
  }

  DatabaseFactory factory = MakeDatabases(options, *loaded.platform, NewRunId());
  std::map<std::string, std::unique_ptr<Database>> connections;
  Clock& clock = *options.clock;
  auto start = clock.Now();
  auto deadline = start + timeout;
  Backoff delays(kFirstDelay, kMaxDelay, 150);
  auto last_report = start - kReportEvery;
  for (;;) {
    std::map<std::string, std::vector<HistoryRow>> histories;
    std::string trouble;  // why a database could not be read this round
    for (const std::string& db : databases) {
      std::unique_ptr<Database>& conn = connections[db];
      Status status;
      if (!conn) {
        conn = factory(db, &error);
        if (!conn) {
          log.error() << "lockstep: " << error << "\n";
          return kExitBadInput;
        }
        status = conn->Open();
      }
      if (status.ok()) status = conn->ReadHistory(&histories[db]);
      if (status.code() == Status::Code::kBadInput) {  // configuration: waiting cannot fix it
        log.error() << "lockstep: " << status.message() << "\n";
        return kExitBadInput;
      }
      if (!status.ok()) {
        trouble = status.message();
        conn.reset();  // reconnect next round: the database may not be up yet
      }
    }
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
    auto now = clock.Now();
    if (missing.empty()) {
      log.info() << "lockstep: applied: " << List(graph, targets) << "\n";
      out << "ready\n";
      return kExitOk;
    }
    if (now >= deadline) {
      log.error() << "lockstep: timed out after " << FormatDuration(timeout)
                  << " waiting for " << List(graph, missing)
                  << (trouble.empty() ? "" : " (last error: " + trouble + ")") << "\n";
      return kExitWaitTimeout;
    }
    if (now - last_report >= kReportEvery) {
      log.info() << "lockstep: waiting for " << List(graph, missing)
                 << (trouble.empty() ? "" : " (" + trouble + ")") << "\n";
      last_report = now;
    }
    clock.SleepFor(std::min(delays.Next(),
                            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now)));
  }
}

}  // namespace lockstep
