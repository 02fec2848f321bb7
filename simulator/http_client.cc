#include "simulator/http_client.h"

#include <charconv>
#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <simdjson.h>

#include "support/tls_context.h"

namespace claimmap::sim {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

namespace {

// One connection, kept alive; reconnects once if the server closed it
// between requests (an idle timeout). Over https, a new stream (and
// handshake) for each connection: an SSL stream is not reused once closed.
class Connection {
 public:
  explicit Connection(HttpTarget target) : target_(std::move(target)) {}

  Result<std::string> request(http::verb method, std::string_view path, std::string body) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      beast::error_code ec;
      if (!connected_) {
        if (Status s = connect(); !s.ok()) return s;
      }
      http::request<http::string_body> req(method, std::string(path), 11);
      req.set(http::field::host, target_.host + ":" + target_.port);
      req.set(http::field::authorization, "Bearer " + target_.token);
      req.set(http::field::content_type, "application/x-ndjson");
      req.keep_alive(true);
      req.body() = body;
      req.prepare_payload();
      auto exchange = [&](auto& stream) {
        http::write(stream, req, ec);
        if (!ec) {
          parser_.emplace();
          parser_->body_limit(size_t{1} << 30);
          http::read(stream, buffer_, *parser_, ec);
        }
      };
      if (tls_) {
        exchange(*tls_);
      } else {
        exchange(*plain_);
      }
      http::response<http::string_body> res;
      if (ec) {
        close();
        // A kept-alive connection the server timed out fails on first use:
        // one retry on a fresh connection (the request was not applied).
        if (attempt == 0 && (ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
                             ec == asio::error::broken_pipe || ec == asio::error::eof ||
                             ec == ssl::error::stream_truncated)) {
          continue;
        }
        return Status(ErrorCode::kIoError, where() + ": " + ec.message());
      }
      res = parser_->release();
      if (!res.keep_alive()) close();
      if (res.result_int() != 200) {
        return Status(ErrorCode::kIoError,
                      where() + " answered " + std::to_string(res.result_int()) + ": " + res.body().substr(0, 300));
      }
      return std::move(res.body());
    }
    return Status(ErrorCode::kIoError, where() + ": connection closed");
  }

 private:
  std::string where() const { return (target_.tls ? "https://" : "http://") + target_.host + ":" + target_.port; }

  Status connect() {
    beast::error_code ec;
    tcp::resolver resolver(io_);
    auto endpoints = resolver.resolve(target_.host, target_.port, ec);
    if (ec) return Status(ErrorCode::kIoError, "cannot connect to " + where() + ": " + ec.message());
    beast::tcp_stream* layer = nullptr;  // the TCP under either stream
    if (target_.tls) {
      if (!tls_context_) {
        Result<std::shared_ptr<ssl::context>> made = support::make_client_tls_context(target_.ca_file);
        if (!made.ok()) return Status(made.status().code(), "--target-ca: " + made.status().message());
        tls_context_ = std::move(made).value();
      }
      tls_.emplace(io_, *tls_context_);
      if (!support::set_tls_peer_name(tls_->native_handle(), target_.host)) {
        return Status(ErrorCode::kInvalidArgument, "cannot check a TLS certificate for the host " + target_.host);
      }
      layer = &beast::get_lowest_layer(*tls_);
    } else {
      plain_.emplace(io_);
      layer = &*plain_;
    }
    layer->connect(endpoints, ec);
    if (ec) {
      close();
      return Status(ErrorCode::kIoError, "cannot connect to " + where() + ": " + ec.message());
    }
    layer->socket().set_option(tcp::no_delay(true), ec);
    if (tls_) {
      tls_->handshake(ssl::stream_base::client, ec);
      if (ec) {
        close();
        return Status(ErrorCode::kIoError, "TLS handshake with " + where() + " failed: " + ec.message());
      }
    }
    connected_ = true;
    return Status();
  }

  void close() {
    beast::error_code ignored;
    if (tls_) beast::get_lowest_layer(*tls_).socket().close(ignored);
    if (plain_) plain_->socket().close(ignored);
    tls_.reset();
    plain_.reset();
    buffer_.clear();
    connected_ = false;
  }

  HttpTarget target_;
  asio::io_context io_;
  std::shared_ptr<ssl::context> tls_context_;  // https: made at the first connect, before tls_
  std::optional<TlsStream> tls_;                // https
  std::optional<beast::tcp_stream> plain_;      // http
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
  bool connected_ = false;
};

template <typename Enum, typename NameOf>
Enum enum_by_name(std::string_view name, int count, NameOf name_of, Enum fallback) {
  for (int i = 0; i < count; ++i) {
    if (name_of(static_cast<Enum>(i)) == name) return static_cast<Enum>(i);
  }
  return fallback;
}

std::vector<std::string> sized(simdjson::simdjson_result<simdjson::dom::element> e) {
  simdjson::dom::array a;
  if (e.get_array().get(a) != simdjson::SUCCESS) return {};
  return std::vector<std::string>(a.size());  // the counters need how many, not which
}

// One result line (docs/spec.md §8) as the Delta the engine made of it, as
// far as EventCounters reads it.
Status read_result_line(simdjson::dom::parser& parser, std::string_view line, Delta* d) {
  simdjson::dom::element root;
  if (parser.parse(line.data(), line.size()).get(root) != simdjson::SUCCESS) {
    return Status(ErrorCode::kIoError, "the server answered a line that is not JSON: " + std::string(line.substr(0, 200)));
  }
  *d = Delta{};
  std::string_view s;
  if (root["cause"].get_string().get(s) == simdjson::SUCCESS) {
    d->cause = enum_by_name<Cause>(s, kCauseCount, cause_name, Cause::kUnknown);
  }
  if (root["status"].get_string().get(s) == simdjson::SUCCESS) {
    d->status = enum_by_name<DeltaStatus>(s, 4, delta_status_name, DeltaStatus::kError);
  }
  if (d->status == DeltaStatus::kError && root["error"]["code"].get_string().get(s) == simdjson::SUCCESS) {
    const ErrorCode code = enum_by_name<ErrorCode>(s, kEventErrorCodeCount + 1, error_code_name, ErrorCode::kInvalidEvent);
    d->error = Status(code, "");
  }
  bool b = false;
  if (root["new_user"].get_bool().get(b) == simdjson::SUCCESS) d->new_user = b;
  d->groups_added = sized(root["groups_added"]);
  d->groups_removed = sized(root["groups_removed"]);
  d->roles_granted = sized(root["roles_granted"]);
  d->roles_revoked = sized(root["roles_revoked"]);
  d->overage = sized(root["overage"]);
  return {};
}

class HttpClient final : public EventClient {
 public:
  explicit HttpClient(const HttpTarget& target) : connection_(target) {}

  Status send(const std::vector<std::string_view>& lines, uint64_t, EventCounters* counters) override {
    body_.clear();
    for (std::string_view line : lines) body_.append(line).push_back('\n');
    Result<std::string> answer = connection_.request(http::verb::post, "/v1/events", body_);
    if (!answer.ok()) return answer.status();
    std::string_view rest = answer.value();
    size_t results = 0;
    Delta d;
    while (!rest.empty()) {
      const size_t nl = rest.find('\n');
      const std::string_view line = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
      if (line.empty()) continue;
      if (Status s = read_result_line(parser_, line, &d); !s.ok()) return s;
      counters->add(d);
      ++results;
    }
    if (results != lines.size()) {
      return Status(ErrorCode::kIoError, "the server answered " + std::to_string(results) + " result lines for " +
                                             std::to_string(lines.size()) + " events");
    }
    return {};
  }

 private:
  Connection connection_;
  simdjson::dom::parser parser_;
  std::string body_;
};

uint64_t gauge(std::string_view metrics, std::string_view name) {
  size_t at = 0;
  while ((at = metrics.find(name, at)) != std::string_view::npos) {
    const bool line_start = at == 0 || metrics[at - 1] == '\n';
    const size_t after = at + name.size();
    if (line_start && after < metrics.size() && metrics[after] == ' ') {
      uint64_t value = 0;
      std::from_chars(metrics.data() + after + 1, metrics.data() + metrics.size(), value);
      return value;
    }
    at = after;
  }
  return 0;
}

}  // namespace

Result<HttpTarget> parse_target_url(std::string_view url) {
  const auto refuse = [url] {
    return Status(ErrorCode::kInvalidArgument,
                  "--target wants http://HOST:PORT or https://HOST:PORT, got \"" + std::string(url) + "\"");
  };
  HttpTarget t;
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
    t.tls = true;
  } else {
    return refuse();
  }
  if (rest.ends_with('/')) rest.remove_suffix(1);
  const size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size() ||
      rest.find('/') != std::string_view::npos) {
    return refuse();
  }
  t.host = std::string(rest.substr(0, colon));
  t.port = std::string(rest.substr(colon + 1));
  return t;
}

ClientFactory http_clients(const HttpTarget& target) {
  return [target]() -> Result<std::unique_ptr<EventClient>> {
    return std::unique_ptr<EventClient>(std::make_unique<HttpClient>(target));
  };
}

Result<ServerFigures> fetch_server_figures(const HttpTarget& target) {
  Connection connection(target);
  Result<std::string> metrics = connection.request(http::verb::get, "/metrics", "");
  if (!metrics.ok()) return metrics.status();
  ServerFigures f;
  f.users = gauge(metrics.value(), "claimmap_users");
  f.state_bytes = gauge(metrics.value(), "claimmap_state_bytes");
  f.config_version = gauge(metrics.value(), "claimmap_config_version");
  return f;
}

}  // namespace claimmap::sim
