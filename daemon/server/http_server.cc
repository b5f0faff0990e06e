#include "daemon/server/http_server.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <optional>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

namespace lockstep {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr size_t kBodyLimit = 64 * 1024;
constexpr size_t kHeaderLimit = 16 * 1024;
constexpr auto kIdleTimeout = std::chrono::seconds(30);

std::string ErrorJson(const std::string& message) {
  return nlohmann::json{{"error", message}}.dump(-1, ' ', false,
                                                 nlohmann::json::error_handler_t::replace);
}

bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size() || (n == 2 && c < 0xC2)) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

// Counts the connections being served; one is released when its Session goes.
class Slot {
 public:
  explicit Slot(std::shared_ptr<std::atomic<int>> open) : open_(std::move(open)) { ++*open_; }
  ~Slot() { --*open_; }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

 private:
  std::shared_ptr<std::atomic<int>> open_;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<HttpServer::Handler> handler,
          std::shared_ptr<std::atomic<int>> open)
      : stream_(std::move(socket)), handler_(std::move(handler)), slot_(std::move(open)) {
    beast::error_code ec;
    auto remote = stream_.socket().remote_endpoint(ec);
    loopback_ = !ec && remote.address().is_loopback();
    if (!ec && remote.address().is_v6() && remote.address().to_v6().is_v4_mapped()) {
      loopback_ = remote.address().to_v6().to_v4().is_loopback();
    }
  }

  void Start() { Read(); }

  // Answers 503 at once and closes: the server is at its connection cap.
  void Refuse() { Reject(503, "too many connections; try again in a moment"); }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(kBodyLimit);
    parser_->header_limit(kHeaderLimit);
    stream_.expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, size_t) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
      return Close();
    }
    if (ec == http::error::body_limit)
      return Reject(413, "request body too large (64 KiB at most)");
    if (ec == http::error::header_limit) return Reject(431, "request headers too large");
    if (ec) return Reject(400, "malformed HTTP request: " + ec.message());

    const auto& req = parser_->get();
    if (!ValidUtf8({req.target().data(), req.target().size()}))
      return Reject(400, "malformed HTTP request: the target is not UTF-8");
    HttpRequest request;
    request.method = std::string(req.method_string());
    std::string target(req.target());
    size_t q = target.find('?');
    request.path = target.substr(0, q);
    request.query = q == std::string::npos ? "" : target.substr(q + 1);
    request.body = req.body();
    request.authorization = std::string(req[http::field::authorization]);
    request.loopback = loopback_;
    HttpResponse response;
    try {
      response = (*handler_)(request);
    } catch (const std::exception& e) {
      response = {500, "application/json", ErrorJson(std::string("internal error: ") + e.what())};
    }
    Write(response, req.keep_alive());
  }

  void Reject(int status, const std::string& message) {
    Write({status, "application/json", ErrorJson(message)}, /*keep_alive=*/false);
  }

  void Write(const HttpResponse& response, bool keep_alive) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(response.status), 11);
    res->set(http::field::server, "lockstep");
    res->set(http::field::content_type, response.content_type);
    res->set(http::field::cache_control, "no-store");
    res->keep_alive(keep_alive);
    res->body() = response.body;
    res->prepare_payload();
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
                        if (ec || !keep_alive) return self->Close();
                        self->Read();
                      });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<HttpServer::Handler> handler_;
  Slot slot_;
  bool loopback_ = false;
};

bool OutOfDescriptors(const beast::error_code& ec) {
  return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
         ec == asio::error::no_memory || ec.value() == ENFILE;
}

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<Impl> {
  asio::io_context& io;
  std::shared_ptr<Handler> handler;
  tcp::acceptor acceptor;
  asio::steady_timer backoff;
  int max_connections;
  std::shared_ptr<std::atomic<int>> open = std::make_shared<std::atomic<int>>(0);

  Impl(asio::io_context& i, Handler h, int max)
      : io(i),
        handler(std::make_shared<Handler>(std::move(h))),
        acceptor(asio::make_strand(i)),
        backoff(i),
        max_connections(max) {}

  void Accept() {
    acceptor.async_accept(asio::make_strand(io),
                          [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                            self->Accepted(ec, std::move(socket));
                          });
  }

  void Accepted(beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (OutOfDescriptors(ec)) {
      // The pending connection stays in the backlog; accepting again at once
      // would fail again at once, and spin.
      backoff.expires_after(std::chrono::milliseconds(100));
      backoff.async_wait([self = shared_from_this()](beast::error_code wait) {
        if (!wait && self->acceptor.is_open()) self->Accept();
      });
      return;
    }
    if (!ec) {
      auto session = std::make_shared<Session>(std::move(socket), handler, open);
      if (open->load() > max_connections) {
        session->Refuse();
      } else {
        session->Start();
      }
    }
    Accept();
  }
};

HttpServer::HttpServer(asio::io_context& io, Handler handler, int max_connections)
    : impl_(std::make_shared<Impl>(io, std::move(handler), max_connections)) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Listen(const std::string& address) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return Status::BadInput("--listen " + address + ": write HOST:PORT, e.g. 127.0.0.1:8080");
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  unsigned long port = 0;
  try {
    port = std::stoul(address.substr(colon + 1));
  } catch (const std::exception&) {
    port = 70000;
  }
  beast::error_code ec;
  auto ip = asio::ip::make_address(host, ec);
  if (ec || port > 65535) {
    return Status::BadInput("--listen " + address +
                            ": write HOST:PORT with a numeric address, "
                            "e.g. 127.0.0.1:8080 or 0.0.0.0:8080");
  }
  tcp::endpoint endpoint(ip, static_cast<uint16_t>(port));
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::Failed("cannot listen on " + address + ": " + ec.message());
  impl_->Accept();
  return Status::Ok();
}

uint16_t HttpServer::port() const {
  beast::error_code ec;
  auto endpoint = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void HttpServer::Stop() {
  beast::error_code ec;
  impl_->acceptor.close(ec);
  impl_->backoff.cancel();
}

}  // namespace lockstep
