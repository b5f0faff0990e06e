#include "manifests/settings.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <vector>

#include "manifests/durations.h"

namespace lockstep {

bool IsIdentifier(std::string_view name) {
  if (name.empty() || name.size() > 63 || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool ParseSchema(std::string_view text, std::string* out, std::string* error) {
  if (!IsIdentifier(text)) {
    *error = "'" + std::string(text) +
             "' is not a plain schema name; use lower-case letters, digits and '_'";
    return false;
  }
  *out = std::string(text);
  return true;
}

namespace {

bool ParseJobs(std::string_view text, int* jobs, std::string* error) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > 1024) {
    *error =
        "'" + std::string(text) + "' is not a number of jobs; write a whole number from 1 to 1024";
    return false;
  }
  *jobs = value;
  return true;
}

bool ParseMaxConnections(std::string_view text, Settings* s, std::string* error) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 2 || value > 10000) {
    *error = "'" + std::string(text) +
             "' is not a number of connections; write a whole number from 2 to 10000";
    return false;
  }
  s->max_connections = value;
  return true;
}

bool ParseBool(std::string_view text, bool* out, std::string* error) {
  if (text == "true" || text == "yes" || text == "on") return *out = true, true;
  if (text == "false" || text == "no" || text == "off") return *out = false, true;
  *error = "'" + std::string(text) + "' is not true or false";
  return false;
}

bool ParseLock(std::string_view text, Settings* s, std::string* error) {
  if (text == "advisory") return s->lock = Settings::Lock::kAdvisory, true;
  if (text == "lease") return s->lock = Settings::Lock::kLease, true;
  *error = "'" + std::string(text) +
           "' is not a kind of lock; write advisory (the default) or lease (through a "
           "transaction-pooling PgBouncer)";
  return false;
}

bool ParseOnFailure(std::string_view text, Settings* s, std::string* error) {
  if (text == "stop") return s->on_failure = Settings::OnFailure::kStop, true;
  if (text == "continue") return s->on_failure = Settings::OnFailure::kContinue, true;
  *error = "'" + std::string(text) +
           "' is not stop or continue (what the other databases do after a migration fails)";
  return false;
}

bool ParseLeaseTtl(std::string_view text, Settings* s, std::string* error) {
  if (!ParseDuration(text, &s->lease_ttl, error)) return false;
  if (s->lease_ttl >= std::chrono::seconds(3)) return true;
  *error = "'" + std::string(text) + "' is too short for a lease; write 3s or more (default 30s)";
  return false;
}

// One setting: its key under `settings:`, its parser and where it goes.
struct SettingField {
  const char* key;
  std::function<bool(std::string_view, Settings*, std::string*)> parse;
};

const std::vector<SettingField>& SettingFields() {
  static const std::vector<SettingField> fields = {
      {"lock_timeout", [](std::string_view t, Settings* s,
                          std::string* e) { return ParseDuration(t, &s->lock_timeout, e); }},
      {"statement_timeout",
       [](std::string_view t, Settings* s, std::string* e) {
         return ParseDuration(t, &s->statement_timeout, e);
       }},
      {"jobs",
       [](std::string_view t, Settings* s, std::string* e) { return ParseJobs(t, &s->jobs, e); }},
      {"history_schema", [](std::string_view t, Settings* s,
                            std::string* e) { return ParseSchema(t, &s->history_schema, e); }},
      {"shutdown_grace", [](std::string_view t, Settings* s,
                            std::string* e) { return ParseDuration(t, &s->shutdown_grace, e); }},
      {"max_connections", ParseMaxConnections},
      {"on_failure", ParseOnFailure},
      {"lock", ParseLock},
      {"lease_ttl", ParseLeaseTtl},
      {"coordination",
       [](std::string_view t, Settings* s, std::string*) {
         s->coordination = std::string(t);  // a database of the platform: the loader checks
         return true;
       }},
  };
  return fields;
}

std::string EnvName(std::string_view key) {
  std::string name = "LOCKSTEP_";
  for (char c : key) name += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return name;
}

// settings.lint: { error: [LS101, ...], warning: [...], off: [...] }.
void ReadLintSeverities(const YAML::Node& lint, YamlFile* file, Settings* settings) {
  if (!lint) return;
  if (!lint.IsMap()) {
    file->Error(lint, "'lint' must be a mapping, e.g. {error: [LS104], off: [LS108]}");
    return;
  }
  file->CheckKeys(lint, {"error", "warning", "off"}, "settings.lint");
  for (const char* severity : {"error", "warning", "off"}) {
    const YAML::Node list = lint[severity];
    if (!list) continue;
    if (!list.IsSequence()) {
      file->Error(list,
                  std::string("settings.lint.") + severity + " must list rule ids, e.g. [LS103]");
      continue;
    }
    for (const auto& id : list) {
      std::string text = id.IsScalar() ? id.Scalar() : "";
      bool ok = text.size() == 5 && text.starts_with("LS") &&
                std::all_of(text.begin() + 2, text.end(), ::isdigit);
      if (!ok) {
        file->Error(id,
                    "settings.lint." + std::string(severity) + ": '" + text +
                        "' is not a lint rule id (LS101, ...; lockstep lint --explain lists them)");
        continue;
      }
      settings->lint[text] = severity;
      settings->lint_lines[text] = YamlFile::Line(id);
    }
  }
}

// settings.hooks: { before_apply: CMD, after_apply: CMD, timeout: 10m }.
void ReadHooks(const YAML::Node& hooks, YamlFile* file, Settings* settings) {
  if (!hooks) return;
  if (!hooks.IsMap()) {
    file->Error(hooks,
                "'hooks' must be a mapping, e.g. {before_apply: \"pg_dump -Fc -f "
                "backup-$LOCKSTEP_DATABASE.dump\", timeout: 10m}");
    return;
  }
  file->CheckKeys(hooks, {"before_apply", "after_apply", "timeout"}, "settings.hooks");
  for (auto [key, out] : {std::pair{"before_apply", &settings->hooks.before_apply},
                          std::pair{"after_apply", &settings->hooks.after_apply}}) {
    if (auto command = file->Scalar(hooks, key, false, "settings.hooks")) *out = *command;
  }
  std::string error;
  auto timeout = file->Scalar(hooks, "timeout", false, "settings.hooks");
  if (timeout && !ParseDuration(*timeout, &settings->hooks.timeout, &error)) {
    file->Error(hooks["timeout"], "timeout: " + error);
  }
}

// settings.report: { naming: "{date}_{number}_{description}", ranges: {"001-099": base} }.
void ReadReport(const YAML::Node& report, YamlFile* file, Settings* settings) {
  if (!report) return;
  if (!report.IsMap()) {
    file->Error(report, "'report' must be a mapping, e.g. {naming: \"{number}_{description}\"}");
    return;
  }
  file->CheckKeys(report, {"naming", "ranges"}, "settings.report");
  if (auto naming = file->Scalar(report, "naming", false, "settings.report")) {
    settings->report.naming = *naming;
  }
  const YAML::Node ranges = report["ranges"];
  if (!ranges) return;
  if (!ranges.IsMap()) {
    file->Error(ranges,
                "settings.report.ranges must map \"FROM-TO\" to what belongs there, e.g. "
                "{\"900-999\": fixes}");
    return;
  }
  for (const auto& entry : ranges) {
    std::string range = entry.first.Scalar();
    size_t dash = range.find('-');
    bool ok = dash != std::string::npos && dash > 0 && dash + 1 < range.size() &&
              range.find_first_not_of("0123456789-") == std::string::npos &&
              range.find('-', dash + 1) == std::string::npos;
    if (!ok || !entry.second.IsScalar()) {
      file->Error(entry.first, "settings.report.ranges: '" + range +
                                   "' must be FROM-TO (digits, e.g. 900-999) mapped to a label");
      continue;
    }
    settings->report.ranges.emplace_back(range, entry.second.Scalar());
  }
}

}  // namespace

// The one place settings are filled in: defaults (in the struct), then the
// file's `settings:`, then LOCKSTEP_<NAME> from the environment.
Settings ReadSettings(const YAML::Node& node, const Environment& env, YamlFile* file,
                      Diagnostics* diag) {
  Settings settings;
  std::vector<std::string_view> known{"schedule", "lint", "hooks", "report"};
  for (const auto& f : SettingFields()) known.push_back(f.key);
  if (node) {
    if (!node.IsMap()) {
      file->Error(node, "'settings' must be a mapping of setting names to values");
    } else {
      file->CheckKeys(node, known, "settings");
      for (const auto& entry : node) {  // in file order, so errors read top-down
        const std::string key = entry.first.Scalar();
        for (const auto& f : SettingFields()) {
          if (key != f.key) continue;
          auto value = file->Scalar(node, f.key, false, "settings");
          std::string error;
          if (value && !f.parse(*value, &settings, &error)) {
            file->Error(entry.second, key + ": " + error);
          }
        }
      }
      YAML::Node schedule = node["schedule"];
      if (schedule && !schedule.IsMap()) {
        file->Error(schedule,
                    "'schedule' must be a mapping, e.g. {interval: 15m, apply_pending: true}");
      } else if (schedule) {
        file->CheckKeys(schedule, {"interval", "apply_pending", "correct_drift"},
                        "settings.schedule");
        std::string error;
        auto interval = file->Scalar(schedule, "interval", true, "settings.schedule");
        if (interval && !ParseDuration(*interval, &settings.schedule.interval, &error)) {
          file->Error(schedule["interval"], "interval: " + error);
        }
        auto apply = file->Scalar(schedule, "apply_pending", false, "settings.schedule");
        if (apply && !ParseBool(*apply, &settings.schedule.apply_pending, &error)) {
          file->Error(schedule["apply_pending"], "apply_pending: " + error);
        }
        auto correct = file->Scalar(schedule, "correct_drift", false, "settings.schedule");
        if (correct && *correct != "report" && *correct != "revert") {
          file->Error(schedule["correct_drift"],
                      "correct_drift: '" + *correct +
                          "' is neither report (say what drifted) nor revert (undo drift of "
                          "indexes, comments, views, functions and triggers; report the rest)");
        }
        settings.schedule.revert_drift = correct && *correct == "revert";
      }
      ReadLintSeverities(node["lint"], file, &settings);
      ReadHooks(node["hooks"], file, &settings);
      ReadReport(node["report"], file, &settings);
    }
  }
  for (const auto& f : SettingFields()) {
    std::string name = EnvName(f.key);
    auto value = env(name);
    std::string error;
    if (value && !f.parse(*value, &settings, &error)) diag->Error("", 0, name + ": " + error);
  }
  return settings;
}

}  // namespace lockstep
