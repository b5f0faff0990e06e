// The daemon's HTTP API. io thread: everything here reads cached state and
// never waits on a database.
#include <cctype>
#include <sstream>

#include <openssl/crypto.h>
#include <nlohmann/json.hpp>

#include "daemon/server/daemon.h"
#include "daemon/views/json_views.h"
#include "daemon/views/render.h"
#include "manifests/sha256.h"

namespace lockstep {

extern const char kStatusPage[];

namespace {

using nlohmann::ordered_json;

// Invalid UTF-8 from a request (a path echoed in a 404) is replaced, never thrown.
HttpResponse Json(int status, const ordered_json& body) {
  return {status, "application/json",
          body.dump(2, ' ', false, ordered_json::error_handler_t::replace)};
}

HttpResponse Error(int status, const std::string& message) {
  return Json(status, ordered_json{{"error", message}});
}

// Compares without leaking, through timing, how much of a guess was right:
// OpenSSL's constant-time compare, on digests so that the length leaks nothing.
bool SameToken(const std::string& sent, const std::string& token) {
  if (token.empty()) return false;
  std::string a = Sha256Hex(sent), b = Sha256Hex(token);
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// "%3A" -> ":"; a malformed escape is kept as it is.
std::string PercentDecoded(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string QueryValue(const std::string& query, const std::string& key) {
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    std::string pair = query.substr(start, end - start);
    if (pair.rfind(key + "=", 0) == 0) return pair.substr(key.size() + 1);
    start = end + 1;
  }
  return "";
}

ordered_json RunJson(const RunRecord& run, bool full) {
  ordered_json j{
      {"id", run.id},
      {"action", run.action},
      {"target", run.target.empty() ? ordered_json(nullptr) : ordered_json(run.target)},
      {"trigger", run.trigger},
      {"state", run.state},
      {"created_at", run.created_at},
      {"started_at", run.started_at.empty() ? ordered_json(nullptr) : ordered_json(run.started_at)},
      {"finished_at",
       run.finished_at.empty() ? ordered_json(nullptr) : ordered_json(run.finished_at)},
      {"applied", run.applied},
      {"already_applied", run.already_applied},
      {"error", run.error.empty() ? ordered_json(nullptr) : ordered_json(run.error)}};
  if (!full) return j;
  j["migrations"] = ordered_json::array();
  for (const MigrationProgress& p : run.migrations) {
    j["migrations"].push_back(
        {{"id", p.id},
         {"database", p.database},
         {"state", p.state},
         {"duration_ms", p.duration_ms < 0 ? ordered_json(nullptr) : ordered_json(p.duration_ms)},
         {"error", p.error.empty() ? ordered_json(nullptr) : ordered_json(p.error)}});
  }
  j["log"] = run.log;
  return j;
}

}  // namespace

bool Daemon::Authorized(const HttpRequest& request, bool change, HttpResponse* refusal) const {
  bool token_ok = request.authorization.rfind("Bearer ", 0) == 0 &&
                  SameToken(request.authorization.substr(7), token_);
  if (change) {
    if (token_.empty()) {
      *refusal = Error(403,
                       "changes through the API are refused: no API token is configured "
                       "(LOCKSTEP_API_TOKEN or serve --token-file)");
      return false;
    }
    if (!token_ok) {
      *refusal = Error(401, "send the API token: Authorization: Bearer <token>");
      return false;
    }
    return true;
  }
  if (request.loopback || serve_.open_reads || token_ok) return true;
  *refusal = Error(401,
                   "read endpoints answer loopback clients only; send the API token "
                   "(Authorization: Bearer <token>) or start serve with --open-reads");
  return false;
}

// Ready means the API can answer: a platform is loaded (serve starts only
// with one) and the databases were read once. The fleet's health (a database
// down, a failed migration) is in /v1/status and the metrics: it must not take
// the only replica out of its Service. Unauthenticated, so it names nothing.
HttpResponse Daemon::Ready() const {
  if (!observed()) {
    return Json(503, {{"ready", false}, {"reasons", {"the databases have not been read yet"}}});
  }
  return Json(200, {{"ready", true}, {"reasons", ordered_json::array()}});
}

HttpResponse Daemon::PostRun(const HttpRequest& request) {
  nlohmann::json body = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  const char* kShape =
      "send a JSON object: {\"action\": \"apply\", \"target\": \"service:version\"} "
      "(target optional)";
  if (!body.is_object() || !body.contains("action") || !body["action"].is_string()) {
    return Error(400, kShape);
  }
  // A mistyped or wrongly typed field must never widen a run to everything
  // pending: refuse what is not exactly understood.
  for (const auto& [key, value] : body.items()) {
    if (key != "action" && key != "target")
      return Error(400, "unknown field '" + key + "'; " + kShape);
  }
  if (body.contains("target") && !body["target"].is_string()) {
    return Error(400, "target must be a string (\"service:version\"); " + std::string(kShape));
  }
  std::string action = body["action"];
  std::string target = body.contains("target") ? std::string(body["target"]) : "";
  if (action != "apply" && action != "rollback") {
    return Error(400, "action must be \"apply\" or \"rollback\"");
  }
  if (action == "rollback" && target.empty()) {
    return Error(400,
                 "a rollback needs a target: its service goes back to that version, with "
                 "what depends on the later ones (as rollback --to)");
  }
  if (!target.empty()) {
    std::string error;
    if (platform()->graph->ResolveAll(target, &error).empty()) {
      return Error(400, "target: " + error);
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (draining_) return Error(503, "the daemon is shutting down");
  }
  if (!Leads()) {
    std::string leader = coordinator_->leader();
    return Json(
        409, {{"error", "this replica is a follower: the leader runs changes; send the run to it"},
              {"leader", leader.empty() ? ordered_json(nullptr) : ordered_json(leader)}});
  }
  std::shared_ptr<RunRecord> run = Enqueue(action, target, "api");
  return Json(202, {{"id", run->id}});
}

HttpResponse Daemon::Handle(const HttpRequest& request) {
  const std::string& path = request.path;
  bool get = request.method == "GET" || request.method == "HEAD";
  if (path == "/healthz") return Json(200, {{"status", "ok"}});
  if (path == "/readyz") return Ready();

  HttpResponse refusal;
  if (path == "/v1/runs" && request.method == "POST") {
    if (!Authorized(request, /*change=*/true, &refusal)) return refusal;
    return PostRun(request);
  }
  bool known = path == "/" || path == "/metrics" || path == "/v1/status" || path == "/v1/plan" ||
               path == "/v1/graph" || path == "/v1/runs" || path.rfind("/v1/runs/", 0) == 0 ||
               path.rfind("/v1/migrations/", 0) == 0;
  if (!known) return Error(404, "no such endpoint: " + path);
  if (!get) return Error(405, request.method + " is not allowed on " + path);
  if (!Authorized(request, /*change=*/false, &refusal)) return refusal;

  if (path == "/") return {200, "text/html; charset=utf-8", kStatusPage};
  if (path == "/metrics") {
    metrics_.SetLeader(Leads());
    return {200, "text/plain; version=0.0.4", metrics_.Render()};
  }
  if (path == "/v1/graph") return GetGraph(QueryValue(request.query, "format"));
  if (path == "/v1/runs") return GetRuns();
  if (path.rfind("/v1/runs/", 0) == 0) return GetRun(path.substr(9));
  std::shared_ptr<const Observed> obs = observed();
  if (!obs) return Error(503, "the databases have not been read yet; try again in a moment");
  if (path == "/v1/plan") return GetPlan(*obs);
  if (path.rfind("/v1/migrations/", 0) == 0)
    return GetMigration(*obs, PercentDecoded(path.substr(15)));
  return GetStatus(*obs);
}

HttpResponse Daemon::GetGraph(std::string format) const {
  std::shared_ptr<const Loaded> p = platform();
  if (format.empty()) format = "json";
  std::ostringstream out;
  const MigrationGraph& graph = p->written_graph();  // one node per file, not per member
  if (format == "dot")
    RenderDot(graph, out);
  else if (format == "mermaid")
    RenderMermaid(graph, out);
  else if (format == "json")
    RenderGraphJson(graph, out);
  else
    return Error(400, "format must be dot, mermaid or json");
  return {200, format == "json" ? "application/json" : "text/plain; charset=utf-8", out.str()};
}

HttpResponse Daemon::GetRuns() const {
  ordered_json list = ordered_json::array();
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& run : runs_) list.push_back(RunJson(*run, false));
  return Json(200, {{"runs", list}});
}

HttpResponse Daemon::GetRun(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& run : runs_) {
    if (run->id == id) return Json(200, RunJson(*run, true));
  }
  return Error(404, "no run " + id + " (the daemon keeps its last 50 runs)");
}

HttpResponse Daemon::GetPlan(const Observed& obs) const {
  const MigrationGraph& graph = *obs.platform->graph;
  Lanes lanes = Lanes::Of(graph);
  std::vector<bool> pending = PendingSet(graph, {}, obs.state.applied);
  std::ostringstream out;
  RenderPlanJson({&graph, &lanes, Waves(graph, pending, lanes), /*offline=*/false}, out);
  return {200, "application/json", out.str()};
}

// The migration's panel on the status page: what the graph and the history
// know of it, and the error of the newest run that saw it fail.
HttpResponse Daemon::GetMigration(const Observed& obs, const std::string& id) const {
  const MigrationGraph& graph = *obs.platform->graph;
  std::string error;
  std::vector<int> copies = graph.ResolveAll(id, &error);
  if (copies.empty()) return Error(404, error);
  ordered_json j = MigrationDetailJson(graph, obs.state, copies[0]);
  const Service& service = graph.model().services[graph.model().migrations[copies[0]].service];
  if (!service.member.empty() && id.find('@') == std::string::npos) {
    // A migration of a service on a database set, for every member: how
    // many are in each state, and the first members that are not applied.
    ordered_json members = ordered_json::object(), behind = ordered_json::array();
    for (int c : copies) {
      ordered_json detail = MigrationDetailJson(graph, obs.state, c);
      std::string state = detail.value("state", "");
      members[state] = members.value(state, 0) + 1;
      if (state != "applied" && behind.size() < 20) behind.push_back(detail["id"]);
    }
    j["members"] = members;
    j["members_not_applied"] = behind;
  }
  j["last_error"] = nullptr;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& run : runs_) {  // newest first
    for (const MigrationProgress& p : run->migrations) {
      if (p.id != j["id"] || p.state != "failed") continue;
      j["last_error"] = {{"run", run->id}, {"at", run->finished_at}, {"error", p.error}};
      return Json(200, j);
    }
  }
  return Json(200, j);
}

HttpResponse Daemon::GetStatus(const Observed& obs) const {
  ordered_json j;
  j["platform"] = obs.platform->platform->config_path;
  j["role"] = Role();
  j["refreshed_at"] = obs.at;
  std::string reload_error, running;
  {
    std::lock_guard<std::mutex> lock(mu_);
    reload_error = reload_error_;
    for (const auto& run : runs_) {
      if (run->state == "running") running = run->id;
    }
  }
  j["reload_error"] = reload_error.empty() ? ordered_json(nullptr) : ordered_json(reload_error);
  j["running"] = running.empty() ? ordered_json(nullptr) : ordered_json(running);
  j["databases"] = ordered_json::array();
  for (const DatabaseConfig& db : obs.platform->platform->databases) {
    if (db.is_set()) continue;  // its members are listed
    auto it = obs.unreachable.find(db.name);
    bool up = it == obs.unreachable.end();
    j["databases"].push_back({{"database", db.name},
                              {"reachable", up},
                              {"error", up ? ordered_json(nullptr) : ordered_json(it->second)}});
  }
  ordered_json status = StatusJson(*obs.platform->graph, obs.state);
  j["up_to_date"] = status["up_to_date"];
  j["services"] = status["services"];
  j["unknown_applied"] = status["unknown_applied"];
  j["drift"] = DriftJson(obs.drift);
  return Json(200, j);
}

}  // namespace lockstep
