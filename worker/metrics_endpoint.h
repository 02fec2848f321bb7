// worker/metrics_endpoint.h — `claimmap worker --metrics-listen HOST:PORT`:
// GET /metrics answers the worker's latest metrics text (the event families
// every ClaimMap process exposes plus the worker's own, worker/metrics.h) and
// GET /healthz "ok", over the HTTP listener `serve` uses too
// (support/http_listener.h), over HTTPS when given a certificate and key.
// /metrics needs a bearer token when given one (`--metrics-token-file`,
// compared as `serve` compares its credentials); /healthz never does.
// Keep it on loopback or a private network either way (docs/scaleout.md).
//
// Thread-safety: publish() from any thread; requests are served on the
// endpoint's own thread.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "claimmap/status.h"
#include "support/http_listener.h"

namespace claimmap::scaleout {

class MetricsEndpoint {
 public:
  // Listens on `listen` (HOST:PORT, port 0: any free port) and serves until
  // destroyed; HTTPS only when tls.enabled() (a bad file fails here, naming it).
  // With a non-empty `token`, GET /metrics needs "Authorization: Bearer
  // <token>" (401 otherwise).
  static Result<std::unique_ptr<MetricsEndpoint>> start(const std::string& listen,
                                                        const support::TlsOptions& tls = {},
                                                        const std::string& token = "");
  ~MetricsEndpoint();

  void publish(std::string text);
  uint16_t port() const { return listener_->port(); }

 private:
  MetricsEndpoint() = default;
  std::mutex mutex_;
  std::string text_;
  std::unique_ptr<support::HttpListener> listener_;
  std::thread thread_;
};

}  // namespace claimmap::scaleout
