#include "worker/metrics_endpoint.h"

#include "support/credentials.h"
#include "support/listen_address.h"

namespace claimmap::scaleout {

Result<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::start(const std::string& listen,
                                                                const support::TlsOptions& tls,
                                                                const std::string& token) {
  support::ListenerOptions options;
  if (!support::split_listen_address(listen, &options.address, &options.port)) {
    return Status(ErrorCode::kInvalidArgument, "--metrics-listen wants HOST:PORT, got \"" + listen + "\"");
  }
  options.threads = 1;
  options.max_body_bytes = 64 * 1024;  // nothing here takes a body
  options.tls = tls;
  std::unique_ptr<MetricsEndpoint> endpoint(new MetricsEndpoint());
  MetricsEndpoint* self = endpoint.get();
  // The one credential (every scope), or none: the metrics are open.
  std::shared_ptr<const support::CredentialSet> credentials;
  if (!token.empty()) credentials = std::make_shared<support::CredentialSet>(support::CredentialSet::single_token(token));
  endpoint->listener_ = std::make_unique<support::HttpListener>(options, [self, credentials](const support::HttpRequest& r) {
    support::HttpResponse response;
    response.content_type = "text/plain; charset=utf-8";
    if (r.method != "GET" && r.method != "HEAD") {
      response.status = 405;
      response.body = "use GET\n";
    } else if (r.path == "/metrics" && credentials && credentials->authenticate(r.authorization) == nullptr) {
      response.status = 401;
      response.body = "a valid bearer token is required\n";
      response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"claimmap\"");
    } else if (r.path == "/metrics") {
      response.content_type = "text/plain; version=0.0.4; charset=utf-8";
      std::lock_guard<std::mutex> lock(self->mutex_);
      response.body = self->text_;
    } else if (r.path == "/healthz") {
      response.body = "ok\n";
    } else {
      response.status = 404;
      response.body = "GET /metrics or /healthz\n";
    }
    return response;
  });
  if (Status s = endpoint->listener_->start(); !s.ok()) {
    return Status(s.code(), (tls.enabled() ? "--metrics-tls-cert/--metrics-tls-key: " : "") + s.message());
  }
  endpoint->thread_ = std::thread([self] { self->listener_->run(); });
  return endpoint;
}

MetricsEndpoint::~MetricsEndpoint() {
  if (listener_) listener_->stop();
  if (thread_.joinable()) thread_.join();
}

void MetricsEndpoint::publish(std::string text) {
  std::lock_guard<std::mutex> lock(mutex_);
  text_ = std::move(text);
}

}  // namespace claimmap::scaleout
