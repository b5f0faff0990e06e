#include "graph/diagnostic.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace lockstep {

std::string Diagnostic::ToString() const {
  std::string out;
  if (!file.empty()) {
    out = file;
    if (line > 0) {
      out += ":" + std::to_string(line);
      if (column > 0) out += ":" + std::to_string(column);
    }
    out += ": ";
  }
  if (severity == Severity::kWarning) out += "warning: ";
  out += message;
  return out;
}

void Diagnostics::Error(std::string file, int line, std::string message, int column) {
  all_.push_back(
      {Diagnostic::Severity::kError, std::move(file), line, column, std::move(message), ""});
  ++error_count_;
}

void Diagnostics::Warning(std::string file, int line, std::string message, int column,
                          std::string group) {
  all_.push_back({Diagnostic::Severity::kWarning, std::move(file), line, column, std::move(message),
                  std::move(group)});
}

void Diagnostics::MakeWarningsErrors() {
  for (Diagnostic& d : all_) {
    if (d.severity == Diagnostic::Severity::kWarning) {
      d.severity = Diagnostic::Severity::kError;
      ++error_count_;
    }
  }
}

void Diagnostics::Append(const Diagnostics& other) {
  all_.insert(all_.end(), other.all_.begin(), other.all_.end());
  error_count_ += other.error_count_;
}

void Diagnostics::Sort() {
  std::stable_sort(all_.begin(), all_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.file, a.line, a.column, a.message) <
           std::tie(b.file, b.line, b.column, b.message);
  });
}

std::vector<DiagnosticLine> DiagnosticLines(const Diagnostics& diag, bool verbose) {
  auto key = [](const Diagnostic& d) { return d.group.empty() ? d.message : d.group; };
  auto warning = [](const Diagnostic& d) { return d.severity == Diagnostic::Severity::kWarning; };
  std::map<std::string, int> count;
  for (const Diagnostic& d : diag.all()) {
    if (warning(d)) ++count[key(d)];
  }
  std::vector<DiagnosticLine> lines;
  std::set<std::string> said;
  for (const Diagnostic& d : diag.all()) {
    int n = warning(d) ? count[key(d)] : 1;
    if (verbose || n == 1) {
      lines.push_back({d.severity, d.ToString()});
      continue;
    }
    if (!said.insert(key(d)).second) continue;
    std::string example = d.file + (d.line > 0 ? ":" + std::to_string(d.line) : "");
    std::string text = d.group.empty()
                           ? "warning: " + d.message + " (" + std::to_string(n) + " files, e.g. " +
                                 example + "; --verbose lists them)"
                           : "warning: " + std::to_string(n) + " " + d.group + " (e.g. " + example +
                                 ": " + d.message + "; --verbose lists them)";
    lines.push_back({d.severity, std::move(text)});
  }
  return lines;
}

}  // namespace lockstep
