#include "support/http_listener.h"

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace claimmap::support {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class Session;

struct HttpListener::State {
  ListenerOptions options;
  Handler handler;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::atomic<bool> stopping{false};
  std::atomic<size_t> connections{0};
  std::mutex sessions_mutex;
  uint64_t next_session_id = 0;
  std::unordered_map<uint64_t, std::weak_ptr<Session>> sessions;

  State(ListenerOptions o, Handler h) : options(std::move(o)), handler(std::move(h)) {}
  void accept_next(const std::shared_ptr<State>& self);
};

namespace {

constexpr size_t kHeaderLimit = 64 * 1024;
constexpr size_t kFirstReadBytes = 16 * 1024;

}  // namespace

// One connection: wait for a request's first bytes (idle timeout), read it
// whole (read timeout), answer it, and again while the client keeps it alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<HttpListener::State> state)
      : stream_(std::move(socket)), state_(std::move(state)) {}

  ~Session() {
    state_->connections.fetch_sub(1);
    std::lock_guard<std::mutex> lock(state_->sessions_mutex);
    state_->sessions.erase(id_);
  }

  void start() {
    // Answers are written whole at once: no reason to wait for an ACK first.
    beast::error_code ignored;
    stream_.socket().set_option(tcp::no_delay(true), ignored);
    {
      std::lock_guard<std::mutex> lock(state_->sessions_mutex);
      id_ = state_->next_session_id++;
      state_->sessions.emplace(id_, weak_from_this());
    }
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->wait_for_request(); });
  }

  // A connection waiting for its next request is closed now; one in the
  // middle of a request finishes it first (on the session's strand).
  void post_stop() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->idle_) self->close();
    });
  }

 private:
  void wait_for_request() {
    if (state_->stopping.load()) return close();
    if (buffer_.size() > 0) return read_request();  // a pipelined request is already in
    idle_ = true;
    stream_.expires_after(state_->options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->idle_ = false;
                              // Closed by a stop after these bytes arrived but before this
                              // ran: the request must not be applied, as it cannot be answered.
                              if (ec || self->closed_) return self->close();
                              self->buffer_.commit(n);
                              self->read_request();
                            });
  }

  void read_request() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(state_->options.max_body_bytes);
    // One deadline for the whole request, header and body.
    stream_.expires_after(state_->options.read_timeout);
    http::async_read_header(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->on_header(ec);
    });
  }

  void on_header(beast::error_code ec) {
    if (ec == http::error::body_limit) return reject(413, "request body over the limit");
    if (ec == http::error::header_limit) return reject(431, "request header too large");
    if (ec == beast::error::timeout) return close();
    if (ec) return bad_request(ec);
    const auto& header = parser_->get();
    const auto length = parser_->content_length();
    if (length && *length > state_->options.max_body_bytes) return reject(413, "request body over the limit");
    if (beast::iequals(header[http::field::expect], "100-continue")) {
      // Tell a client that waits (curl does above 1 MiB) to send its body.
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, header.version());
      http::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code ec2, size_t) {
        if (ec2) return self->close();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec == http::error::body_limit) return self->reject(413, "request body over the limit");
      if (ec == beast::error::timeout || ec == http::error::end_of_stream) return self->close();
      if (ec) return self->bad_request(ec);
      self->on_request();
    });
  }

  void on_request() {
    if (closed_) return;  // nobody to answer: apply nothing
    http::request<http::string_body>& req = parser_->get();
    HttpRequest request;
    request.method = std::string(req.method_string());
    HttpResponse response;
    if (!parse_target(std::string_view(req.target().data(), req.target().size()), &request)) {
      response.status = 400;
      response.body = "{\"error\": {\"code\": \"invalid_argument\", \"message\": \"bad request target\"}}\n";
    } else {
      request.host = std::string(req[http::field::host]);
      request.forwarded_https = beast::iequals(req["X-Forwarded-Proto"], "https");
      request.authorization = std::string(req[http::field::authorization]);
      request.content_type = std::string(req[http::field::content_type]);
      beast::error_code ec;
      const auto peer = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
      if (!ec) request.peer = peer.address().to_string() + ":" + std::to_string(peer.port());
      request.body = std::move(req.body());
      response = state_->handler(request);
    }
    const bool keep_alive = req.keep_alive() && !state_->stopping.load();
    write(std::move(response), req.version(), keep_alive, req.method() == http::verb::head);
  }

  void write(HttpResponse response, unsigned version, bool keep_alive, bool head = false) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(response.status), version);
    res->set(http::field::server, "claimmap");
    res->set(http::field::content_type, response.content_type);
    for (auto& [name, value] : response.headers) res->set(name, value);
    res->keep_alive(keep_alive);
    res->body() = std::move(response.body);
    res->prepare_payload();
    if (head) res->body().clear();  // HEAD: the length of the GET, no body
    stream_.expires_after(state_->options.read_timeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
      if (ec || !keep_alive) return self->close();
      self->parser_.reset();
      self->wait_for_request();
    });
  }

  void reject(int status, std::string_view message) {
    HttpResponse r;
    r.status = status;
    r.body = "{\"error\": {\"code\": \"" + std::string(status == 413 ? "too_large" : "bad_request") +
             "\", \"message\": \"" + std::string(message) + "\"}}\n";
    // The rest of the request is not read: the connection cannot be reused.
    write(std::move(r), 11, false);
  }

  void bad_request(beast::error_code ec) {
    if (ec == asio::error::operation_aborted || ec == asio::error::eof || ec == asio::error::connection_reset) {
      return close();
    }
    reject(400, "malformed HTTP request: " + ec.message());
  }

  void close() {
    closed_ = true;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  std::shared_ptr<HttpListener::State> state_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool idle_ = false;
  bool closed_ = false;  // on the strand: set by close(), never cleared
  uint64_t id_ = 0;
};

void HttpListener::State::accept_next(const std::shared_ptr<State>& self) {
  acceptor.async_accept(asio::make_strand(io), [self](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || self->stopping.load()) return;
      return self->accept_next(self);  // e.g. EMFILE: keep serving the connections we have
    }
    if (self->stopping.load()) return;
    if (self->connections.fetch_add(1) >= self->options.max_connections) {
      self->connections.fetch_sub(1);
      static constexpr std::string_view kBusy =
          "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      beast::error_code ignored;
      asio::write(socket, asio::buffer(kBusy.data(), kBusy.size()), ignored);
      socket.close(ignored);
    } else {
      std::make_shared<Session>(std::move(socket), self)->start();
    }
    self->accept_next(self);
  });
}

HttpListener::HttpListener(ListenerOptions options, Handler handler)
    : state_(std::make_shared<State>(std::move(options), std::move(handler))) {}

HttpListener::~HttpListener() {
  stop();
}

Status HttpListener::start() {
  const std::string where = state_->options.address + ":" + std::to_string(state_->options.port);
  beast::error_code ec;
  const auto address = asio::ip::make_address(state_->options.address, ec);
  if (ec) return Status(ErrorCode::kInvalidArgument, "bad listen address " + where + ": " + ec.message());
  const tcp::endpoint endpoint(address, state_->options.port);
  tcp::acceptor& a = state_->acceptor;
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status(ErrorCode::kIoError, "cannot listen on " + where + ": " + ec.message());
  state_->accept_next(state_);
  return Status();
}

uint16_t HttpListener::port() const {
  beast::error_code ec;
  const auto endpoint = state_->acceptor.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void HttpListener::run() {
  const unsigned n = state_->options.threads == 0 ? 1 : state_->options.threads;
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < n; ++i) threads.emplace_back([this] { state_->io.run(); });
  state_->io.run();
  for (std::thread& t : threads) t.join();
}

void HttpListener::stop() {
  if (state_->stopping.exchange(true)) return;
  asio::post(state_->io, [state = state_] {
    beast::error_code ignored;
    state->acceptor.close(ignored);
    std::vector<std::shared_ptr<Session>> live;
    {
      std::lock_guard<std::mutex> lock(state->sessions_mutex);
      for (auto& [id, weak] : state->sessions) {
        if (auto s = weak.lock()) live.push_back(std::move(s));
      }
    }
    for (auto& s : live) s->post_stop();
  });
}

size_t HttpListener::open_connections() const { return state_->connections.load(); }

Status HttpListener::reload_tls() { return Status(); }  // TLS is not built yet

}  // namespace claimmap::support
