// libpq underneath libpqxx 6.4: the connection policy that keeps the PGconn,
// so that a broken connection's error is libpq's own. Internal to adapters/.
#ifndef LOCKSTEP_ADAPTERS_LIBPQ_WATCH_H_
#define LOCKSTEP_ADAPTERS_LIBPQ_WATCH_H_

#include <libpq-fe.h>

#include <cstring>
#include <string>

#include <pqxx/pqxx>

namespace lockstep {

// libpq's messages on one line ("...failed: Connection refused\n\tIs the
// server running...?"), so that each log entry stays one line.
inline std::string OneLine(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '\n' || c == '\t' || c == '\r') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// What libpq said when a connection broke. libpqxx 6.4 replaces it with
// "Could not obtain client encoding" (it asks the dead connection for its
// encoding before it reads the error), so the connection policy below keeps
// the PGconn it makes and reads libpq's own message from it.
struct LibpqWatch {
  PGconn* conn = nullptr;
  std::string last_error;  // libpq's message when the connection was closed

  std::string Reason() const {
    std::string text = conn ? PQerrorMessage(conn) : last_error;
    for (const char* prefix : {"FATAL:  ", "ERROR:  "}) {
      if (text.rfind(prefix, 0) == 0) text = text.substr(std::strlen(prefix));
    }
    return OneLine(text);
  }
};

// Set while a WatchedConnection is built on this thread, so its policy finds
// the watch (libpqxx builds the policy itself, from the options string only).
inline thread_local LibpqWatch* g_watch_being_built = nullptr;

class WatchedConnect : public pqxx::connect_direct {
 public:
  explicit WatchedConnect(const std::string& options)
      : pqxx::connect_direct(options), watch_(g_watch_being_built) {}

  handle do_startconnect(handle orig) override {
    handle h = pqxx::connect_direct::do_startconnect(orig);
    if (watch_) watch_->conn = h;
    return h;
  }
  handle do_dropconnect(handle orig) noexcept override {
    Forget(orig);
    return pqxx::connect_direct::do_dropconnect(orig);
  }
  handle do_disconnect(handle orig) noexcept override {
    Forget(orig);
    return pqxx::connect_direct::do_disconnect(orig);
  }

 private:
  void Forget(handle orig) noexcept {
    if (!watch_ || !orig) return;
    try {
      watch_->last_error = PQerrorMessage(orig);
    } catch (...) {
    }
    watch_->conn = nullptr;
  }

  LibpqWatch* watch_;
};

using WatchedConnection = pqxx::basic_connection_base<WatchedConnect>;

}  // namespace lockstep

#endif  // LOCKSTEP_ADAPTERS_LIBPQ_WATCH_H_
