// The error value that crosses module boundaries at run time (loading uses
// Diagnostics): a code that maps onto an exit code, and a message for people.
#ifndef LOCKSTEP_GRAPH_STATUS_H_
#define LOCKSTEP_GRAPH_STATUS_H_

#include <string>
#include <utility>

namespace lockstep {

class Status {
 public:
  enum class Code {
    kOk,
    kFailed,       // a migration or a database operation failed (exit 1)
    kBadInput,     // configuration or usage (exit 2)
    kLockTimeout,  // another deploy held the lock too long (exit 3)
    kCancelled,    // stopped by a signal or a shutdown (exit 1)
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status Failed(std::string message) { return Status(Code::kFailed, std::move(message)); }
  static Status BadInput(std::string message) {
    return Status(Code::kBadInput, std::move(message));
  }
  static Status LockTimeout(std::string message) {
    return Status(Code::kLockTimeout, std::move(message));
  }
  static Status Cancelled(std::string message) {
    return Status(Code::kCancelled, std::move(message));
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // The same code with another message (a reworded or redacted one).
  Status WithMessage(std::string message) const { return Status(code_, std::move(message)); }

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

}  // namespace lockstep

#endif  // LOCKSTEP_GRAPH_STATUS_H_
