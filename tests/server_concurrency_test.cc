// claimmap serve under concurrency (docs/spec.md §13, §12): several keep-alive
// clients post events on different I/O threads while config reloads and
// metrics scrapes run, then the listener is stopped with requests in flight.
// Every answered request is in the state, which equals a sequential run of
// the answered events (users of different clients are disjoint, so order
// across clients does not matter). The same over mutual TLS, with certificate
// rotations (reload_tls) while clients connect. Run under ThreadSanitizer by
// `make tsan`.
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <gtest/gtest.h>

#include "server/server_app.h"
#include "support/http_listener.h"
#include "support/tls_context.h"
#include "tests/test_util.h"

namespace claimmap {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace claimmap::testing;

// A client's TLS files: the CA that signed the server's certificate, and the
// client's own certificate and key (mutual TLS).
struct ClientTls {
  std::string ca, cert, key;
};

// A blocking keep-alive client: one connection, one request at a time;
// over TLS when given its files (verifying the server's certificate for
// 127.0.0.1). Each client has its own SSL_CTX (with its certificate), as
// each `simulate --target` connection has.
class Client {
 public:
  explicit Client(uint16_t port, const ClientTls* tls = nullptr) {
    tcp::resolver resolver(io_);
    const auto endpoints = resolver.resolve("127.0.0.1", std::to_string(port));
    if (tls == nullptr) {
      plain_.emplace(io_);
      plain_->connect(endpoints);
      return;
    }
    Result<std::shared_ptr<asio::ssl::context>> made = support::make_client_tls_context(tls->ca);
    EXPECT_TRUE(made.ok()) << made.status().message();
    if (!made.ok()) return;
    context_ = made.value();
    SSL_CTX* ctx = context_->native_handle();
    EXPECT_EQ(SSL_CTX_use_certificate_chain_file(ctx, tls->cert.c_str()), 1);
    EXPECT_EQ(SSL_CTX_use_PrivateKey_file(ctx, tls->key.c_str(), SSL_FILETYPE_PEM), 1);
    tls_.emplace(io_, *context_);
    EXPECT_TRUE(support::set_tls_peer_name(tls_->native_handle(), "127.0.0.1"));
    beast::get_lowest_layer(*tls_).connect(endpoints);
    beast::error_code ec;
    tls_->handshake(asio::ssl::stream_base::client, ec);
    EXPECT_FALSE(ec) << "TLS handshake: " << ec.message();
  }
  // The status (0 if the connection failed) and body.
  std::pair<int, std::string> send(http::verb verb, const std::string& target, const std::string& body,
                                   const std::string& token = "t0ken") {
    if (tls_) return exchange(*tls_, verb, target, body, token);
    if (plain_) return exchange(*plain_, verb, target, body, token);
    return {0, "no connection"};
  }

 private:
  template <class Stream>
  std::pair<int, std::string> exchange(Stream& stream, http::verb verb, const std::string& target,
                                       const std::string& body, const std::string& token) {
    http::request<http::string_body> req(verb, target, 11);
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::authorization, "Bearer " + token);
    req.body() = body;
    req.prepare_payload();
    beast::error_code ec;
    http::write(stream, req, ec);
    if (ec) return {0, ec.message()};
    http::response<http::string_body> res;
    http::read(stream, buffer_, res, ec);
    if (ec) return {0, ec.message()};
    return {res.result_int(), res.body()};
  }

  asio::io_context io_;
  std::shared_ptr<asio::ssl::context> context_;  // TLS: before tls_, which uses it
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
};

// A CA, and a server certificate for IP 127.0.0.1 and a client certificate
// that it signed, made with the openssl tool in a fresh folder (removed with
// this object).
class TestCertificates {
 public:
  TestCertificates() {
    dir_ = std::filesystem::temp_directory_path() / ("claimmap-tls-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    const std::string d = dir_.string();
    const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
    ok_ = run("openssl req -x509 " + ec + " -keyout " + d + "/ca.key -out " + d +
              "/ca.pem -days 2 -subj '/CN=claimmap test CA'") &&
          run("openssl req " + ec + " -keyout " + d + "/server.key -out " + d +
              "/server.csr -subj '/CN=claimmap test server'") &&
          write(d + "/server.ext", "subjectAltName=IP:127.0.0.1\n") &&
          run("openssl x509 -req -in " + d + "/server.csr -CA " + d + "/ca.pem -CAkey " + d +
              "/ca.key -set_serial 7 -days 2 -extfile " + d + "/server.ext -out " + d + "/server.pem") &&
          run("openssl req " + ec + " -keyout " + d + "/client.key -out " + d +
              "/client.csr -subj '/CN=claimmap test connector'") &&
          write(d + "/client.ext", "extendedKeyUsage=clientAuth\n") &&
          run("openssl x509 -req -in " + d + "/client.csr -CA " + d + "/ca.pem -CAkey " + d +
              "/ca.key -set_serial 8 -days 2 -extfile " + d + "/client.ext -out " + d + "/client.pem");
  }
  ~TestCertificates() { std::filesystem::remove_all(dir_); }
  bool ok() const { return ok_; }
  std::string path(const char* name) const { return (dir_ / name).string(); }

 private:
  static bool run(const std::string& command) { return std::system((command + " >/dev/null 2>&1").c_str()) == 0; }
  static bool write(const std::string& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
    return static_cast<bool>(out);
  }
  std::filesystem::path dir_;
  bool ok_ = false;
};

std::string login(int client, int user, int round) {
  // Each round drifts the user's groups, so most logins change something.
  const char* groups[] = {R"(["g-mkt"])", R"(["g-read"])", R"(["g-mkt", "g-devs"])", R"([])"};
  return entra_login("c" + std::to_string(client) + "-u" + std::to_string(user), groups[(user + round) % 4],
                     R"(, "iat": )" + std::to_string(1000 + round));
}

// The same config, plus a group nobody maps: reloading between the two
// changes no user's access, so the final state does not depend on when the
// reloads fell.
std::string other_config() {
  std::string json = kBaseConfig;
  const std::string anchor = R"({"id": "devs", "stage": "dev", "roles": ["Ops.Pager"]})";
  json.replace(json.find(anchor), anchor.size(), anchor + R"(, {"id": "spare", "stage": "prod", "roles": []})");
  return json;
}

// `tls`: the listener's files (empty: plain HTTP); `client_tls`: the
// clients' then.
void clients_reloads_and_a_stop(const support::TlsOptions& tls, const ClientTls* client_tls) {
  Engine engine(must_load(kBaseConfig));
  server::ServerApp app(engine, server::ServerSettings{"t0ken", "entra"});
  support::ListenerOptions options;
  options.port = 0;
  options.threads = 3;
  options.tls = tls;
  std::atomic<int> tls_requests{0};
  support::HttpListener listener(options, [&](const support::HttpRequest& r) {
    EXPECT_FALSE(r.peer.empty());
    if (r.tls) ++tls_requests;
    return app.handle(r);
  });
  ASSERT_TRUE(listener.start().ok());
  const uint16_t port = listener.port();
  std::thread io([&] { listener.run(); });

  constexpr int kClients = 4, kUsers = 25, kRounds = 8;
  std::vector<std::vector<std::string>> answered(kClients);  // lines whose request was answered 200
  std::atomic<int> refused_auth{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      Client client(port, client_tls);
      for (int round = 0; round < kRounds; ++round) {
        for (int u = 0; u < kUsers; ++u) {
          const std::string line = login(c, u, round);
          auto [status, body] = client.send(http::verb::post, "/v1/events", line + "\n");
          ASSERT_EQ(status, 200) << body;
          ASSERT_NE(body.find("\"status\": \"ok\""), std::string::npos) << body;
          answered[c].push_back(line);
        }
        // A wrong token now and then: 401, nothing applied.
        auto [status, body] = client.send(http::verb::post, "/v1/events", login(c, 0, 99) + "\n", "wrong");
        ASSERT_EQ(status, 401);
        ++refused_auth;
      }
    });
  }
  std::thread admin([&] {
    Client client(port, client_tls);
    for (int i = 0; i < 20; ++i) {
      // The certificate re-read (SIGHUP's work) while connections are made
      // and served; a connection made now serves with either context.
      ASSERT_TRUE(listener.reload_tls().ok());
      EXPECT_EQ(Client(port, client_tls).send(http::verb::get, "/healthz", "").first, 200);
      auto [status, body] = client.send(http::verb::put, "/v1/config", i % 2 ? kBaseConfig : other_config());
      ASSERT_EQ(status, 200) << body;
      EXPECT_EQ(body, "");  // nobody's access changes
      auto [mstatus, metrics] = client.send(http::verb::get, "/metrics", "");
      ASSERT_EQ(mstatus, 200);
      EXPECT_NE(metrics.find("claimmap_config_version"), std::string::npos);
    }
  });
  for (auto& t : clients) t.join();
  admin.join();

  // Stop while a client keeps sending: what was answered 200 is applied;
  // after the stop, requests are refused, never half-done.
  std::atomic<bool> late_done{false};
  std::atomic<size_t> late_count{0};
  std::vector<std::string> late_answered;  // read after late.join()
  std::thread late([&] {
    Client client(port, client_tls);
    for (int u = 0; u < 200; ++u) {
      const std::string line = login(9, u, 0);
      auto [status, body] = client.send(http::verb::post, "/v1/events", line + "\n");
      if (status != 200) break;
      late_answered.push_back(line);
      ++late_count;
    }
    late_done = true;
  });
  while (late_count < 5 && !late_done) std::this_thread::yield();
  listener.stop();
  io.join();
  late.join();

  Engine expected(must_load(kBaseConfig));
  for (const auto& lines : answered) {
    for (const std::string& line : lines) (void)expected.process(line);
  }
  for (const std::string& line : late_answered) (void)expected.process(line);
  EXPECT_EQ(refused_auth.load(), kClients * kRounds);
  EXPECT_EQ(engine.user_count(), static_cast<size_t>(kClients * kUsers) + late_answered.size());
  EXPECT_EQ(engine.export_state(), expected.export_state());
  EXPECT_EQ(engine.config_version(), 21u);
  if (tls.enabled()) {
    EXPECT_GT(tls_requests.load(), kClients * kUsers * kRounds);
  } else {
    EXPECT_EQ(tls_requests.load(), 0);
  }
}

TEST(ServerConcurrency, ClientsReloadsAndAStopLoseNothingAnswered) {
  clients_reloads_and_a_stop(support::TlsOptions{}, nullptr);
}

// Mutual TLS, so that the I/O threads also verify client certificates
// against the shared client CA at once.
TEST(ServerConcurrency, OverTlsClientsRotationsAndAStopLoseNothingAnswered) {
  TestCertificates certs;
  ASSERT_TRUE(certs.ok()) << "the openssl tool could not make the test certificates";
  support::TlsOptions tls;
  tls.cert_file = certs.path("server.pem");
  tls.key_file = certs.path("server.key");
  tls.client_ca_file = certs.path("ca.pem");
  const ClientTls client{certs.path("ca.pem"), certs.path("client.pem"), certs.path("client.key")};
  clients_reloads_and_a_stop(tls, &client);
}

}  // namespace
}  // namespace claimmap
