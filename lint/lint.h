// lockstep lint: migration SQL checked for changes that lose data or block
// writers, before anything runs. Rules have ids (LS101...), names, a default
// severity and an explanation; findings carry file:line:col.
//
// The checker reads each statement's words (outside comments, strings and
// dollar quotes) and knows what the file itself created: an index, a NOT
// NULL column or a constraint on a table made earlier in the same file locks
// nobody out, so it is not a finding.
#ifndef LOCKSTEP_LINT_LINT_H_
#define LOCKSTEP_LINT_LINT_H_

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace lockstep {

enum class LintSeverity { kOff, kWarning, kError };

struct LintRule {
  const char* id;    // "LS103"
  const char* name;  // "index-without-concurrently"
  LintSeverity severity;
  const char* summary;      // one line
  const char* explanation;  // why it hurts and what to write instead
};

// Every rule, by id.
const std::vector<LintRule>& LintRules();
// The rule with this id or name, or nullptr.
const LintRule* FindLintRule(std::string_view id_or_name);

struct LintFinding {
  std::string file;
  int line = 0, column = 0;
  const LintRule* rule = nullptr;
  LintSeverity severity = LintSeverity::kError;  // after settings.lint
  std::string message;
};

// The tables a file creates, and those it changes or references that it did
// not create (ALTER TABLE, CREATE INDEX ON, DROP TABLE, TRUNCATE, REFERENCES),
// lower-cased unless quoted, without their schema: what the cross-service
// rule (LS110) compares across migrations.
struct LintTables {
  struct Use {
    std::string table;
    int line = 0, column = 0;
  };
  std::set<std::string> created;
  std::vector<Use> used;
};

// The findings in one migration file's SQL (`text`, shown as `file`), in
// order, at each rule's default severity; `allowed` (from
// `-- lockstep:allow`) are left out. Fills *tables when given.
std::vector<LintFinding> LintSql(const std::string& file, std::string_view text,
                                 const std::vector<std::string>& allowed = {},
                                 LintTables* tables = nullptr);

// "file:line:col: LS103 index-without-concurrently: message"
std::string FormatFinding(const LintFinding& f);
// A GitHub Actions workflow command: "::error file=...,line=...,col=...,title=LS103
// index-without-concurrently::message".
std::string FormatGithub(const LintFinding& f);
const char* SeverityName(LintSeverity s);

}  // namespace lockstep

#endif  // LOCKSTEP_LINT_LINT_H_
