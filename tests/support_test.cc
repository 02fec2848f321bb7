// support/: what the front ends share — the listen address the server and
// the worker's metrics endpoint parse, and the Prometheus text both write
// (the worker's metrics must read exactly as the server's do).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "support/engine_metrics.h"
#include "support/listen_address.h"
#include "support/prometheus_text.h"

namespace claimmap::support {
namespace {

TEST(ListenAddress, SplitsHostAndPort) {
  std::string host;
  uint16_t port = 1;
  ASSERT_TRUE(split_listen_address("127.0.0.1:8080", &host, &port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 8080);
  ASSERT_TRUE(split_listen_address("[::1]:0", &host, &port));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 0);
  ASSERT_TRUE(split_listen_address("localhost:65535", &host, &port));
  EXPECT_EQ(port, 65535);
}

TEST(ListenAddress, RefusesWhatIsNotHostColonPort) {
  std::string host;
  uint16_t port = 0;
  for (const char* bad : {"", "8080", ":8080", "localhost:", "localhost:65536", "localhost:80a", "localhost:-1"}) {
    EXPECT_FALSE(split_listen_address(bad, &host, &port)) << bad;
  }
}

TEST(PrometheusText, FamilyAndSamples) {
  std::string out;
  append_family("claimmap_x_total", "Things.", "counter", &out);
  append_sample("claimmap_x_total", "", 18446744073709551615ull, &out);
  append_sample("claimmap_x_total", "kind=\"a\"", 3, &out);
  append_real_sample("claimmap_age_seconds", "p=\"1\"", -1, &out);
  append_real_sample("claimmap_age_seconds", "p=\"2\"", 1.5, &out);
  EXPECT_EQ(out,
            "# HELP claimmap_x_total Things.\n"
            "# TYPE claimmap_x_total counter\n"
            "claimmap_x_total 18446744073709551615\n"
            "claimmap_x_total{kind=\"a\"} 3\n"
            "claimmap_age_seconds{p=\"1\"} -1\n"
            "claimmap_age_seconds{p=\"2\"} 1.5\n");
  std::string number;
  append_number(0.00025, &number);
  EXPECT_EQ(number, "0.00025");
}

TEST(PrometheusText, LabelValuesAreEscaped) {
  EXPECT_EQ(escape_label_value("plain-name_1"), "plain-name_1");
  EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

TEST(EngineMetrics, EveryProcessWritesTheSameFamilies) {
  EventCounters counters;
  counters.ok = 7;
  counters.new_users = 2;
  std::string out;
  append_event_metrics(counters, &out);
  append_engine_metrics({5, 640, 3}, &out);
  EXPECT_NE(out.find("# TYPE claimmap_events_total counter\n"), std::string::npos);
  EXPECT_NE(out.find("claimmap_event_status_total{status=\"ok\"} 7\n"), std::string::npos);
  EXPECT_NE(out.find("claimmap_new_users_total 2\n"), std::string::npos);
  EXPECT_NE(out.find("claimmap_users 5\n"), std::string::npos);
  EXPECT_NE(out.find("claimmap_state_bytes 640\n"), std::string::npos);
  EXPECT_NE(out.find("claimmap_config_version 3\n"), std::string::npos);
}

}  // namespace
}  // namespace claimmap::support
