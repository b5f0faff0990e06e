#include "manifests/sql_lexer.h"

namespace lockstep {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentStart(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_' || u >= 0x80;
}
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c) || c == '$'; }

bool EqualsUpper(std::string_view word, std::string_view upper) {
  if (word.size() != upper.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    char c = word[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != upper[i]) return false;
  }
  return true;
}

std::string Upper(std::string_view word) {
  std::string out(word);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

StatementKind Classify(const std::vector<std::string>& kw) {
  auto at = [&](size_t i) -> std::string_view {
    return i < kw.size() ? std::string_view(kw[i]) : std::string_view();
  };
  std::string_view first = at(0);
  if (first == "BEGIN") return StatementKind::kBegin;
  if (first == "START" && at(1) == "TRANSACTION") return StatementKind::kBegin;
  if (first == "END") return StatementKind::kCommit;
  if (first == "COMMIT") {
    return at(1) == "PREPARED" ? StatementKind::kOther : StatementKind::kCommit;
  }
  if (first == "ROLLBACK" || first == "ABORT") {
    // ROLLBACK [WORK|TRANSACTION] TO [SAVEPOINT] x stays inside the
    // transaction; ROLLBACK PREPARED is about another one.
    if (at(1) == "TO" || at(2) == "TO" || at(1) == "PREPARED") {
      return StatementKind::kOther;
    }
    return StatementKind::kRollback;
  }
  return StatementKind::kOther;
}

class Lexer {
 public:
  explicit Lexer(std::string_view sql) : sql_(sql) {}

  LexResult Run() {
    while (pos_ < sql_.size()) Step();
    if (stmt_start_ != kNone) EndStatement(sql_.size());
    return std::move(result_);
  }

 private:
  static constexpr size_t kNone = std::string_view::npos;

  char At(size_t i) const { return i < sql_.size() ? sql_[i] : '\0'; }

  void Step() {
    char c = sql_[pos_];
    if (c == '\n') {
      ++line_;
      line_has_token_ = false;
      ++pos_;
      return;
    }
    if (IsSpace(c)) {
      ++pos_;
      return;
    }
    if (c == '-' && At(pos_ + 1) == '-') {
      while (pos_ < sql_.size() && sql_[pos_] != '\n') ++pos_;
      return;
    }
    if (c == '/' && At(pos_ + 1) == '*') {
      SkipBlockComment();
      return;
    }
    bool at_line_start = !line_has_token_;
    line_has_token_ = true;
    if (c == '\\' && at_line_start) {
      MetaCommand();
      return;
    }
    if (c == ';') {
      if (stmt_start_ != kNone && paren_depth_ == 0 && begin_depth_ == 0) {
        EndStatement(pos_);
      }
      ++pos_;
      return;
    }
    if (stmt_start_ == kNone) {
      stmt_start_ = pos_;
      stmt_line_ = line_;
    }
    if (c == '\'') {
      SkipQuoted('\'', /*backslash=*/false, "unterminated quoted string");
    } else if (c == '"') {
      SkipQuoted('"', /*backslash=*/false, "unterminated quoted identifier");
    } else if (c == '$') {
      SkipDollar();
    } else if (IsIdentStart(c)) {
      size_t end = pos_;
      while (end < sql_.size() && IsIdentChar(sql_[end])) ++end;
      std::string_view word = sql_.substr(pos_, end - pos_);
      pos_ = end;
      if ((word == "E" || word == "e") && At(pos_) == '\'') {
        SkipQuoted('\'', /*backslash=*/true, "unterminated quoted string");
      } else {
        Word(word);
      }
    } else if (IsDigit(c)) {
      while (pos_ < sql_.size() && (IsIdentChar(sql_[pos_]) || sql_[pos_] == '.')) {
        ++pos_;
      }
    } else {
      if (c == '(') ++paren_depth_;
      if (c == ')' && paren_depth_ > 0) --paren_depth_;
      ++pos_;
    }
  }

  void Error(int line, std::string message) {
    result_.errors.push_back({line, std::move(message)});
  }

  void SkipBlockComment() {
    int start_line = line_;
    int depth = 0;
    while (pos_ < sql_.size()) {
      if (sql_[pos_] == '/' && At(pos_ + 1) == '*') {
        ++depth;
        pos_ += 2;
      } else if (sql_[pos_] == '*' && At(pos_ + 1) == '/') {
        pos_ += 2;
        if (--depth == 0) return;
      } else {
        if (sql_[pos_] == '\n') ++line_;
        ++pos_;
      }
    }
    Error(start_line, "unterminated /* comment");
  }

  // Skips a quoted string or identifier whose opening quote is at pos_; a
  // doubled quote stands for itself, and with `backslash` so does \x.
  void SkipQuoted(char quote, bool backslash, const char* unterminated) {
    int start_line = line_;
    ++pos_;
    while (pos_ < sql_.size()) {
      char c = sql_[pos_];
      if (c == '\n') ++line_;
      if (backslash && c == '\\') {
        if (At(pos_ + 1) == '\n') ++line_;
        pos_ += 2;
        continue;
      }
      ++pos_;
      if (c == quote) {
        if (At(pos_) != quote) return;
        ++pos_;
      }
    }
    Error(start_line, unterminated);
  }

  void SkipDollar() {
    size_t end = pos_ + 1;
    if (IsIdentStart(At(end))) {
      while (end < sql_.size() && IsIdentChar(sql_[end]) && sql_[end] != '$') {
        ++end;
      }
    }
    if (At(end) != '$') {  // a parameter such as $1, or a stray '$'
      ++pos_;
      return;
    }
    std::string_view tag = sql_.substr(pos_, end + 1 - pos_);
    int start_line = line_;
    size_t close = sql_.find(tag, end + 1);
    size_t stop = close == kNone ? sql_.size() : close + tag.size();
    for (size_t i = pos_; i < stop; ++i) {
      if (sql_[i] == '\n') ++line_;
    }
    if (close == kNone) {
      Error(start_line, "unterminated dollar-quoted string " + std::string(tag));
    }
    pos_ = stop;
  }

  void MetaCommand() {
    size_t end = pos_;
    while (end < sql_.size() && sql_[end] != '\n' && !IsSpace(sql_[end])) ++end;
    Error(line_, "psql meta-command '" + std::string(sql_.substr(pos_, end - pos_)) +
                     "' is not SQL; lockstep runs plain SQL only: remove it, "
                     "or write what it does as SQL");
    while (pos_ < sql_.size() && sql_[pos_] != '\n') ++pos_;
  }

  void Word(std::string_view word) {
    if (keywords_.size() < LexedStatement::kMaxKeywords) {
      keywords_.push_back(Upper(word));
      if (keywords_.size() == 2 || keywords_.size() == 4) routine_ = IsRoutine();
    }
    if (routine_ && paren_depth_ == 0) {
      // psql's heuristic for CREATE FUNCTION ... BEGIN ATOMIC ... END: CASE
      // also ends with END, so it counts once inside a BEGIN.
      if (EqualsUpper(word, "BEGIN")) {
        ++begin_depth_;
      } else if (EqualsUpper(word, "CASE") && begin_depth_ > 0) {
        ++begin_depth_;
      } else if (EqualsUpper(word, "END") && begin_depth_ > 0) {
        --begin_depth_;
      }
    }
    if (keywords_[0] == "COPY") {
      if (after_from_ && EqualsUpper(word, "STDIN")) {
        Error(line_,
              "COPY ... FROM STDIN needs psql to send the data, which lockstep "
              "cannot do: use INSERT statements, or COPY from a file on the "
              "server");
      }
      after_from_ = EqualsUpper(word, "FROM");
    }
  }

  bool IsRoutine() const {
    auto is = [&](size_t i, std::string_view w) {
      return i < keywords_.size() && keywords_[i] == w;
    };
    if (!is(0, "CREATE")) return false;
    if (is(1, "FUNCTION") || is(1, "PROCEDURE")) return true;
    return is(1, "OR") && is(2, "REPLACE") && (is(3, "FUNCTION") || is(3, "PROCEDURE"));
  }

  void EndStatement(size_t end) {
    std::string_view sql = sql_.substr(stmt_start_, end - stmt_start_);
    while (!sql.empty() && (IsSpace(sql.back()) || sql.back() == '\n')) {
      sql.remove_suffix(1);
    }
    LexedStatement s;
    s.sql = sql;
    s.line = stmt_line_;
    s.kind = Classify(keywords_);
    s.keywords = std::move(keywords_);
    result_.statements.push_back(std::move(s));
    stmt_start_ = kNone;
    stmt_line_ = 0;
    keywords_.clear();
    paren_depth_ = 0;
    begin_depth_ = 0;
    routine_ = false;
    after_from_ = false;
  }

  std::string_view sql_;
  size_t pos_ = 0;
  int line_ = 1;
  bool line_has_token_ = false;

  // The statement being read.
  size_t stmt_start_ = kNone;
  int stmt_line_ = 0;
  std::vector<std::string> keywords_;
  int paren_depth_ = 0;
  int begin_depth_ = 0;
  bool routine_ = false;
  bool after_from_ = false;

  LexResult result_;
};

}  // namespace

LexResult LexSql(std::string_view sql) { return Lexer(sql).Run(); }

}  // namespace lockstep
