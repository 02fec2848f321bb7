#include "support/http_listener.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace claimmap::support {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// What the listener knows of a session of either kind: enough to stop it.
class SessionBase : public std::enable_shared_from_this<SessionBase> {
 public:
  virtual ~SessionBase() = default;
  virtual void start() = 0;
  virtual void post_stop() = 0;
};

struct HttpListener::State {
  ListenerOptions options;
  Handler handler;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::atomic<bool> stopping{false};
  std::atomic<size_t> connections{0};
  std::mutex sessions_mutex;
  uint64_t next_session_id = 0;
  std::unordered_map<uint64_t, std::weak_ptr<SessionBase>> sessions;
  // The TLS context new connections start with (null without TLS). A reload
  // replaces it; a session holds the one it started with to its end.
  std::mutex tls_mutex;
  std::shared_ptr<ssl::context> tls;

  State(ListenerOptions o, Handler h) : options(std::move(o)), handler(std::move(h)) {}
  void accept_next(const std::shared_ptr<State>& self);
  void start_session(const std::shared_ptr<State>& self, tcp::socket socket);
  std::shared_ptr<ssl::context> current_tls() {
    std::lock_guard<std::mutex> lock(tls_mutex);
    return tls;
  }
};

namespace {

constexpr size_t kHeaderLimit = 64 * 1024;
constexpr size_t kFirstReadBytes = 16 * 1024;
// Time to hand a TLS close_notify to a client at the end; one that does not
// take it within this is cut off.
constexpr std::chrono::milliseconds kTlsShutdownTimeout{1'000};

// The client's "IP:PORT" ("[IPv6]:PORT"), for HttpRequest::peer.
std::string peer_of(const tcp::socket& socket) {
  beast::error_code ec;
  const tcp::endpoint endpoint = socket.remote_endpoint(ec);
  if (ec) return "";
  const asio::ip::address a = endpoint.address();
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(endpoint.port());
}

const beast::error_category& http_category() {
  return static_cast<const beast::error_category&>(http::make_error_code(http::error::bad_method).category());
}

}  // namespace

// One connection: (TLS: the handshake first, within the read timeout) wait
// for a request's first bytes (idle timeout), read it whole (read timeout),
// answer it, and again while the client keeps it alive. One template for
// plain and TLS streams, so both serve exactly the same HTTP.
template <class Stream>
class Session final : public SessionBase {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  // `tls`: the context to start with (TLS sessions only).
  Session(tcp::socket socket, std::shared_ptr<HttpListener::State> state, std::shared_ptr<ssl::context> tls)
      : tls_(std::move(tls)),
        peer_(peer_of(socket)),
        stream_(make_stream(std::move(socket), tls_.get())),
        state_(std::move(state)) {}

  ~Session() override {
    state_->connections.fetch_sub(1);
    std::lock_guard<std::mutex> lock(state_->sessions_mutex);
    state_->sessions.erase(id_);
  }

  void start() override {
    // Answers are written whole at once: no reason to wait for an ACK first.
    beast::error_code ignored;
    lowest().socket().set_option(tcp::no_delay(true), ignored);
    {
      std::lock_guard<std::mutex> lock(state_->sessions_mutex);
      id_ = state_->next_session_id++;
      state_->sessions.emplace(id_, weak_from_this());
    }
    asio::dispatch(stream_.get_executor(), [self = self()] {
      if constexpr (kTls) {
        self->handshake();
      } else {
        self->wait_for_request();
      }
    });
  }

  // A connection waiting for its next request (or still in its handshake)
  // is closed now; one in the middle of a request finishes it first (on the
  // session's strand). The pending read is cancelled, and its handler
  // closes: a TLS close must not run beside a read.
  void post_stop() override {
    asio::post(stream_.get_executor(), [self = self()] {
      if (!self->idle_ || self->closed_) return;
      self->closed_ = true;
      beast::error_code ignored;
      self->lowest().socket().cancel(ignored);
    });
  }

 private:
  static Stream make_stream(tcp::socket socket, ssl::context* tls) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *tls);
    } else {
      return Stream(std::move(socket));
    }
  }
  std::shared_ptr<Session> self() { return std::static_pointer_cast<Session>(shared_from_this()); }
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  // TLS only. A client that does not finish it within the read timeout, or
  // speaks plain HTTP, or (mutual TLS) has no certificate of the client CA,
  // is closed: nothing is read or answered.
  void handshake() {
    idle_ = true;  // nothing asked yet: a stop closes it at once
    lowest().expires_after(state_->options.read_timeout);
    stream_.async_handshake(ssl::stream_base::server, [self = self()](beast::error_code ec) {
      self->idle_ = false;
      if (ec || self->closed_) return self->drop();
      self->secure_ = true;
      self->wait_for_request();
    });
  }

  void wait_for_request() {
    if (state_->stopping.load()) return close();
    if (buffer_.size() > 0) return read_request();  // a pipelined request is already in
    idle_ = true;
    lowest().expires_after(state_->options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            [self = self()](beast::error_code ec, size_t n) {
                              self->idle_ = false;
                              // Stopped (the read cancelled, or these bytes arrived
                              // before the stop ran): the request must not be
                              // applied, as it would not be answered.
                              if (self->closed_) {
                                return ec && ec != asio::error::operation_aborted ? self->drop() : self->close();
                              }
                              if (ec) return self->drop();
                              self->buffer_.commit(n);
                              self->read_request();
                            });
  }

  void read_request() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(state_->options.max_body_bytes);
    // One deadline for the whole request, header and body.
    lowest().expires_after(state_->options.read_timeout);
    http::async_read_header(stream_, buffer_, *parser_, [self = self()](beast::error_code ec, size_t) {
      self->on_header(ec);
    });
  }

  void on_header(beast::error_code ec) {
    if (ec == http::error::body_limit) return reject(413, "request body over the limit");
    if (ec == http::error::header_limit) return reject(431, "request header too large");
    if (ec == beast::error::timeout) return drop();
    if (ec) return bad_request(ec);
    const auto& header = parser_->get();
    const auto length = parser_->content_length();
    if (length && *length > state_->options.max_body_bytes) return reject(413, "request body over the limit");
    if (beast::iequals(header[http::field::expect], "100-continue")) {
      // Tell a client that waits (curl does above 1 MiB) to send its body.
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, header.version());
      http::async_write(stream_, *cont, [self = self(), cont](beast::error_code ec2, size_t) {
        if (ec2) return self->drop();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_, [self = self()](beast::error_code ec, size_t) {
      if (ec == http::error::body_limit) return self->reject(413, "request body over the limit");
      if (ec == beast::error::timeout || ec == http::error::end_of_stream) return self->drop();
      if (ec) return self->bad_request(ec);
      self->on_request();
    });
  }

  void on_request() {
    if (closed_) return;  // nobody to answer: apply nothing
    http::request<http::string_body>& req = parser_->get();
    HttpRequest request;
    request.method = std::string(req.method_string());
    request.peer = peer_;
    request.tls = kTls;
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
    lowest().expires_after(state_->options.read_timeout);
    http::async_write(stream_, *res, [self = self(), res, keep_alive](beast::error_code ec, size_t) {
      if (ec) return self->drop();
      if (!keep_alive) return self->close();
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

  // Bytes that are not HTTP get 400. A transport failure (a reset, a TLS
  // alert, a client gone mid-request) leaves nobody to answer.
  void bad_request(beast::error_code ec) {
    if (ec.category() != http_category() || ec == http::error::end_of_stream) return drop();
    reject(400, "malformed HTTP request: " + ec.message());
  }

  // The end of a connection that went well: TLS sends its close_notify
  // first (so the client can tell a whole answer from a cut one), without
  // waiting for the client's (nginx does the same: the connection is done,
  // and an idle client would only hold a stop up).
  void close() {
    closed_ = true;
    if (ending_) return;
    ending_ = true;
    if constexpr (kTls) {
      if (secure_) {
        SSL* ssl = stream_.native_handle();
        SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_RECEIVED_SHUTDOWN);
        lowest().expires_after(std::min<std::chrono::milliseconds>(state_->options.read_timeout, kTlsShutdownTimeout));
        stream_.async_shutdown([self = self()](beast::error_code) { self->release(); });
        return;
      }
    }
    release();
  }

  // The end after an error or a timeout: nothing more is sent.
  void drop() {
    secure_ = false;
    close();
  }

  void release() {
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    lowest().socket().close(ignored);
  }

  std::shared_ptr<ssl::context> tls_;  // before stream_, which uses it to its end
  std::string peer_;
  Stream stream_;
  std::shared_ptr<HttpListener::State> state_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool idle_ = false;    // waiting for the handshake or a request's first bytes: a stop may close it
  bool closed_ = false;  // on the strand: set when the session is to end (no more requests), never cleared
  bool ending_ = false;  // close() has run
  bool secure_ = false;  // TLS: the handshake is done and nothing failed since
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
      beast::error_code ignored;
      // With TLS no 503 can be said before a handshake, and handshakes are
      // the cost the cap bounds: the connection is only closed.
      if (!self->options.tls.enabled()) {
        static constexpr std::string_view kBusy =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        asio::write(socket, asio::buffer(kBusy.data(), kBusy.size()), ignored);
      }
      socket.close(ignored);
    } else {
      self->start_session(self, std::move(socket));
    }
    self->accept_next(self);
  });
}

void HttpListener::State::start_session(const std::shared_ptr<State>& self, tcp::socket socket) {
  std::shared_ptr<SessionBase> session;
  try {
    if (options.tls.enabled()) {
      session = std::make_shared<Session<TlsStream>>(std::move(socket), self, current_tls());
    } else {
      session = std::make_shared<Session<PlainStream>>(std::move(socket), self, nullptr);
    }
  } catch (const std::exception&) {
    // Out of memory, or OpenSSL could not make the connection's SSL: this
    // one connection is refused (its socket closed as the stream unwound,
    // and no session counts it); an exception must not leave the I/O thread.
    connections.fetch_sub(1);
    return;
  }
  session->start();
}

HttpListener::HttpListener(ListenerOptions options, Handler handler)
    : state_(std::make_shared<State>(std::move(options), std::move(handler))) {}

HttpListener::~HttpListener() {
  stop();
}

Status HttpListener::start() {
  // The certificate and key first: a server that cannot serve HTTPS must not
  // take the port (nor serve plain HTTP instead).
  if (state_->options.tls.enabled()) {
    Result<std::shared_ptr<ssl::context>> made = make_server_tls_context(state_->options.tls);
    if (!made.ok()) return made.status();
    std::lock_guard<std::mutex> lock(state_->tls_mutex);
    state_->tls = std::move(made).value();
  }
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
  // A weak reference: the handler is kept by the io_context, which the State
  // owns; a strong one would keep a listener that never ran alive for ever
  // (a cycle LeakSanitizer reports when `start` fails, as on a bad key).
  asio::post(state_->io, [weak = std::weak_ptr<State>(state_)] {
    const std::shared_ptr<State> state = weak.lock();
    if (!state) return;
    beast::error_code ignored;
    state->acceptor.close(ignored);
    std::vector<std::shared_ptr<SessionBase>> live;
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

Status HttpListener::reload_tls() {
  if (!state_->options.tls.enabled()) return Status();
  // Read and checked whole before the swap: a bad pair leaves the context
  // that is being served in place.
  Result<std::shared_ptr<ssl::context>> made = make_server_tls_context(state_->options.tls);
  if (!made.ok()) return made.status();
  std::lock_guard<std::mutex> lock(state_->tls_mutex);
  state_->tls = std::move(made).value();
  return Status();
}

}  // namespace claimmap::support
