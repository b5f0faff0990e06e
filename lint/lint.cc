#include "lint/lint.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "manifests/sql_lexer.h"

namespace lockstep {
namespace {

using Sev = LintSeverity;

const std::vector<LintRule> kRules = {
    {"LS101", "drop-table", Sev::kError, "DROP TABLE loses the table and its data",
     "DROP TABLE deletes the table and every row in it, and the application still running the "
     "previous release fails on its next query. Stop using the table in one release, keep it "
     "(renamed or not) until nothing reads it, back it up, and drop it in a later migration "
     "that says so with '-- lockstep:allow LS101' and the reason above it."},
    {"LS102", "drop-column", Sev::kError, "dropping a column loses its data",
     "ALTER TABLE ... DROP COLUMN deletes the column's data, and the running release that "
     "still selects or inserts it fails. Deploy code that no longer reads or writes the column "
     "first; drop it in a later release, with '-- lockstep:allow LS102' and the reason."},
    {"LS103", "index-without-concurrently", Sev::kError,
     "CREATE INDEX without CONCURRENTLY blocks writes to the table while it builds",
     "CREATE INDEX takes a SHARE lock on the table: every INSERT, UPDATE and DELETE waits until "
     "the index is built, minutes on a big table. Write CREATE INDEX CONCURRENTLY in a file of "
     "its own with '-- lockstep:no-transaction' at the top (it cannot run inside a "
     "transaction). An index on a table created earlier in the same file is not a finding."},
    {"LS104", "column-type-change", Sev::kWarning,
     "changing a column's type can rewrite the whole table under an exclusive lock",
     "ALTER COLUMN ... TYPE holds an ACCESS EXCLUSIVE lock (no reads, no writes) while it "
     "rewrites every row and rebuilds the table's indexes, unless the new type is binary "
     "compatible (varchar(n) to a longer varchar or to text). Add a new column, backfill it in "
     "batches, switch the application over, then drop the old one."},
    {"LS105", "not-null-without-default", Sev::kError,
     "NOT NULL on an existing table fails on existing rows or scans the table under lock",
     "ADD COLUMN ... NOT NULL without a DEFAULT fails as soon as the table has a row; SET NOT "
     "NULL scans the whole table under an ACCESS EXCLUSIVE lock. Add the column with a DEFAULT "
     "(constant defaults are instant since PostgreSQL 11), or for SET NOT NULL add CHECK (col IS "
     "NOT NULL) NOT VALID, VALIDATE CONSTRAINT it in another migration, then SET NOT NULL, which "
     "then skips the scan."},
    {"LS106", "constraint-without-not-valid", Sev::kWarning,
     "a foreign key or check added to an existing table validates every row under lock",
     "ADD CONSTRAINT ... FOREIGN KEY or CHECK reads every row while it holds a lock that blocks "
     "writes (and, for a foreign key, on the referenced table too). Add it with NOT VALID "
     "(instant; new rows are checked) and run ALTER TABLE ... VALIDATE CONSTRAINT in a later "
     "migration, which takes a weaker lock."},
    {"LS107", "alter-without-lock-timeout", Sev::kWarning,
     "ALTER TABLE without a lock_timeout can queue every query behind it",
     "ALTER TABLE waits for an ACCESS EXCLUSIVE lock; while it waits behind one long "
     "transaction, every later query on the table waits behind it, and the application stops. "
     "Put SET lock_timeout = '5s' (or SET LOCAL) before it in the same file: the migration "
     "fails fast instead, and the next run tries again."},
    {"LS108", "rename", Sev::kWarning, "renaming a table or column breaks the running release",
     "The release that is still running uses the old name until every pod has the new code, "
     "and fails meanwhile. Add the new name (a column, or a view for a table), move the "
     "application over, then remove the old one in a later release."},
    {"LS109", "truncate", Sev::kError, "TRUNCATE deletes every row",
     "TRUNCATE empties the table at once, with an ACCESS EXCLUSIVE lock, and cannot be undone "
     "once committed. If the data must go, say so with '-- lockstep:allow LS109' and the reason "
     "above it; if it is a one-off, it does not belong in a migration that runs on every "
     "environment."},
    {"LS110", "table-of-another-service", Sev::kError,
     "a change to a table that another service's migration creates, with nothing ordering them",
     "The table is created by a migration of another service on the same database, and this "
     "migration does not require it, directly or through its own history: lockstep may run "
     "them in either order, or in parallel, and on a fresh database this one fails. Add "
     "'-- lockstep:requires SERVICE:VERSION' naming the migration that creates the table (lint "
     "says which), or move the change into the service that owns the table."},
};

struct Token {
  std::string text;  // upper-cased for bare words; as written for quoted names
  bool word = false;
  bool quoted = false;
  int line = 0, column = 0;
  int depth = 0;  // parentheses around it
};

// The words, names and punctuation of one statement (`sql` starts at
// line/column), comments, strings and dollar quotes left out.
std::vector<Token> Tokenize(std::string_view sql, int line, int column) {
  std::vector<Token> out;
  int depth = 0;
  size_t i = 0;
  auto advance = [&](size_t to) {
    for (; i < to && i < sql.size(); ++i) {
      if (sql[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
  };
  while (i < sql.size()) {
    char c = sql[i];
    if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      size_t end = sql.find('\n', i);
      advance(end == std::string_view::npos ? sql.size() : end);
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      int nest = 0;
      size_t j = i;
      do {
        if (sql.compare(j, 2, "/*") == 0)
          ++nest, j += 2;
        else if (sql.compare(j, 2, "*/") == 0)
          --nest, j += 2;
        else
          ++j;
      } while (j < sql.size() && nest > 0);
      advance(j);
    } else if (c == '\'') {
      size_t j = i + 1;
      bool escapes = i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e');
      while (j < sql.size()) {
        if (escapes && sql[j] == '\\') {
          j += 2;
        } else if (sql[j] == '\'' && j + 1 < sql.size() && sql[j + 1] == '\'') {
          j += 2;
        } else if (sql[j] == '\'') {
          break;
        } else {
          ++j;
        }
      }
      out.push_back({"'", false, false, line, column, depth});
      advance(j + 1);
    } else if (c == '"') {
      size_t j = sql.find('"', i + 1);
      if (j == std::string_view::npos) j = sql.size();
      out.push_back({std::string(sql.substr(i + 1, j - i - 1)), false, true, line, column, depth});
      advance(j + 1);
    } else if (c == '$' && i + 1 < sql.size() &&
               (sql[i + 1] == '$' || std::isalpha(static_cast<unsigned char>(sql[i + 1])) ||
                sql[i + 1] == '_')) {
      size_t close = sql.find('$', i + 1);
      std::string_view tag = sql.substr(i, close == std::string_view::npos ? 1 : close - i + 1);
      size_t end =
          close == std::string_view::npos ? std::string_view::npos : sql.find(tag, close + 1);
      out.push_back({"$$", false, false, line, column, depth});
      advance(end == std::string_view::npos ? sql.size() : end + tag.size());
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < sql.size() &&
             (std::isalnum(static_cast<unsigned char>(sql[j])) || sql[j] == '_' || sql[j] == '$')) {
        ++j;
      }
      std::string word(sql.substr(i, j - i));
      for (char& ch : word) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      out.push_back({word, true, false, line, column, depth});
      advance(j);
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      advance(i + 1);
    } else {
      if (c == ')') --depth;
      out.push_back({std::string(1, c), false, false, line, column, depth});
      if (c == '(') ++depth;
      advance(i + 1);
    }
  }
  return out;
}

class Checker {
 public:
  Checker(const std::string& file, const std::vector<std::string>& allowed, LintTables* tables)
      : file_(file), allowed_(allowed.begin(), allowed.end()), tables_(tables) {}

  void Statement(const std::vector<Token>& t) {
    t_ = &t;
    if (t.empty()) return;
    if (Is(0, "SET") && (Is(1, "LOCK_TIMEOUT") ||
                         ((Is(1, "LOCAL") || Is(1, "SESSION")) && Is(2, "LOCK_TIMEOUT")))) {
      lock_timeout_ = true;
    } else if (Is(0, "CREATE")) {
      Create();
    } else if (Is(0, "DROP") && Is(1, "TABLE")) {
      size_t i = 2;
      if (Is(i, "IF") && Is(i + 1, "EXISTS")) i += 2;
      std::string names = NamesFrom(i);
      Use(i);
      Add("LS101", 0, "DROP TABLE " + names + " deletes the table and its data");
    } else if (Is(0, "TRUNCATE")) {
      size_t i = Is(1, "TABLE") ? 2 : 1;
      if (Is(i, "ONLY")) ++i;
      Use(i);
      Add("LS109", 0, "TRUNCATE " + NamesFrom(i) + " deletes every row");
    } else if (Is(0, "ALTER") && Is(1, "TABLE")) {
      AlterTable();
    }
    // A foreign key needs the table it references.
    for (size_t k = 0; k + 1 < t.size(); ++k) {
      if (Is(k, "REFERENCES")) Use(k + 1);
    }
  }

  std::vector<LintFinding> findings;

 private:
  bool Is(size_t i, const char* word) const {
    return i < t_->size() && (*t_)[i].word && (*t_)[i].text == word;
  }
  bool IsPunct(size_t i, char c) const {
    return i < t_->size() && !(*t_)[i].word && !(*t_)[i].quoted && (*t_)[i].text[0] == c;
  }
  bool IsName(size_t i) const { return i < t_->size() && ((*t_)[i].word || (*t_)[i].quoted); }

  // A possibly qualified name at *i (schema.table); its last part, lower-cased
  // unless quoted. Moves *i past it.
  std::string Name(size_t* i) const {
    std::string name;
    while (IsName(*i)) {
      const Token& tok = (*t_)[*i];
      name = tok.text;
      if (!tok.quoted) {
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      ++*i;
      if (!IsPunct(*i, '.')) break;
      ++*i;
    }
    return name;
  }
  // "a, b" from a list of names at i.
  std::string NamesFrom(size_t i) const {
    std::string out;
    while (IsName(i)) {
      out += (out.empty() ? "" : ", ") + Name(&i);
      if (!IsPunct(i, ',')) break;
      ++i;
    }
    return out;
  }

  // The table named at i, used by this statement (not created by this file).
  void Use(size_t i) {
    if (!tables_ || !IsName(i)) return;
    const Token& tok = (*t_)[i];
    std::string table = Name(&i);
    if (created_.count(table)) return;
    tables_->used.push_back({table, tok.line, tok.column});
  }

  void Add(const char* id, size_t at, std::string message) {
    if (allowed_.count(id)) return;
    const Token& tok = (*t_)[std::min(at, t_->size() - 1)];
    LintFinding f;
    f.file = file_;
    f.line = tok.line;
    f.column = tok.column;
    f.rule = FindLintRule(id);
    f.severity = f.rule->severity;
    f.message = std::move(message);
    findings.push_back(std::move(f));
  }

  void Create() {
    size_t i = 1;
    if (Is(i, "OR") && Is(i + 1, "REPLACE")) i += 2;
    while (Is(i, "GLOBAL") || Is(i, "LOCAL") || Is(i, "TEMP") || Is(i, "TEMPORARY") ||
           Is(i, "UNLOGGED")) {
      ++i;
    }
    if (Is(i, "TABLE")) {
      ++i;
      if (Is(i, "IF") && Is(i + 1, "NOT") && Is(i + 2, "EXISTS")) i += 3;
      std::string table = Name(&i);
      created_.insert(table);
      if (tables_) tables_->created.insert(table);
      return;
    }
    if (Is(i, "UNIQUE")) ++i;
    if (!Is(i, "INDEX")) return;
    ++i;
    bool concurrently = Is(i, "CONCURRENTLY");
    size_t on = i;
    while (on < t_->size() && !Is(on, "ON")) ++on;
    size_t after = on + 1;
    if (Is(after, "ONLY")) ++after;
    Use(after);
    std::string table = Name(&after);
    if (!concurrently && !created_.count(table)) {
      Add("LS103", 0,
          "CREATE INDEX on " + table +
              " without CONCURRENTLY blocks writes to it while the index builds; use CREATE "
              "INDEX CONCURRENTLY in a '-- lockstep:no-transaction' migration");
    }
  }

  void AlterTable() {
    size_t i = 2;
    if (Is(i, "IF") && Is(i + 1, "EXISTS")) i += 2;
    if (Is(i, "ONLY")) ++i;
    Use(i);
    std::string table = Name(&i);
    if (IsPunct(i, '*')) ++i;
    if (created_.count(table)) return;  // made in this file: nobody else uses it yet
    if (!lock_timeout_) {
      Add("LS107", 0,
          "ALTER TABLE " + table +
              " without a lock_timeout: while it waits for its lock, every query on " + table +
              " waits behind it; put SET lock_timeout = '5s' before it");
    }
    // Actions, separated by commas outside parentheses.
    const int depth = i < t_->size() ? (*t_)[i].depth : 0;
    while (i < t_->size()) {
      size_t end = i;
      while (end < t_->size() && !(IsPunct(end, ',') && (*t_)[end].depth == depth)) ++end;
      Action(table, i, end);
      i = end + 1;
    }
  }

  bool Has(size_t from, size_t to, const char* a, const char* b = nullptr) const {
    for (size_t k = from; k < to; ++k) {
      if (Is(k, a) && (!b || Is(k + 1, b))) return true;
    }
    return false;
  }

  void Action(const std::string& table, size_t i, size_t end) {
    if (Is(i, "DROP")) {
      size_t k = i + 1;
      if (Is(k, "CONSTRAINT")) return;
      if (Is(k, "COLUMN")) ++k;
      if (Is(k, "IF") && Is(k + 1, "EXISTS")) k += 2;
      std::string column = Name(&k);
      Add("LS102", i, "dropping column " + table + "." + column + " deletes its data");
    } else if (Is(i, "ADD")) {
      size_t k = i + 1;
      bool constraint = Is(k, "CONSTRAINT") || Is(k, "FOREIGN") || Is(k, "CHECK") ||
                        Is(k, "PRIMARY") || Is(k, "UNIQUE") || Is(k, "EXCLUDE");
      if (constraint) {
        bool validates = Has(k, end, "FOREIGN", "KEY") || Has(k, end, "CHECK");
        if (validates && !Has(k, end, "NOT", "VALID")) {
          Add("LS106", i,
              "a constraint added to " + table +
                  " checks every row while it blocks writes; add it NOT VALID, then VALIDATE "
                  "CONSTRAINT in a later migration");
        }
        return;
      }
      if (Is(k, "COLUMN")) ++k;
      if (Is(k, "IF") && Is(k + 1, "NOT") && Is(k + 2, "EXISTS")) k += 3;
      std::string column = Name(&k);
      if (Has(k, end, "NOT", "NULL") && !Has(k, end, "DEFAULT") && !Has(k, end, "GENERATED")) {
        Add("LS105", i,
            "column " + table + "." + column +
                " is NOT NULL without a DEFAULT: the ALTER fails as soon as " + table +
                " has a row; give it a DEFAULT");
      }
    } else if (Is(i, "ALTER")) {
      size_t k = i + 1;
      if (Is(k, "COLUMN")) ++k;
      std::string column = Name(&k);
      if (Is(k, "TYPE") || (Is(k, "SET") && Is(k + 1, "DATA") && Is(k + 2, "TYPE"))) {
        Add("LS104", i,
            "changing the type of " + table + "." + column + " can rewrite " + table +
                " under an ACCESS EXCLUSIVE lock");
      } else if (Is(k, "SET") && Is(k + 1, "NOT") && Is(k + 2, "NULL")) {
        Add("LS105", i,
            "SET NOT NULL on " + table + "." + column + " scans " + table +
                " under an ACCESS EXCLUSIVE lock; add CHECK (" + column +
                " IS NOT NULL) NOT VALID and VALIDATE it first");
      }
    } else if (Is(i, "RENAME")) {
      size_t k = i + 1;
      if (Is(k, "CONSTRAINT")) return;
      if (Is(k, "TO")) {
        ++k;
        Add("LS108", i,
            "renaming table " + table + " to " + Name(&k) +
                " breaks the release still running against the old name");
        return;
      }
      if (Is(k, "COLUMN")) ++k;
      std::string column = Name(&k);
      Add("LS108", i,
          "renaming column " + table + "." + column +
              " breaks the release still running against the old name");
    }
  }

  std::string file_;
  std::set<std::string> allowed_;
  std::set<std::string> created_;
  LintTables* tables_;
  bool lock_timeout_ = false;
  const std::vector<Token>* t_ = nullptr;
};

}  // namespace

const std::vector<LintRule>& LintRules() { return kRules; }

const LintRule* FindLintRule(std::string_view id_or_name) {
  for (const LintRule& r : kRules) {
    if (id_or_name == r.id || id_or_name == r.name) return &r;
  }
  return nullptr;
}

std::vector<LintFinding> LintSql(const std::string& file, std::string_view text,
                                 const std::vector<std::string>& allowed, LintTables* tables) {
  Checker checker(file, allowed, tables);
  LexResult lexed = LexSql(text);
  for (const LexedStatement& s : lexed.statements) {
    size_t offset = static_cast<size_t>(s.sql.data() - text.data());
    size_t line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
    int column =
        static_cast<int>(
            offset - (line_start == std::string_view::npos || offset == 0 ? 0 : line_start + 1)) +
        1;
    checker.Statement(Tokenize(s.sql, s.line, column));
  }
  return std::move(checker.findings);
}

const char* SeverityName(LintSeverity s) {
  switch (s) {
    case LintSeverity::kError:
      return "error";
    case LintSeverity::kWarning:
      return "warning";
    case LintSeverity::kOff:
      return "off";
  }
  return "error";
}

std::string FormatFinding(const LintFinding& f) {
  return f.file + ":" + std::to_string(f.line) + ":" + std::to_string(f.column) + ": " +
         f.rule->id + " " + f.rule->name + ": " + f.message;
}

std::string FormatGithub(const LintFinding& f) {
  // Workflow commands escape %, CR and LF in the message, and ',' and ':' in
  // properties.
  auto escape = [](const std::string& s, bool property) {
    std::string out;
    for (char c : s) {
      if (c == '%')
        out += "%25";
      else if (c == '\r')
        out += "%0D";
      else if (c == '\n')
        out += "%0A";
      else if (property && c == ':')
        out += "%3A";
      else if (property && c == ',')
        out += "%2C";
      else
        out += c;
    }
    return out;
  };
  return std::string("::") + (f.severity == LintSeverity::kError ? "error" : "warning") +
         " file=" + escape(f.file, true) + ",line=" + std::to_string(f.line) +
         ",col=" + std::to_string(f.column) +
         ",title=" + escape(std::string(f.rule->id) + " " + f.rule->name, true) +
         "::" + escape(f.message, false);
}

}  // namespace lockstep
