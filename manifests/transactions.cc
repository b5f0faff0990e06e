#include "manifests/transactions.h"

#include <algorithm>

namespace lockstep {
namespace {

std::string Join(const std::vector<std::string>& words, size_t count) {
  std::string out;
  for (size_t i = 0; i < count && i < words.size(); ++i) {
    if (i > 0) out += ' ';
    out += words[i];
  }
  return out;
}

const char* KindName(StatementKind kind) {
  switch (kind) {
    case StatementKind::kBegin:
      return "BEGIN";
    case StatementKind::kCommit:
      return "COMMIT";
    case StatementKind::kRollback:
      return "ROLLBACK";
    case StatementKind::kOther:
      break;
  }
  return "";
}

// Checks the file's own transaction control: none at all, or one BEGIN first
// and one COMMIT last. Returns whether the first and last statement are that
// pair (and so are not to be sent).
bool CheckTransactionShape(const std::vector<LexedStatement>& statements, const std::string& path,
                           Diagnostics* diag) {
  int begins = 0, commits = 0;
  for (const LexedStatement& s : statements) {
    if (s.kind == StatementKind::kRollback) {
      diag->Error(path, s.line,
                  "top-level " + s.keywords[0] +
                      " would throw the migration away; lockstep rolls back "
                      "by itself when a statement fails: remove it");
    }
    begins += s.kind == StatementKind::kBegin;
    commits += s.kind == StatementKind::kCommit;
  }
  if (begins == 0 && commits == 0) return false;
  if (begins == 0) {
    for (const LexedStatement& s : statements) {
      if (s.kind != StatementKind::kCommit) continue;
      diag->Error(path, s.line, s.keywords[0] + " without a BEGIN before it: remove it");
      return false;
    }
  }
  const LexedStatement& first = statements.front();
  const LexedStatement& last = statements.back();
  if (begins == 1 && commits == 1 && first.kind == StatementKind::kBegin &&
      last.kind == StatementKind::kCommit) {
    return true;
  }
  // Name the first statement that breaks the one-transaction shape.
  bool open = false;
  for (size_t i = 0; i < statements.size(); ++i) {
    const LexedStatement& s = statements[i];
    bool bad = false;
    if (s.kind == StatementKind::kBegin) {
      bad = open || i > 0;
      open = true;
    } else if (s.kind == StatementKind::kCommit) {
      bad = !open;
      open = false;
    } else if (s.kind == StatementKind::kOther) {
      bad = !open;
    }
    if (!bad) continue;
    diag->Error(path, s.line,
                "this file needs two separate transactions (statements "
                "outside its BEGIN ... COMMIT, or a second one); lockstep "
                "runs each migration in one transaction: split it into two "
                "migrations");
    return false;
  }
  if (open) {
    diag->Error(path, first.kind == StatementKind::kBegin ? first.line : last.line,
                "BEGIN without a matching COMMIT: add COMMIT at the end, or "
                "remove BEGIN");
  }
  return false;
}

}  // namespace

std::string NonTransactionalCommand(const LexedStatement& s) {
  const auto& kw = s.keywords;
  if (kw.empty()) return "";
  if (kw[0] == "VACUUM") return "VACUUM";
  if ((kw[0] == "CREATE" || kw[0] == "DROP") && kw.size() > 1 &&
      (kw[1] == "DATABASE" || kw[1] == "TABLESPACE" || kw[1] == "SUBSCRIPTION")) {
    return Join(kw, 2);
  }
  if (kw[0] == "ALTER" && kw.size() > 1 && kw[1] == "SYSTEM") return "ALTER SYSTEM";
  auto concurrently = std::find(kw.begin(), kw.end(), "CONCURRENTLY");
  if (concurrently == kw.end()) return "";
  if (kw[0] == "CREATE" || kw[0] == "DROP" || kw[0] == "REINDEX") {
    return Join(kw, concurrently - kw.begin() + 1);
  }
  if (kw[0] == "ALTER" && std::find(kw.begin(), kw.end(), "DETACH") != kw.end()) {
    return "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY";
  }
  return "";
}

std::vector<Statement> PrepareStatements(const LexResult& lexed, bool no_transaction,
                                         const std::string& path, Diagnostics* diag) {
  const auto& all = lexed.statements;
  std::vector<Statement> out;
  if (all.empty()) return out;
  bool strip = false;
  if (no_transaction) {
    for (const LexedStatement& s : all) {
      if (s.kind == StatementKind::kOther) continue;
      diag->Error(path, s.line,
                  std::string(KindName(s.kind)) +
                      " in a no-transaction migration: lockstep runs its "
                      "statements one by one; move the statements that belong "
                      "in a transaction into a migration of their own");
    }
  } else {
    strip = CheckTransactionShape(all, path, diag);
    for (const LexedStatement& s : all) {
      std::string command = NonTransactionalCommand(s);
      if (command.empty()) continue;
      diag->Error(path, s.line,
                  command +
                      " cannot run inside a transaction; add "
                      "'-- lockstep:no-transaction' at the top of the "
                      "file");
    }
  }
  size_t begin = strip ? 1 : 0;
  size_t end = strip ? all.size() - 1 : all.size();
  out.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) {
    out.push_back({std::string(all[i].sql), all[i].line});
  }
  return out;
}

}  // namespace lockstep
