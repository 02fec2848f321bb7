// support/http_listener.h — HTTP/1.1 over Boost.Beast/Asio: a fixed pool of
// I/O threads, keep-alive, a body limit, read and idle timeouts, a cap on
// connections, and a clean stop. It knows nothing of ClaimMap: each parsed
// request is handed to a handler (`serve`'s ServerApp::handle, the worker's
// metrics endpoint) and its answer written.
//
// Every connection is asynchronous on its own strand, so a slow or stalled
// client holds no thread: it only holds its socket until its timeout. With
// ListenerOptions::tls every connection is HTTPS (the TLS handshake on the
// connection's strand, within the read timeout), served by the same session
// code as plain HTTP.
//
// Thread-safety: start() and run() from one thread; stop() and reload_tls()
// from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "claimmap/status.h"
#include "support/http_types.h"
#include "support/tls_context.h"

namespace claimmap::support {

struct ListenerOptions {
  std::string address = "127.0.0.1";  // loopback unless told otherwise
  uint16_t port = 8080;                // 0: any free port (see HttpListener::port)
  unsigned threads = 2;
  size_t max_body_bytes = size_t{64} << 20;  // larger bodies get 413
  // A request must arrive whole within this once its first byte has
  // (slow senders are cut off); an answer must be taken within it too.
  std::chrono::milliseconds read_timeout{30'000};
  // A kept-alive connection with no request is closed after this.
  std::chrono::milliseconds idle_timeout{60'000};
  // Beyond it a new connection gets 503 and is closed (with TLS: closed
  // before the handshake, whose cost is what the cap bounds).
  size_t max_connections = 1024;
  TlsOptions tls;  // off unless tls.cert_file is set (support/tls_context.h)
};

class HttpListener {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  HttpListener(ListenerOptions options, Handler handler);
  ~HttpListener();
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // Binds and listens (kIoError naming the address when it cannot). With
  // TLS, reads the certificate and key first: a bad file fails here, naming
  // it (kIoError unreadable, kInvalidArgument not a usable certificate/key).
  [[nodiscard]] Status start();
  uint16_t port() const;  // the bound port, once started

  // Serves on `threads` threads (the caller's among them) until stop() and
  // every request already being read is answered.
  void run();

  // Stops accepting, closes idle connections, lets the requests in flight
  // finish (their answers say "Connection: close"). Safe from any thread,
  // any number of times.
  void stop();

  size_t open_connections() const;

  // SIGHUP: re-reads the TLS certificate, key and client CA for connections
  // accepted from now on; those open keep theirs (and are not dropped). On
  // a bad file the old ones stay and the error, naming the file, is
  // returned. Ok and nothing done without TLS. Safe from any thread.
  [[nodiscard]] Status reload_tls();

  struct State;  // the I/O context, acceptor and sessions (http_listener.cc)

 private:
  std::shared_ptr<State> state_;
};

}  // namespace claimmap::support
