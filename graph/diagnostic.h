// Diagnostics: the error values that cross module boundaries while a platform
// is loaded and checked. Each one names a place (file, line, column) and says
// what is wrong there; all of them are collected and reported together.
#ifndef LOCKSTEP_GRAPH_DIAGNOSTIC_H_
#define LOCKSTEP_GRAPH_DIAGNOSTIC_H_

#include <string>
#include <vector>

namespace lockstep {

struct Diagnostic {
  enum class Severity { kError, kWarning };

  Severity severity = Severity::kError;
  std::string file;  // as the user would open it; empty when no file applies
  int line = 0;      // 1-based; 0 when the whole file is meant
  int column = 0;    // 1-based; 0 when unknown
  std::string message;
  // Warnings a platform may hold by the hundred (empty down files, say) share
  // a group: the plural phrase that summarises them in one line. Empty for
  // the rest, which are summarised only when their messages are equal.
  std::string group;

  // "file:line:column: message", "file:line: message", "file: message" or
  // "message", with "warning: " before the message for warnings.
  std::string ToString() const;
};

// An ordered collection of diagnostics. Not thread-safe: loaders that work in
// parallel keep one each and Append() them in a fixed order afterwards.
class Diagnostics {
 public:
  void Error(std::string file, int line, std::string message, int column = 0);
  void Warning(std::string file, int line, std::string message, int column = 0,
               std::string group = "");
  void Append(const Diagnostics& other);
  // Every warning becomes an error (validate --strict).
  void MakeWarningsErrors();

  bool has_errors() const { return error_count_ > 0; }
  int error_count() const { return error_count_; }
  const std::vector<Diagnostic>& all() const { return all_; }

  // Orders by file, line, column, then message, for stable output.
  void Sort();

 private:
  std::vector<Diagnostic> all_;
  int error_count_ = 0;
};

// The lines to print for `diag`: every error, and warnings of one group (or
// of one message) summarised as one line with a count when there are several
// of them and `verbose` is false ("warning: 122 down files hold no SQL
// statement: ... (e.g. FILE; --verbose lists them)"). In the order of `diag`,
// a summary where the group's first warning stood.
struct DiagnosticLine {
  Diagnostic::Severity severity;
  std::string text;
};
std::vector<DiagnosticLine> DiagnosticLines(const Diagnostics& diag, bool verbose);

}  // namespace lockstep

#endif  // LOCKSTEP_GRAPH_DIAGNOSTIC_H_
