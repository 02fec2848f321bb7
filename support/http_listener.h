// support/http_listener.h — HTTP/1.1 over Boost.Beast/Asio: a fixed pool of
// I/O threads, keep-alive, a body limit, read and idle timeouts, a cap on
// connections, and a clean stop. It knows nothing of ClaimMap: each parsed
// request is handed to a handler (`serve`'s ServerApp::handle, the worker's
// metrics endpoint) and its answer written.
//
// Every connection is asynchronous on its own strand, so a slow or stalled
// client holds no thread: it only holds its socket until its timeout.
//
// Thread-safety: start() and run() from one thread; stop() from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "claimmap/status.h"
#include "support/http_types.h"

namespace claimmap::support {

// HTTPS (docs/spec.md §13 "Hardened serving"): when cert_file is set, every
// connection is TLS (1.2 or 1.3) and plain HTTP is refused.
struct TlsOptions {
  std::string cert_file;       // PEM: the certificate (chain) served
  std::string key_file;        // PEM: its private key
  std::string client_ca_file;  // PEM: when set, a client certificate signed by this CA is required
  bool enabled() const { return !cert_file.empty(); }
};

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
  size_t max_connections = 1024;  // beyond it a new connection gets 503 and is closed
  TlsOptions tls;                 // off unless tls.cert_file is set
};

class HttpListener {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  HttpListener(ListenerOptions options, Handler handler);
  ~HttpListener();
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // Binds and listens (kIoError naming the address when it cannot).
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
  // accepted from now on; those open keep theirs. On a bad file the old
  // ones stay and the error is returned. Ok and nothing done without TLS.
  [[nodiscard]] Status reload_tls();

  struct State;  // the I/O context, acceptor and sessions (http_listener.cc)

 private:
  std::shared_ptr<State> state_;
};

}  // namespace claimmap::support
