// A small HTTP/1.1 server on Boost.Beast: the only translation unit that
// includes Beast. Requests are handed to one handler on the io_context's
// thread; the handler must not block (the daemon serves from cached state).
#ifndef LOCKSTEP_DAEMON_SERVER_HTTP_SERVER_H_
#define LOCKSTEP_DAEMON_SERVER_HTTP_SERVER_H_

// Asio 1.18 uses std::exchange without including <utility>.
#include <utility>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "graph/status.h"

namespace lockstep {

struct HttpRequest {
  std::string method;  // "GET"
  std::string path;    // "/v1/graph"
  std::string query;   // "format=dot"
  std::string body;
  std::string authorization;  // the Authorization header, as sent
  bool loopback = false;      // the client connected from 127.0.0.0/8 or ::1
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // Limits: request bodies over 64 KiB get 413, headers over 16 KiB 431,
  // malformed requests (a target that is not UTF-8 included) 400; an idle
  // connection is closed after 30 s. Past `max_connections` open at once a
  // new client gets 503 and is closed. When accept fails for want of file
  // descriptors (EMFILE and the like) the server waits a moment before it
  // accepts again, instead of spinning.
  HttpServer(boost::asio::io_context& io, Handler handler, int max_connections = 256);
  ~HttpServer();

  // Binds "HOST:PORT" ("127.0.0.1:8080", "[::1]:0", "0.0.0.0:8080") and
  // starts accepting. Port 0 picks a free port; see port().
  Status Listen(const std::string& address);
  uint16_t port() const;

  // Stops accepting; connections being served finish.
  void Stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_SERVER_HTTP_SERVER_H_
