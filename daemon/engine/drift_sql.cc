#include "daemon/engine/drift_sql.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace lockstep {
namespace {

// PostgreSQL's reserved and type-or-function-name keywords: as a column or
// table name these need quotes (src/include/parser/kwlist.h).
const std::set<std::string>& ReservedWords() {
  static const std::set<std::string> words = {"all",
                                              "analyse",
                                              "analyze",
                                              "and",
                                              "any",
                                              "array",
                                              "as",
                                              "asc",
                                              "asymmetric",
                                              "authorization",
                                              "binary",
                                              "both",
                                              "case",
                                              "cast",
                                              "check",
                                              "collate",
                                              "collation",
                                              "column",
                                              "concurrently",
                                              "constraint",
                                              "create",
                                              "cross",
                                              "current_catalog",
                                              "current_date",
                                              "current_role",
                                              "current_schema",
                                              "current_time",
                                              "current_timestamp",
                                              "current_user",
                                              "default",
                                              "deferrable",
                                              "desc",
                                              "distinct",
                                              "do",
                                              "else",
                                              "end",
                                              "except",
                                              "false",
                                              "fetch",
                                              "for",
                                              "foreign",
                                              "freeze",
                                              "from",
                                              "full",
                                              "grant",
                                              "group",
                                              "having",
                                              "ilike",
                                              "in",
                                              "initially",
                                              "inner",
                                              "intersect",
                                              "into",
                                              "is",
                                              "isnull",
                                              "join",
                                              "lateral",
                                              "leading",
                                              "left",
                                              "like",
                                              "limit",
                                              "localtime",
                                              "localtimestamp",
                                              "natural",
                                              "not",
                                              "notnull",
                                              "null",
                                              "offset",
                                              "on",
                                              "only",
                                              "or",
                                              "order",
                                              "outer",
                                              "overlaps",
                                              "placing",
                                              "primary",
                                              "references",
                                              "returning",
                                              "right",
                                              "select",
                                              "session_user",
                                              "similar",
                                              "some",
                                              "symmetric",
                                              "table",
                                              "tablesample",
                                              "then",
                                              "to",
                                              "trailing",
                                              "true",
                                              "union",
                                              "unique",
                                              "user",
                                              "using",
                                              "variadic",
                                              "verbose",
                                              "when",
                                              "where",
                                              "window",
                                              "with"};
  return words;
}

std::string QuoteLiteral(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// "public.users.email" -> {"public", "users", "email"}: the schema ends at
// the first dot, the last part starts after the last one (the snapshot's keys
// join raw names with dots).
struct Name {
  std::string schema, table, part;  // part: empty for a two-part name
};

Name SplitName(const std::string& path, bool three_parts) {
  Name n;
  size_t first = path.find('.');
  if (first == std::string::npos) return {"", path, ""};
  n.schema = path.substr(0, first);
  if (!three_parts) {
    n.table = path.substr(first + 1);
    return n;
  }
  size_t last = path.rfind('.');
  n.table = path.substr(first + 1, last - first - 1);
  n.part = path.substr(last + 1);
  return n;
}

std::string Qualified(const std::string& schema, const std::string& name) {
  return QuoteIdent(schema) + "." + QuoteIdent(name);
}

// "function public.f(a integer)" -> "public.f(a integer)", quoted.
std::string FunctionSignature(const std::string& path) {
  size_t paren = path.find('(');
  Name n = SplitName(path.substr(0, paren), false);
  return Qualified(n.schema, n.table) + (paren == std::string::npos ? "" : path.substr(paren));
}

std::string PathOf(const std::string& key) {
  size_t space = key.find(' ');
  return space == std::string::npos ? "" : key.substr(space + 1);
}

// A column's definition as the catalog query writes it: "type[ NOT
// NULL][ GENERATED ALWAYS AS (expr) STORED| DEFAULT expr]".
struct Column {
  std::string type, default_expr, generated;
  bool not_null = false;

  static Column Parse(const std::string& def) {
    static const std::string kGenerated = " GENERATED ALWAYS AS (", kStored = ") STORED",
                             kDefault = " DEFAULT ";
    Column c;
    size_t cut = std::min(def.find(kGenerated), def.find(kDefault));
    std::string head = def.substr(0, cut);
    if (cut != std::string::npos) {
      if (def.compare(cut, kGenerated.size(), kGenerated) == 0) {
        size_t from = cut + kGenerated.size();
        size_t to = def.size() >= kStored.size() ? def.size() - kStored.size() : from;
        c.generated = def.substr(from, to > from ? to - from : 0);
      } else {
        c.default_expr = def.substr(cut + kDefault.size());
      }
    }
    static const std::string kNotNull = " NOT NULL";
    if (head.size() > kNotNull.size() &&
        head.compare(head.size() - kNotNull.size(), kNotNull.size(), kNotNull) == 0) {
      c.not_null = true;
      head.resize(head.size() - kNotNull.size());
    }
    c.type = head;
    return c;
  }

  std::string Sql() const {
    std::string s = type;
    if (!generated.empty()) s += " GENERATED ALWAYS AS (" + generated + ") STORED";
    if (!default_expr.empty()) s += " DEFAULT " + default_expr;
    if (not_null) s += " NOT NULL";
    return s;
  }
};

// The labels of "enum ('a', 'b''c', E'd\\e')".
std::vector<std::string> EnumLabels(const std::string& def) {
  std::vector<std::string> labels;
  size_t i = def.find('(');
  while (i != std::string::npos && i < def.size()) {
    bool escapes = false;
    while (i < def.size() && def[i] != '\'') escapes = def[i++] == 'E';
    if (i >= def.size()) break;
    std::string label;
    for (++i; i < def.size(); ++i) {
      if (escapes && def[i] == '\\' && i + 1 < def.size()) {
        label += def[++i];
      } else if (def[i] == '\'') {
        if (i + 1 < def.size() && def[i + 1] == '\'') {
          label += '\'';
          ++i;
        } else {
          break;
        }
      } else {
        label += def[i];
      }
    }
    labels.push_back(label);
    ++i;
  }
  return labels;
}

// The names of a "columns" entry: quote_ident'ed names joined by ", ".
std::vector<std::string> ColumnOrder(const std::string& list) {
  std::vector<std::string> names;
  std::string current;
  bool quoted = false;
  for (size_t i = 0; i < list.size(); ++i) {
    char c = list[i];
    if (quoted) {
      if (c == '"' && i + 1 < list.size() && list[i + 1] == '"') {
        current += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        current += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      names.push_back(current);
      current.clear();
    } else if (c != ' ') {
      current += c;
    }
  }
  if (!current.empty()) names.push_back(current);
  return names;
}

// The names of a dotted, possibly quoted name as regclass prints it:
// 'public."Audit Log_id_seq"' -> {"public", "Audit Log_id_seq"}.
std::vector<std::string> Identifiers(const std::string& text) {
  std::vector<std::string> names(1);
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted && c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
      names.back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == '.' && !quoted) {
      names.emplace_back();
    } else {
      names.back() += c;
    }
  }
  return names;
}

// The line of a function's definition that names what it returns (changing
// it needs DROP and CREATE, not CREATE OR REPLACE).
std::string ReturnsLine(const std::string& def) {
  size_t at = def.find("\n RETURNS ");
  if (at == std::string::npos) return "";
  return def.substr(at, def.find('\n', at + 1) - at);
}

// Whether `word` appears in `text` as a whole identifier.
bool NamesWord(const std::string& text, const std::string& word) {
  auto identifier = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$' || static_cast<unsigned char>(c) >= 0x80;
  };
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    size_t end = at + word.size();
    if ((at == 0 || !identifier(text[at - 1])) && (end >= text.size() || !identifier(text[end]))) {
      return true;
    }
  }
  return false;
}

std::string Unterminated(std::string sql) {
  while (!sql.empty() && (sql.back() == ';' || sql.back() == ' ' || sql.back() == '\n')) {
    sql.pop_back();
  }
  while (!sql.empty() && (sql.front() == ' ' || sql.front() == '\n')) sql.erase(0, 1);
  return sql;
}

class Generator {
 public:
  Generator(const SchemaSnapshot& from, const SchemaSnapshot& to,
            const std::function<bool(const std::string&)>& only)
      : from_(from), to_(to) {
    for (const SchemaSnapshot* s : {&from, &to}) {
      for (const auto& [key, def] : *s) {
        std::string kind = KindOfKey(key);
        if (kind == "constraint" && (StartsWith(def, "PRIMARY KEY") || StartsWith(def, "UNIQUE") ||
                                     StartsWith(def, "EXCLUDE"))) {
          Name n = SplitName(PathOf(key), true);
          constraint_names_.insert(n.schema + "." + n.part);
        }
        if (kind == "columns" || kind == "lockstep format" || (only && !only(kind))) continue;
        auto a = from.find(key), b = to.find(key);
        if (a == from.end() || b == to.end() || a->second != b->second) changed_.insert(key);
      }
    }
  }

  DriftSql Generate() {
    Drops();
    Creates();
    return std::move(out_);
  }

 private:
  std::optional<std::string> Def(const SchemaSnapshot& s, const std::string& key) const {
    auto it = s.find(key);
    if (it == s.end()) return std::nullopt;
    return it->second;
  }
  bool Removed(const std::string& key) const { return !to_.count(key) && from_.count(key); }
  bool Added(const std::string& key) const { return to_.count(key) && !from_.count(key); }
  bool Changed(const std::string& key) const {
    return from_.count(key) && to_.count(key) && from_.at(key) != to_.at(key);
  }
  std::vector<std::string> Keys(const std::string& kind) const {
    std::vector<std::string> keys;
    for (const std::string& key : changed_) {
      if (KindOfKey(key) == kind) keys.push_back(key);
    }
    return keys;
  }
  void Emit(const std::string& sql) { out_.statements.push_back(sql + ";"); }
  void Cannot(const std::string& what) { out_.inexpressible.push_back(what); }
  void Loses(const std::string& what) { out_.losses.push_back(what); }

  // An index that a constraint of the same name makes (and drops) itself.
  bool ConstraintIndex(const std::string& index_key) const {
    Name n = SplitName(PathOf(index_key), false);
    return constraint_names_.count(n.schema + "." + n.table) > 0;
  }
  bool IsProcedure(const std::string& key) const {
    std::string def = Def(from_, key).value_or(Def(to_, key).value_or(""));
    return def.find("CREATE OR REPLACE PROCEDURE") != std::string::npos;
  }
  bool Materialized(const SchemaSnapshot& s, const std::string& key) const {
    return StartsWith(Def(s, key).value_or(""), "materialized ");
  }
  std::vector<std::string> ColumnsOf(const SchemaSnapshot& s, const std::string& table) const {
    if (auto listed = Def(s, "columns " + table)) return ColumnOrder(*listed);
    std::vector<std::string> names;
    for (auto it = s.lower_bound("column " + table + "."); it != s.end(); ++it) {
      if (!StartsWith(it->first, "column " + table + ".")) break;
      names.push_back(SplitName(PathOf(it->first), true).part);
    }
    return names;
  }
  // A view is redefined in place when its columns only grow at the end.
  bool ReplaceableView(const std::string& key) const {
    if (Materialized(from_, key) || Materialized(to_, key)) return false;
    std::vector<std::string> a = ColumnsOf(from_, PathOf(key)), b = ColumnsOf(to_, PathOf(key));
    return a.size() <= b.size() && std::equal(a.begin(), a.end(), b.begin());
  }
  bool FunctionRedefinedInPlace(const std::string& key) const {
    return Changed(key) && ReturnsLine(from_.at(key)) == ReturnsLine(to_.at(key)) &&
           IsProcedure(key) ==
               (to_.at(key).find("CREATE OR REPLACE PROCEDURE") != std::string::npos);
  }
  bool TableGone(const std::string& table_path) const { return Removed("table " + table_path); }

  void Drops() {
    for (const std::string& key : Keys("trigger")) {
      if (!from_.count(key)) continue;
      Name n = SplitName(PathOf(key), true);
      if (TableGone(n.schema + "." + n.table)) continue;
      Emit("DROP TRIGGER " + QuoteIdent(n.part) + " ON " + Qualified(n.schema, n.table));
    }
    std::vector<std::string> views;  // to drop: dependents first
    for (const std::string& key : Keys("view")) {
      if (Removed(key) || (Changed(key) && !ReplaceableView(key))) views.push_back(key);
    }
    views = ByDependency(views, from_);
    for (auto key = views.rbegin(); key != views.rend(); ++key) {
      Name n = SplitName(PathOf(*key), false);
      Emit(std::string("DROP ") + (Materialized(from_, *key) ? "MATERIALIZED " : "") + "VIEW " +
           Qualified(n.schema, n.table));
    }
    // Foreign keys first: they may reference a key dropped after them.
    for (bool foreign : {true, false}) {
      for (const std::string& key : Keys("constraint")) {
        if (!from_.count(key) || StartsWith(from_.at(key), "FOREIGN KEY") != foreign) continue;
        Name n = SplitName(PathOf(key), true);
        if (TableGone(n.schema + "." + n.table)) continue;
        Emit("ALTER TABLE " + Qualified(n.schema, n.table) + " DROP CONSTRAINT " +
             QuoteIdent(n.part));
      }
    }
    for (const std::string& key : Keys("index")) {
      if (!from_.count(key) || ConstraintIndex(key)) continue;
      Name n = SplitName(PathOf(key), false);
      Emit("DROP INDEX " + Qualified(n.schema, n.table));
    }
    for (const std::string& key : Keys("column")) {
      Name n = SplitName(PathOf(key), true);
      std::string table = n.schema + "." + n.table;
      if (!Removed(key) || TableGone(table) || !from_.count("table " + table)) continue;
      Emit("ALTER TABLE " + Qualified(n.schema, n.table) + " DROP COLUMN " + QuoteIdent(n.part));
      Loses("drops column " + PathOf(key) + " and its data");
    }
    for (const std::string& key : Keys("table")) {
      if (!Removed(key)) continue;
      Name n = SplitName(PathOf(key), false);
      Emit(std::string("DROP ") + (from_.at(key) == "foreign table" ? "FOREIGN " : "") + "TABLE " +
           Qualified(n.schema, n.table));
      Loses("drops table " + PathOf(key) + " and its data");
    }
    for (const std::string& key : Keys("function")) {
      if (Removed(key) || (Changed(key) && !FunctionRedefinedInPlace(key))) {
        Emit(std::string("DROP ") + (IsProcedure(key) ? "PROCEDURE " : "FUNCTION ") +
             FunctionSignature(PathOf(key)));
      }
    }
    for (const std::string& key : Keys("sequence")) {
      if (!Removed(key)) continue;
      Name n = SplitName(PathOf(key), false);
      // A serial column's sequence goes with its column or table.
      Emit("DROP SEQUENCE IF EXISTS " + Qualified(n.schema, n.table));
      Loses("drops sequence " + PathOf(key) + " and its current value");
    }
    for (const std::string& key : Keys("type")) {
      if (!Removed(key)) continue;
      Name n = SplitName(PathOf(key), false);
      Emit("DROP TYPE " + Qualified(n.schema, n.table));
    }
    for (const std::string& key : Keys("schema")) {
      if (Removed(key)) Emit("DROP SCHEMA " + QuoteIdent(PathOf(key)));
    }
    for (const std::string& key : Keys("extension")) {
      if (Removed(key)) Emit("DROP EXTENSION " + QuoteIdent(PathOf(key)));
    }
  }

  void Creates() {
    for (const std::string& key : Keys("extension")) {
      std::string version =
          to_.count(key) ? to_.at(key).substr(std::string("version ").size()) : "";
      if (Added(key)) {
        Emit("CREATE EXTENSION " + QuoteIdent(PathOf(key)) + " VERSION " + QuoteLiteral(version));
      } else if (Changed(key)) {
        Emit("ALTER EXTENSION " + QuoteIdent(PathOf(key)) + " UPDATE TO " + QuoteLiteral(version));
      }
    }
    for (const std::string& key : Keys("schema")) {
      if (Added(key)) Emit("CREATE SCHEMA " + QuoteIdent(PathOf(key)));
    }
    for (const std::string& key : Keys("type")) Type(key);
    for (const std::string& key : Keys("sequence")) {
      if (!to_.count(key)) continue;
      Name n = SplitName(PathOf(key), false);
      const std::string& def = to_.at(key);
      size_t start = def.find(" start "), increment = def.find(" increment ");
      if (start == std::string::npos || increment == std::string::npos) {
        Cannot("sequence " + PathOf(key) + ": '" + def + "' is not a definition lockstep reads");
        continue;
      }
      Emit(std::string(Added(key) ? "CREATE" : "ALTER") + " SEQUENCE " +
           Qualified(n.schema, n.table) + " AS " + def.substr(0, start) + " START WITH " +
           def.substr(start + 7, increment - start - 7) + " INCREMENT BY " +
           def.substr(increment + 11));
    }
    bool bodies_off = false;
    for (const std::string& key : Keys("function")) {
      if (!to_.count(key)) continue;
      if (!bodies_off) {
        // As pg_dump does: a function may read tables created further down.
        Emit("SET LOCAL check_function_bodies = off");
        bodies_off = true;
      }
      Emit(Unterminated(to_.at(key)));
    }
    Tables();
    // Non-foreign keys first: a foreign key needs the key it references.
    for (bool foreign : {false, true}) {
      for (const std::string& key : Keys("constraint")) {
        if (!to_.count(key) || StartsWith(to_.at(key), "FOREIGN KEY") != foreign) continue;
        Name n = SplitName(PathOf(key), true);
        Emit("ALTER TABLE " + Qualified(n.schema, n.table) + " ADD CONSTRAINT " +
             QuoteIdent(n.part) + " " + to_.at(key));
      }
    }
    Views();
    for (const std::string& key : Keys("index")) {
      if (to_.count(key) && !ConstraintIndex(key)) Emit(to_.at(key));
    }
    for (const std::string& key : Keys("trigger")) {
      if (to_.count(key)) Emit(to_.at(key));
    }
    OwnedSequences();
    for (const std::string& key : Keys("comment")) Comment(key);
  }

  void Type(const std::string& key) {
    Name n = SplitName(PathOf(key), false);
    if (Added(key)) {
      std::string list;
      for (const std::string& label : EnumLabels(to_.at(key))) {
        list += (list.empty() ? "" : ", ") + QuoteLiteral(label);
      }
      Emit("CREATE TYPE " + Qualified(n.schema, n.table) + " AS ENUM (" + list + ")");
      return;
    }
    if (!Changed(key)) return;
    std::vector<std::string> before = EnumLabels(from_.at(key)), after = EnumLabels(to_.at(key));
    // Values can be added, anywhere; not removed or reordered.
    size_t matched = 0;
    for (const std::string& label : after) {
      if (matched < before.size() && before[matched] == label) ++matched;
    }
    if (matched != before.size()) {
      Cannot("type " + PathOf(key) +
             ": an enum value was removed or reordered; PostgreSQL can only add values "
             "(recreate the type and its columns by hand)");
      return;
    }
    std::string previous;
    for (size_t i = 0; i < after.size(); ++i) {
      if (std::find(before.begin(), before.end(), after[i]) != before.end()) {
        previous = after[i];
        continue;
      }
      std::string where = previous.empty()
                              ? (before.empty() ? "" : " BEFORE " + QuoteLiteral(before[0]))
                              : " AFTER " + QuoteLiteral(previous);
      Emit("ALTER TYPE " + Qualified(n.schema, n.table) + " ADD VALUE " + QuoteLiteral(after[i]) +
           where);
      previous = after[i];
    }
  }

  void Tables() {
    for (const std::string& key : Keys("table")) {
      if (!to_.count(key)) continue;
      Name n = SplitName(PathOf(key), false);
      if (to_.at(key) != "table") {
        Cannot(to_.at(key) + " " + PathOf(key) +
               (Added(key) ? ": its partitioning or server is not in the snapshot; create it "
                             "by hand"
                           : ": changed kind; recreate it by hand"));
        continue;
      }
      if (!Added(key)) continue;
      std::string sql = "CREATE TABLE " + Qualified(n.schema, n.table) + " (";
      const char* separator = "\n    ";
      for (const std::string& column : ColumnsOf(to_, PathOf(key))) {
        auto def = Def(to_, "column " + PathOf(key) + "." + column);
        if (!def) continue;
        sql += separator + QuoteIdent(column) + " " + Column::Parse(*def).Sql();
        separator = ",\n    ";
      }
      Emit(sql + "\n)");
    }
    // Columns of tables that stay, in the order the target has them.
    std::map<std::string, std::vector<std::string>> added;  // table path -> columns
    for (const std::string& key : Keys("column")) {
      Name n = SplitName(PathOf(key), true);
      std::string table = n.schema + "." + n.table;
      if (to_.count("table " + table) != 1 || Added("table " + table) || Removed(key)) continue;
      if (to_.at("table " + table) != "table") continue;
      if (Added(key)) {
        added[table].push_back(n.part);
        continue;
      }
      AlterColumn(n, Column::Parse(from_.at(key)), Column::Parse(to_.at(key)), PathOf(key));
    }
    for (auto& [table, columns] : added) {
      std::vector<std::string> order = ColumnsOf(to_, table);
      std::stable_sort(columns.begin(), columns.end(), [&](const auto& a, const auto& b) {
        return std::find(order.begin(), order.end(), a) < std::find(order.begin(), order.end(), b);
      });
      Name n = SplitName(table, false);
      for (const std::string& column : columns) {
        Emit("ALTER TABLE " + Qualified(n.schema, n.table) + " ADD COLUMN " + QuoteIdent(column) +
             " " + Column::Parse(to_.at("column " + table + "." + column)).Sql());
      }
    }
  }

  void AlterColumn(const Name& n, const Column& a, const Column& b, const std::string& path) {
    std::string alter =
        "ALTER TABLE " + Qualified(n.schema, n.table) + " ALTER COLUMN " + QuoteIdent(n.part);
    if (a.generated != b.generated) {
      if (b.generated.empty()) {
        Emit(alter + " DROP EXPRESSION");
      } else {
        Cannot("column " + path + ": its generation expression changed; PostgreSQL cannot " +
               "alter one (drop and add the column by hand)");
        return;
      }
    }
    if (a.type != b.type) {
      Emit(alter + " TYPE " + b.type);
      Loses("changes the type of column " + path + " (" + a.type + " to " + b.type +
            "): values are converted, and the statement fails when one does not convert");
    }
    if (a.default_expr != b.default_expr) {
      Emit(alter + (b.default_expr.empty() ? " DROP DEFAULT" : " SET DEFAULT " + b.default_expr));
    }
    if (a.not_null != b.not_null) Emit(alter + (b.not_null ? " SET NOT NULL" : " DROP NOT NULL"));
  }

  // Views to create or redefine, each after the views its definition names.
  // `views` (keys of `s`) so that each comes after the views its definition
  // names (by name as a word: the snapshot keeps no dependencies).
  static std::vector<std::string> ByDependency(std::vector<std::string> pending,
                                               const SchemaSnapshot& s) {
    std::vector<std::string> order;
    while (!pending.empty()) {
      auto ready = std::find_if(pending.begin(), pending.end(), [&](const std::string& key) {
        for (const std::string& other : pending) {
          if (other != key && NamesWord(s.at(key), SplitName(PathOf(other), false).table)) {
            return false;
          }
        }
        return true;
      });
      if (ready == pending.end()) ready = pending.begin();  // a cycle of names: keep the order
      order.push_back(*ready);
      pending.erase(ready);
    }
    return order;
  }

  void Views() {
    std::vector<std::string> pending;
    for (const std::string& key : Keys("view")) {
      if (to_.count(key)) pending.push_back(key);
    }
    for (const std::string& key : ByDependency(pending, to_)) {
      Name n = SplitName(PathOf(key), false);
      std::string def = to_.at(key);
      bool materialized = StartsWith(def, "materialized ");
      if (materialized) def = def.substr(std::string("materialized ").size());
      std::string verb = Changed(key) && ReplaceableView(key) ? "CREATE OR REPLACE " : "CREATE ";
      Emit(verb + (materialized ? "MATERIALIZED " : "") + "VIEW " + Qualified(n.schema, n.table) +
           " AS\n" + Unterminated(def));
    }
  }

  // A serial column made by hand: its sequence belongs to the column.
  void OwnedSequences() {
    for (const std::string& key : Keys("column")) {
      if (!Added(key)) continue;
      const std::string& expr = Column::Parse(to_.at(key)).default_expr;
      static const std::string kNextval = "nextval('";
      if (!StartsWith(expr, kNextval)) continue;
      std::vector<std::string> parts = Identifiers(
          expr.substr(kNextval.size(), expr.find('\'', kNextval.size()) - kNextval.size()));
      Name n = SplitName(PathOf(key), true);
      if (parts.size() == 1) parts.insert(parts.begin(), n.schema);
      if (parts.size() != 2 || !Added("sequence " + parts[0] + "." + parts[1])) continue;
      Name s{parts[0], parts[1], ""};
      Emit("ALTER SEQUENCE " + Qualified(s.schema, s.table) + " OWNED BY " +
           Qualified(n.schema, n.table) + "." + QuoteIdent(n.part));
    }
  }

  void Comment(const std::string& key) {
    std::string target = PathOf(key);  // "table public.users"
    if (!to_.count(target)) return;    // the object itself is gone, and its comment with it
    std::string kind = KindOfKey(target), path = PathOf(target), object;
    if (kind == "column") {
      Name n = SplitName(path, true);
      object = "COLUMN " + Qualified(n.schema, n.table) + "." + QuoteIdent(n.part);
    } else if (kind == "constraint" || kind == "trigger") {
      Name n = SplitName(path, true);
      object = (kind == "trigger" ? "TRIGGER " : "CONSTRAINT ") + QuoteIdent(n.part) + " ON " +
               Qualified(n.schema, n.table);
    } else if (kind == "function") {
      object =
          std::string(IsProcedure(target) ? "PROCEDURE " : "FUNCTION ") + FunctionSignature(path);
    } else if (kind == "schema" || kind == "extension") {
      object = (kind == "schema" ? "SCHEMA " : "EXTENSION ") + QuoteIdent(path);
    } else {
      Name n = SplitName(path, false);
      std::string what = kind == "view" ? (Materialized(to_, target) ? "MATERIALIZED VIEW" : "VIEW")
                         : kind == "table"
                             ? (to_.at(target) == "foreign table" ? "FOREIGN TABLE" : "TABLE")
                         : kind == "index"    ? "INDEX"
                         : kind == "sequence" ? "SEQUENCE"
                                              : "TYPE";
      object = what + " " + Qualified(n.schema, n.table);
    }
    Emit("COMMENT ON " + object + " IS " + (to_.count(key) ? QuoteLiteral(to_.at(key)) : "NULL"));
  }

  const SchemaSnapshot& from_;
  const SchemaSnapshot& to_;
  std::set<std::string> changed_;           // keys that differ, in key order
  std::set<std::string> constraint_names_;  // "schema.name"
  DriftSql out_;
};

}  // namespace

std::string KindOfKey(const std::string& key) {
  if (key == "lockstep format") return key;
  return key.substr(0, key.find(' '));
}

std::string QuoteIdent(const std::string& name) {
  bool bare = !name.empty() && !(name[0] >= '0' && name[0] <= '9') && !ReservedWords().count(name);
  for (char c : name) {
    bare &= (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  }
  if (bare) return name;
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

DriftSql SqlToTurn(const SchemaSnapshot& from, const SchemaSnapshot& to,
                   const std::function<bool(const std::string& kind)>& only) {
  return Generator(from, to, only).Generate();
}

}  // namespace lockstep
