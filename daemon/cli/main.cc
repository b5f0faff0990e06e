// lockstep's command line: the table of commands and their options, nothing
// more. The commands themselves are in daemon/commands.cc.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <iostream>
#include <map>
#include <set>

#include <CLI/CLI.hpp>

#include "daemon/cli/commands.h"
#include "daemon/engine/loaded.h"
#include "daemon/exit_codes.h"
#include "daemon/log.h"
#include "daemon/server/daemon.h"
#include "graph/suggest.h"
#include "manifests/durations.h"
#include "manifests/environments.h"

namespace {

// Asks on the terminal; true only for an answer that starts with y.
bool AskOnTerminal(const std::string& question) {
  std::cerr << question << " [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return !answer.empty() && (answer[0] == 'y' || answer[0] == 'Y');
}

// The options of `app` that take a value, and every long and short name.
void OptionNames(const CLI::App& app, std::vector<std::string>* names,
                 std::set<std::string>* with_value) {
  for (const CLI::Option* o : app.get_options()) {
    if (o->get_positional()) continue;
    for (const std::string& n : o->get_lnames()) {
      names->push_back("--" + n);
      if (o->get_items_expected_min() > 0) with_value->insert("--" + n);
    }
    for (const std::string& n : o->get_snames()) {
      names->push_back("-" + n);
      if (o->get_items_expected_min() > 0) with_value->insert("-" + n);
    }
  }
}

// A mistyped command or option, found before CLI11 parses (its own messages
// say only "not expected"): "unknown command 'aplly' (did you mean
// 'apply'?)"; empty when there is none.
std::string MistypedWord(CLI::App& app, int argc, char** argv) {
  std::vector<std::string> global;
  std::set<std::string> with_value;
  OptionNames(app, &global, &with_value);
  CLI::App* command = nullptr;
  std::vector<std::string> names = global;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") break;
    if (arg.size() > 1 && arg[0] == '-') {
      std::string name = arg.substr(0, arg.find('='));
      if (name == "--help" || name == "-h" || name == "--version") return "";
      if (std::find(names.begin(), names.end(), name) == names.end()) {
        // Short flags may be grouped (-vv); CLI11 judges those.
        if (name.size() > 2 && name[1] != '-') continue;
        std::vector<std::string_view> candidates(names.begin(), names.end());
        return "unknown option '" + name + "'" +
               (command ? " for " + command->get_name() : std::string()) +
               (name.rfind("--", 0) == 0 ? lockstep::DidYouMean(name, candidates) : "") + "; '" +
               (command ? "lockstep " + command->get_name() + " --help" : "lockstep --help") +
               "' lists them";
      }
      if (with_value.count(name) && arg.find('=') == std::string::npos) ++i;
      continue;
    }
    if (command) continue;  // a positional argument of the command
    std::vector<CLI::App*> commands = app.get_subcommands([](CLI::App*) { return true; });
    std::vector<std::string_view> candidates;
    for (CLI::App* c : commands) {
      candidates.push_back(c->get_name());
      if (c->get_name() == arg) command = c;
    }
    if (!command) {
      return "unknown command '" + arg + "'" + lockstep::DidYouMean(arg, candidates) +
             "; 'lockstep --help' lists them";
    }
    OptionNames(*command, &names, &with_value);
  }
  return "";
}

// Two or three real invocations at the end of each command's --help.
void AddExamples(CLI::App& app) {
  static const std::map<std::string, std::vector<std::string>> kExamples = {
      {"validate", {"lockstep validate", "lockstep -c platform/lockstep.yaml validate --strict"}},
      {"plan",
       {"lockstep plan", "lockstep plan --offline --target billing:004",
        "lockstep plan --sql --database billing > billing.sql"}},
      {"apply",
       {"lockstep apply", "lockstep apply --service billing --steps 1",
        "lockstep --env staging apply --canary 5"}},
      {"rollback",
       {"lockstep rollback --to accounts:001 --dry-run",
        "lockstep rollback --steps 1 --service "
        "accounts --yes"}},
      {"baseline",
       {"lockstep baseline --service users --version 007",
        "lockstep baseline --import flyway "
        "--service users"}},
      {"repair",
       {"lockstep repair --service users --version 004 --forget",
        "lockstep repair --service users --version 002 --checksum"}},
      {"new",
       {"lockstep new users add_phone",
        "lockstep new billing add_invoices --requires "
        "users:004"}},
      {"heads", {"lockstep heads users"}},
      {"merge", {"lockstep merge users"}},
      {"verify",
       {"lockstep verify --service users",
        "lockstep verify --scratch-url "
        "postgresql://localhost/scratch"}},
      {"status",
       {"lockstep status", "lockstep status --check --service 'tenant-*'",
        "lockstep status --json"}},
      {"history", {"lockstep history --service users", "lockstep history --limit 20 --json"}},
      {"wait", {"lockstep wait --service users --timeout 5m", "lockstep wait --for billing:004"}},
      {"drift",
       {"lockstep drift", "lockstep drift --revert-sql > revert.sql",
        "lockstep drift --write-migration billing-service"}},
      {"lint",
       {"lockstep lint", "lockstep lint --all --format github", "lockstep lint --explain LS103"}},
      {"report", {"lockstep report", "lockstep report --format markdown > report.md"}},
      {"compare",
       {"lockstep compare staging production",
        "lockstep compare dev staging "
        "production --json"}},
      {"serve",
       {"lockstep serve --listen 0.0.0.0:8080 --token-file /run/secrets/token",
        "lockstep serve --open-reads --refresh 1m"}},
      {"graph",
       {"lockstep graph --format dot | dot -Tsvg > graph.svg",
        "lockstep graph --format "
        "mermaid"}},
      {"version", {"lockstep version", "lockstep version --json"}},
  };
  for (CLI::App* c : app.get_subcommands([](CLI::App*) { return true; })) {
    auto it = kExamples.find(c->get_name());
    if (it == kExamples.end()) continue;
    std::string text = "Examples:";
    for (const std::string& e : it->second) text += "\n  " + e;
    c->footer(text);
  }
}

}  // namespace

// "2/4" -> 2 of 4.
static bool ParseShard(const std::string& text, int* shard, int* shards) {
  size_t slash = text.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == text.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i != slash && !isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  if (slash > 6 || text.size() - slash - 1 > 6) return false;
  *shard = std::stoi(text.substr(0, slash));
  *shards = std::stoi(text.substr(slash + 1));
  return *shards >= 1 && *shard < *shards;
}

int main(int argc, char** argv) {
  using namespace lockstep;
  CommonOptions common;
  PlanOptions plan;
  ApplyOptions apply;
  StatusOptions status_options;
  std::string format = "dot";

  CLI::App app{
      "lockstep applies PostgreSQL schema migrations for a whole platform of "
      "services: one DAG across services and databases, checked before anything "
      "runs."};
  const std::string version =
      std::string("lockstep ") + LOCKSTEP_VERSION + " (commit " + LOCKSTEP_GIT_COMMIT + ")";
  app.set_version_flag("--version", version);
  std::string color = "auto";
  app.add_option("--color", color,
                 "Colour and a live progress line on a terminal: auto (default; NO_COLOR "
                 "turns colour off), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  std::string log_format;
  app.add_option("--log-format", log_format,
                 "Logs on stderr as text (default) or json, one object per line "
                 "(or $LOCKSTEP_LOG_FORMAT)");
  app.add_flag("-v,--verbose", common.verbose,
               "List every warning; repeated ones are otherwise summarised in one line");
  app.add_option("-c,--config", common.config_path,
                 "Platform file (default: $LOCKSTEP_CONFIG, then ./lockstep.yaml)");
  std::string shard;
  app.add_option("--shard", shard,
                 "I/N: only the databases of shard I of N (a Kubernetes Indexed Job's "
                 "$(JOB_COMPLETION_INDEX)/N); what they need elsewhere is waited for");
  std::string env_name;
  app.add_option("--env", env_name,
                 "NAME: read the env_file of this environment of the platform file before the "
                 "process environment (or $LOCKSTEP_ENV)");
  app.add_option("--tenant", common.tenants,
                 "SET/NAME (or NAME): only this member of a database set; repeatable");
  app.require_subcommand(1);
  app.fallthrough();
  app.footer(
      "Exit codes: 0 done, 1 a migration or database operation failed, 2 bad usage, "
      "configuration or graph, 3 lock not obtained in time, 4 drift found, 5 wait "
      "timed out.");

  CLI::App* validate = app.add_subcommand(
      "validate", "Load every manifest and migration and check the graph; touch no database");
  validate->add_flag("--json", common.json, "Print the result as JSON on stdout");
  bool strict = false;
  validate->add_flag("--strict", strict, "Treat every warning as an error (for CI)");

  CLI::App* plan_cmd =
      app.add_subcommand("plan", "Show what apply would do, in waves, per database");
  plan_cmd->add_flag("--offline", plan.offline,
                     "Plan as if nothing were applied, connecting to nothing");
  plan_cmd->add_option("--target", plan.targets,
                       "Only this migration (service:version) and what it needs; repeatable");
  plan_cmd->add_option("--service", plan.services,
                       "Only this service's heads and what they need; repeatable");
  plan_cmd->add_flag("--json", common.json, "Print the plan as JSON on stdout");
  plan_cmd->add_flag("--sql", plan.sql,
                     "Print, per database, the SQL script lockstep would run (for psql -f)");
  plan_cmd->add_option("--database", plan.database, "With --sql: only this database's script");
  plan_cmd->add_flag("--all", plan.all, "List every migration (past 100 the plan is summarised)");

  CLI::App* apply_cmd = app.add_subcommand(
      "apply", "Apply pending migrations: databases in parallel, one migration at a time each");
  apply_cmd->add_option("--target", apply.targets,
                        "Only this migration (service:version) and what it needs; repeatable");
  apply_cmd->add_option("--service", apply.services,
                        "Only this service's heads and what they need; repeatable");
  apply_cmd->add_flag("--dry-run", apply.dry_run, "Print what would run; change nothing");
  apply_cmd->add_flag("--atomic", apply.atomic,
                      "All or nothing across databases: one transaction per database, prepared "
                      "on all, then committed on all (needs max_prepared_transactions > 0)");
  apply_cmd->add_flag("--json", common.json, "Print the result as JSON on stdout");
  apply_cmd->add_option("--canary", apply.canary,
                        "N: the first N members of database sets (in name order) first; the "
                        "rest only if they all succeeded");
  apply_cmd->add_option("--steps", apply.steps,
                        "N, with one --service: only that service's next N pending migrations "
                        "(and what they need), as Alembic's upgrade +N");
  apply_cmd->add_flag("--allow-out-of-order", apply.allow_out_of_order,
                      "Apply migrations older than their service's latest applied one");

  RollbackOptions rollback;
  CLI::App* rollback_cmd = app.add_subcommand(
      "rollback", "Run down migrations, dependents first, across services and databases");
  CLI::Option* to_opt = rollback_cmd->add_option(
      "--to", rollback.to,
      "SERVICE:VERSION: bring that service back to that version: roll back its later "
      "migrations and what depends on them; what depends only on the kept version stays. "
      "E.g. --to accounts:001");
  CLI::Option* target_opt = rollback_cmd->add_option(
      "--target", rollback.target,
      "ID: roll back this migration and everything that depends on it, on any service. "
      "E.g. --target accounts:002");
  rollback_cmd
      ->add_option("--steps", rollback.steps,
                   "Roll back the N most recently applied migrations (and their dependents)")
      ->check(CLI::PositiveNumber)
      ->excludes(to_opt)
      ->excludes(target_opt);
  to_opt->excludes(target_opt);
  rollback_cmd->add_option("--service", rollback.service, "With --steps: only this service's");
  rollback_cmd->add_flag("--dry-run", rollback.dry_run, "Print the plan; change nothing");
  rollback_cmd->add_flag("-y,--yes", rollback.yes,
                         "Run without asking (needed when stdin is not a terminal)");
  rollback_cmd->add_flag("--json", common.json, "Print the result as JSON on stdout");
  rollback_cmd->add_flag("--sql", rollback.sql,
                         "Print, per database, the SQL script of the rollback; change nothing");
  rollback_cmd->add_option("--database", rollback.database,
                           "With --sql: only this database's script");

  BaselineOptions baseline;
  CLI::App* baseline_cmd = app.add_subcommand(
      "baseline", "Mark an existing database as already at a version, running nothing");
  baseline_cmd->add_flag("--json", common.json, "Print the result as JSON on stdout");
  baseline_cmd->add_option("--service", baseline.service, "The service");
  baseline_cmd->add_option("--version", baseline.version,
                           "Record this version and everything before it");
  baseline_cmd
      ->add_option("--import", baseline.import_tool,
                   "Read another tool's history: flyway, golang-migrate, dbmate, alembic, sqitch")
      ->check(CLI::IsMember({"flyway", "golang-migrate", "dbmate", "alembic", "sqitch"}));

  RepairOptions repair;
  CLI::App* repair_cmd = app.add_subcommand(
      "repair",
      "Resolve a migration recorded failed (a no-transaction one that stopped half-way), or "
      "accept an intentional edit of an applied file (--checksum)");
  repair_cmd->add_flag("--json", common.json, "Print the result as JSON on stdout");
  repair_cmd->add_option("--service", repair.service, "The service");
  repair_cmd->add_flag("--in-doubt", repair.in_doubt,
                       "Commit or roll back what an apply --atomic that died left prepared, as "
                       "its recorded decision says");
  repair_cmd->add_option("--version", repair.version, "Which one, when several are failed");
  CLI::Option* forget_opt = repair_cmd->add_flag("--forget", repair.forget,
                                                 "You undid it by hand: it runs again next time");
  repair_cmd->add_flag("--mark-applied", repair.mark_applied, "You finished it by hand")
      ->excludes(forget_opt);
  repair_cmd->add_flag("--checksum", repair.checksum,
                       "You edited an applied file on purpose (a comment): record its new "
                       "checksum, with an event; needs --version");

  NewOptions new_options;
  CLI::App* new_cmd = app.add_subcommand("new", "Write the next up/down pair of a service");
  new_cmd->add_flag("--json", common.json, "Print the result as JSON on stdout");
  new_cmd->add_option("service", new_options.service, "The service")->required();
  new_cmd->add_option("name", new_options.name, "What it does: add_users_phone")->required();
  new_cmd->add_option("--requires", new_options.requires_ids,
                      "A migration it needs (service:version); repeatable");

  std::string heads_service, merge_service;
  CLI::App* heads_cmd = app.add_subcommand("heads", "Print a service's heads");
  heads_cmd->add_flag("--json", common.json, "Print the result as JSON on stdout");
  heads_cmd->add_option("service", heads_service, "The service")->required();
  CLI::App* merge_cmd =
      app.add_subcommand("merge", "Write a merge migration whose parents are a service's heads");
  merge_cmd->add_flag("--json", common.json, "Print the result as JSON on stdout");
  merge_cmd->add_option("service", merge_service, "The service")->required();

  VerifyOptions verify;
  CLI::App* verify_cmd = app.add_subcommand(
      "verify",
      "On scratch databases: up, down, up again for every migration; report downs that do not "
      "undo their up");
  verify_cmd->add_flag("--json", common.json, "Print the result as JSON on stdout");
  verify_cmd->add_option("--service", verify.service, "Only this service (and what it needs)");
  verify_cmd->add_option("--scratch-url", verify.scratch_url,
                         "Server to make scratch databases on (default: each database's own)");
  verify_cmd->add_flag("--keep", verify.keep, "Keep the scratch databases afterwards");

  CLI::App* status = app.add_subcommand(
      "status", "Per service: applied, pending, failed, checksum-mismatched, unknown-applied");
  status->add_flag("--check", status_options.check,
                   "Exit 4 when anything is pending, failed or checksum-mismatched");
  status->add_option("--service", status_options.services,
                     "Only this service, or the services a pattern ('billing-*') matches; "
                     "repeatable");
  status->add_option("--database", status_options.database, "Only the services on this database");
  status->add_flag("--all", status_options.all,
                   "Every service in full (past 40 services the table is summarised)");
  status->add_flag("--json", common.json, "Print the status as JSON on stdout");

  HistoryOptions history_options;
  CLI::App* history =
      app.add_subcommand("history", "What was applied, when, by whom, how long it took");
  history->add_option("--service", history_options.services,
                      "Only this service, or the services a pattern matches; repeatable");
  history->add_option("--database", history_options.database, "Only this database's history");
  history->add_option("--limit", history_options.limit, "The newest N rows")
      ->check(CLI::PositiveNumber);
  history->add_flag("--all", history_options.all,
                    "Every row (past 100 rows, only the newest 50 are shown)");
  history->add_flag("--json", common.json, "Print the history as JSON on stdout");

  WaitOptions wait;
  CLI::App* wait_cmd = app.add_subcommand(
      "wait", "Block until migrations are applied (an app's init container), or time out");
  wait_cmd->add_flag("--json", common.json, "Print the result as JSON on stdout");
  wait_cmd->add_option("--for", wait.targets,
                       "A migration (service:version) to wait for; repeatable");
  wait_cmd->add_option("--service", wait.services, "Wait for this service's heads; repeatable");
  wait_cmd->add_option("--timeout", wait.timeout, "Give up after this long, exit 5 (default 5m)");

  CLI::App* drift = app.add_subcommand(
      "drift", "Compare each database with the schema its migrations made; exit 4 on drift");
  drift->add_flag("--json", common.json, "Print the drift as JSON on stdout");
  DriftOptions drift_options;
  drift->add_option("--write-migration", drift_options.write_migration,
                    "Write the next migration of SERVICE adopting its database's drift "
                    "(recorded there as a baseline; SERVICE@MEMBER on a database set)");
  drift->add_flag("--revert-sql", drift_options.revert_sql,
                  "Print the SQL that takes each database back to the schema its migrations "
                  "made, for you to review and run");
  LintOptions lint;
  CLI::App* lint_cmd = app.add_subcommand(
      "lint", "Check pending migrations for changes that lose data or block writers");
  lint_cmd->add_flag("--all", lint.all,
                     "Every migration, not only the pending ones (also when no database can be "
                     "read)");
  lint_cmd
      ->add_option("--format", lint.format,
                   "text (file:line:col: LSnnn name: message) or github (workflow annotations)")
      ->check(CLI::IsMember({"text", "github"}));
  lint_cmd->add_option("--explain", lint.explain,
                       "ID or name: why the rule matters and what to write instead; 'all' for "
                       "every rule");
  lint_cmd->add_option("--service", lint.services, "Only this service's migrations; repeatable");
  lint_cmd->add_flag("--json", common.json, "Print the findings as JSON on stdout");

  ServeOptions serve;
  CLI::App* serve_cmd = app.add_subcommand(
      "serve", "Run the daemon: HTTP API, metrics, status page, scheduled rounds");
  serve_cmd->add_option("--listen", serve.listen,
                        "HOST:PORT to listen on (default 127.0.0.1:8080)");
  serve_cmd->add_option("--token-file", serve.token_file,
                        "File holding the API token (default: $LOCKSTEP_API_TOKEN)");
  serve_cmd->add_flag("--open-reads", serve.open_reads,
                      "Serve read endpoints to every client, not only loopback ones");
  serve_cmd
      ->add_option("--max-connections", serve.max_connections,
                   "HTTP clients served at once; past it a client gets 503 (default 256)")
      ->check(CLI::Range(1, 100000));
  std::string refresh = "30s";
  serve_cmd->add_option("--refresh", refresh,
                        "How often to re-read every database's state and drift (default 30s)");

  ReportOptions report;
  CLI::App* report_cmd = app.add_subcommand(
      "report",
      "The platform's migration health: naming, fix migrations, merges, missing downs, "
      "documentation, files edited after apply");
  report_cmd->add_option("--service", report.services,
                         "Only this service (or pattern); repeatable");
  report_cmd
      ->add_option("--format", report.format, "text (default) or markdown (for a pull request)")
      ->check(CLI::IsMember({"text", "markdown"}));
  report_cmd->add_flag("--json", common.json, "Print the report as JSON on stdout");

  std::vector<std::string> compare_envs;
  CLI::App* compare_cmd =
      app.add_subcommand("compare",
                         "Which migrations differ between environments (lockstep compare staging "
                         "production)");
  compare_cmd->add_option("environments", compare_envs, "Two environments or more")->required();
  compare_cmd->add_flag("--json", common.json, "Print the comparison as JSON on stdout");

  CLI::App* version_cmd = app.add_subcommand("version", "Print the version and the build's commit");
  version_cmd->add_flag("--json", common.json, "Print the result as JSON on stdout");

  CLI::App* graph = app.add_subcommand("graph", "Print the migration DAG");
  graph->add_option("--format", format, "dot, mermaid or json (default: dot)")
      ->check(CLI::IsMember({"dot", "mermaid", "json"}));
  bool graph_json = false;
  graph->add_flag("--json", graph_json, "The same as --format json");

  std::signal(SIGPIPE, SIG_IGN);  // a dropped server connection must not kill us
  AddExamples(app);
  if (std::string mistyped = MistypedWord(app, argc, argv); !mistyped.empty()) {
    std::cerr << "lockstep: " << mistyped << "\n";
    return kExitBadInput;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }
  if (version_cmd->parsed()) {
    if (common.json) {
      std::cout << "{\"version\": \"" << LOCKSTEP_VERSION << "\", \"commit\": \""
                << LOCKSTEP_GIT_COMMIT << "\"}\n";
    } else {
      std::cout << version << "\n";
    }
    return kExitOk;
  }
  if (log_format.empty()) log_format = common.env("LOCKSTEP_LOG_FORMAT").value_or("text");
  std::optional<LogFormat> format_of_logs = ParseLogFormat(log_format);
  if (!format_of_logs) {
    std::cerr << "lockstep: --log-format: '" << log_format << "' is not text or json\n";
    return kExitBadInput;
  }
  Log log(*format_of_logs);
  if (!shard.empty() && !ParseShard(shard, &common.shard, &common.shards)) {
    log.error() << "lockstep: --shard: '" << shard
                << "' is not I/N with 0 <= I < N (e.g. 0/4 for the first of four shards)\n";
    return kExitBadInput;
  }
  if (env_name.empty()) env_name = common.env("LOCKSTEP_ENV").value_or("");
  if (!env_name.empty()) {
    Diagnostics diag;
    Environment chosen;
    if (!EnvironmentNamed(ConfigPath(common.config_path, common.env), env_name, common.env, &chosen,
                          &diag)) {
      LogDiagnostics(diag, common.verbose, log);
      return kExitBadInput;
    }
    common.env = std::move(chosen);
  }
  // Escape codes only where a person reads them: never when piped.
  bool no_color = common.env("NO_COLOR").value_or("") != "";
  common.color = color == "always" || (color == "auto" && !no_color && isatty(STDOUT_FILENO));
  bool terminal = color == "always" || (color == "auto" && isatty(STDERR_FILENO));
  if (terminal && *format_of_logs == LogFormat::kText) common.live = &std::cerr;

  // Commands that touch no database do not run a set's `tenants: { query }`.
  common.read_tenant_queries =
      !(validate->parsed() || graph->parsed() || new_cmd->parsed() || heads_cmd->parsed() ||
        merge_cmd->parsed() || (plan_cmd->parsed() && plan.offline));
  common.keep_statements = !(validate->parsed() || status->parsed() || history->parsed() ||
                             wait_cmd->parsed() || (plan_cmd->parsed() && !plan.sql));
  try {
    if (validate->parsed()) return RunValidate(common, strict, std::cout, log);
    if (plan_cmd->parsed()) return RunPlan(common, plan, std::cout, log);
    if (graph->parsed()) return RunGraph(common, graph_json ? "json" : format, std::cout, log);
    if (apply_cmd->parsed()) return RunApply(common, apply, std::cout, log);
    if (verify_cmd->parsed()) return RunVerify(common, verify, std::cout, log);
    if (new_cmd->parsed()) return RunNew(common, new_options, std::cout, log);
    if (heads_cmd->parsed()) return RunHeads(common, heads_service, std::cout, log);
    if (merge_cmd->parsed()) return RunMerge(common, merge_service, std::cout, log);
    if (baseline_cmd->parsed()) return RunBaseline(common, baseline, std::cout, log);
    if (repair_cmd->parsed()) return RunRepair(common, repair, std::cout, log);
    if (rollback_cmd->parsed()) {
      if (isatty(STDIN_FILENO) && isatty(STDERR_FILENO)) rollback.confirm = AskOnTerminal;
      return RunRollback(common, rollback, std::cout, log);
    }
    if (status->parsed()) return RunStatus(common, status_options, std::cout, log);
    if (history->parsed()) return RunHistory(common, history_options, std::cout, log);
    if (drift->parsed()) return RunDrift(common, drift_options, std::cout, log);
    if (lint_cmd->parsed()) return RunLint(common, lint, std::cout, log);
    if (report_cmd->parsed()) return RunReport(common, report, std::cout, log);
    if (compare_cmd->parsed()) return RunCompare(common, compare_envs, std::cout, log);
    if (serve_cmd->parsed()) {
      std::string error;
      if (!ParseDuration(refresh, &serve.refresh, &error) || serve.refresh.count() == 0) {
        log.error() << "lockstep: --refresh: " << (error.empty() ? "must be more than 0" : error)
                    << "\n";
        return kExitBadInput;
      }
      return RunServe(common, serve, std::cout, log);
    }
    if (wait_cmd->parsed()) return RunWait(common, wait, std::cout, log);
  } catch (const std::exception& e) {
    // Commands report their errors as values; reaching this is a bug, but it
    // must still end as a message and an exit code, not an abort.
    log.error() << "lockstep: internal error: " << e.what() << "\n";
    return kExitFailed;
  }
  return kExitBadInput;
}
