// A PostgreSQL-aware splitter of SQL files into statements, as psql splits
// them: a ';' ends a statement only outside comments (-- and nested /* */),
// strings ('...', E'...'), quoted identifiers, dollar quotes ($$, $tag$),
// parentheses and the BEGIN ... END body of a SQL-standard function.
#ifndef LOCKSTEP_MANIFESTS_SQL_LEXER_H_
#define LOCKSTEP_MANIFESTS_SQL_LEXER_H_

#include <string>
#include <string_view>
#include <vector>

namespace lockstep {

enum class StatementKind {
  kOther,
  kBegin,     // BEGIN, START TRANSACTION
  kCommit,    // COMMIT, END
  kRollback,  // ROLLBACK, ABORT (not ROLLBACK TO SAVEPOINT)
};

struct LexedStatement {
  std::string_view sql;  // from its first token to before its ';'
  int line = 0;          // line of the first token
  StatementKind kind = StatementKind::kOther;
  // The first top-level words, upper-cased ("CREATE", "INDEX", ...), at most
  // kMaxKeywords of them.
  std::vector<std::string> keywords;
  static constexpr size_t kMaxKeywords = 10;
};

struct LexError {
  int line = 0;
  std::string message;
};

struct LexResult {
  std::vector<LexedStatement> statements;  // views into the lexed text
  std::vector<LexError> errors;
};

// Splits `sql` into statements; empty statements are dropped. Reports psql
// meta-commands (a line starting with '\'), COPY ... FROM STDIN, and
// unterminated comments, strings and dollar quotes. The result's views point
// into `sql`, which must outlive it.
LexResult LexSql(std::string_view sql);

}  // namespace lockstep

#endif  // LOCKSTEP_MANIFESTS_SQL_LEXER_H_
