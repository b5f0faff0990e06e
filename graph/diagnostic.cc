#include "graph/diagnostic.h"

#include <algorithm>
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

void Diagnostics::Error(std::string file, int line, std::string message,
                        int column) {
  all_.push_back({Diagnostic::Severity::kError, std::move(file), line, column,
                  std::move(message)});
  ++error_count_;
}

void Diagnostics::Warning(std::string file, int line, std::string message,
                          int column) {
  all_.push_back({Diagnostic::Severity::kWarning, std::move(file), line,
                  column, std::move(message)});
}

void Diagnostics::Append(const Diagnostics& other) {
  all_.insert(all_.end(), other.all_.begin(), other.all_.end());
  error_count_ += other.error_count_;
}

void Diagnostics::Sort() {
  std::stable_sort(all_.begin(), all_.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::tie(a.file, a.line, a.column, a.message) <
                            std::tie(b.file, b.line, b.column, b.message);
                   });
}

}  // namespace lockstep
