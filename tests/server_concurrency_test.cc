// claimmap serve under concurrency (docs/spec.md §13, §12): several keep-alive
// clients post events on different I/O threads while config reloads and
// metrics scrapes run, then the listener is stopped with requests in flight.
// Every answered request is in the state, which equals a sequential run of
// the answered events (users of different clients are disjoint, so order
// across clients does not matter). Run under ThreadSanitizer by `make tsan`.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include "server/server_app.h"
#include "support/http_listener.h"
#include "tests/test_util.h"

namespace claimmap {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace claimmap::testing;

// A blocking keep-alive client: one connection, one request at a time.
class Client {
 public:
  explicit Client(uint16_t port) : stream_(io_) {
    tcp::resolver resolver(io_);
    stream_.connect(resolver.resolve("127.0.0.1", std::to_string(port)));
  }
  // The status (0 if the connection failed) and body.
  std::pair<int, std::string> send(http::verb verb, const std::string& target, const std::string& body,
                                   const std::string& token = "t0ken") {
    http::request<http::string_body> req(verb, target, 11);
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::authorization, "Bearer " + token);
    req.body() = body;
    req.prepare_payload();
    beast::error_code ec;
    http::write(stream_, req, ec);
    if (ec) return {0, ec.message()};
    http::response<http::string_body> res;
    http::read(stream_, buffer_, res, ec);
    if (ec) return {0, ec.message()};
    return {res.result_int(), res.body()};
  }

 private:
  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
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

TEST(ServerConcurrency, ClientsReloadsAndAStopLoseNothingAnswered) {
  Engine engine(must_load(kBaseConfig));
  server::ServerApp app(engine, server::ServerSettings{"t0ken", "entra"});
  support::ListenerOptions options;
  options.port = 0;
  options.threads = 3;
  support::HttpListener listener(options, [&app](const support::HttpRequest& r) { return app.handle(r); });
  ASSERT_TRUE(listener.start().ok());
  const uint16_t port = listener.port();
  std::thread io([&] { listener.run(); });

  constexpr int kClients = 4, kUsers = 25, kRounds = 8;
  std::vector<std::vector<std::string>> answered(kClients);  // lines whose request was answered 200
  std::atomic<int> refused_auth{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      Client client(port);
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
    Client client(port);
    for (int i = 0; i < 20; ++i) {
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
    Client client(port);
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
}

}  // namespace
}  // namespace claimmap
