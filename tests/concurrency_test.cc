// The parallel engine: the stream's output is byte-identical at any
// thread count, and the Engine may be called from many threads at once —
// each user's events in call order, different users in parallel — while
// state is exported. Run under ThreadSanitizer by `make tsan`.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "claimmap/stream.h"
#include "tests/test_util.h"

namespace claimmap::testing {
namespace {

std::string eval(Engine& engine, const std::string& input, unsigned threads) {
  return eval_stream(engine, input, StreamOptions{false, threads, {}});
}

// A mixed stream over few users, so that many events of one user fall in
// one block and in neighbouring blocks: logins whose groups drift, stale
// replays, pushes, bad lines and blank lines.
std::string mixed_stream(size_t events) {
  uint64_t state = 0x9e3779b97f4a7c15ull;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  const char* groups[] = {"g-mkt", "g-read", "g-devs", "other"};
  const char* pushes[] = {R"("type": "assign", "group": "hr")", R"("type": "unassign", "group": "hr")",
                          R"("type": "grant", "role": "Ops.Pager")", R"("type": "revoke", "role": "Ops.Pager")",
                          R"("type": "suspend")", R"("type": "resume")", R"("type": "delete")"};
  std::string out;
  for (size_t i = 0; i < events; ++i) {
    const std::string user = "u" + std::to_string(next() % 500);
    const uint64_t r = next() % 100;
    if (r < 70) {
      std::string list;
      for (const char* g : groups) {
        if (next() % 2) list += std::string(list.empty() ? "" : ", ") + "\"" + g + "\"";
      }
      const uint64_t iat = r < 5 ? 1 : 1000 + i;  // a few stale replays
      out += entra_login(user, "[" + list + "]", ", \"iat\": " + std::to_string(iat) + ", \"pad\": \"" +
                                                    std::string(next() % 300, 'x') + "\"");
    } else if (r < 90) {
      out += R"({"provider": "entra", "subject": ")" + user + "\", " + pushes[next() % 7] + "}";
    } else if (r < 95) {
      out += R"({"iss": "https://login.example/t/v2.0", "oid": ")" + user + R"(", "groups": [], "groups": []})";
    } else if (r < 98) {
      out += "{not json";
    } else {
      out += "  ";
    }
    out += "\n";
  }
  return out;
}

TEST(Concurrency, StreamOutputIsIdenticalAtAnyThreadCount) {
  const std::string input = mixed_stream(100000);
  Engine reference_engine(must_load(kBaseConfig));
  const std::string reference = eval(reference_engine, input, 1);
  ASSERT_GT(reference.size(), input.size() / 4);
  const std::string reference_state = reference_engine.export_state();
  for (unsigned threads : {2u, 3u, 8u}) {
    Engine engine(must_load(kBaseConfig));
    EXPECT_TRUE(eval(engine, input, threads) == reference) << threads << " threads";
    EXPECT_EQ(engine.export_state(), reference_state) << threads << " threads";
  }
}

TEST(Concurrency, ManyCallersEachUsersEventsInCallOrder) {
  // Each thread owns its users; the final state must equal a serial run.
  constexpr int kThreads = 8, kUsersPerThread = 50, kRounds = 40;
  auto event = [](int t, int u, int round) {
    const std::string user = "t" + std::to_string(t) + "u" + std::to_string(u);
    if (round % 10 == 9) return R"({"type": "assign", "provider": "entra", "subject": ")" + user + R"(", "group": "hr"})";
    return entra_login(user, round % 2 ? R"(["g-mkt"])" : R"(["g-read"])", ", \"iat\": " + std::to_string(round));
  };
  Engine serial(must_load(kBaseConfig));
  for (int t = 0; t < kThreads; ++t)
    for (int round = 0; round < kRounds; ++round)
      for (int u = 0; u < kUsersPerThread; ++u) (void)serial.process(event(t, u, round));

  Engine parallel(must_load(kBaseConfig));
  std::atomic<bool> done{false};
  std::thread exporter([&] {
    while (!done.load()) (void)parallel.export_state();  // snapshots while logins continue
  });
  std::vector<std::thread> callers;
  for (int t = 0; t < kThreads; ++t) {
    callers.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round)
        for (int u = 0; u < kUsersPerThread; ++u) {
          Delta d = parallel.process(event(t, u, round));
          EXPECT_TRUE(d.ok());
        }
    });
  }
  for (auto& c : callers) c.join();
  done.store(true);
  exporter.join();
  EXPECT_EQ(parallel.export_state(), serial.export_state());
  EXPECT_EQ(parallel.user_count(), static_cast<size_t>(kThreads * kUsersPerThread));
}

TEST(Concurrency, CallersSharingOneUserAreSerialised) {
  // Every thread assigns its own group to the same user: no update is lost.
  Engine engine(must_load(kBaseConfig));
  const char* groups[] = {"marketing", "readers", "hr", "devs"};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        (void)engine.process(std::string(R"({"type": ")") + (i % 2 ? "unassign" : "assign") +
                       R"(", "provider": "entra", "subject": "shared", "group": ")" + groups[t] + "\"}");
      }
      (void)engine.process(std::string(R"({"type": "assign", "provider": "entra", "subject": "shared", "group": ")") +
                     groups[t] + "\"}");
    });
  }
  for (auto& c : callers) c.join();
  EXPECT_EQ(engine.effective_roles("entra", "shared"), Names({"Crm.Editor", "Crm.Viewer", "Hr.Admin", "Ops.Pager"}));
}

TEST(Concurrency, ProcessBatchMatchesSingleCalls) {
  Engine a(must_load(kBaseConfig)), b(must_load(kBaseConfig));
  const std::string l1 = entra_login("u1", R"(["g-mkt"])"), l2 = entra_login("u1", "[]");
  std::vector<Delta> batch = a.process_batch({l1, "  \r", l2}, 7);
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0].seq, 7u);
  EXPECT_EQ(batch[1].seq, 9u);
  EXPECT_EQ(batch[1].roles_revoked, b.process(l1).roles_granted);
}

TEST(Concurrency, StateBytesGrowWithUsers) {
  Engine engine(must_load(kBaseConfig));
  const size_t empty = engine.state_bytes();
  constexpr size_t kUsers = 20000;
  for (size_t i = 0; i < kUsers; ++i) (void)engine.process(entra_login("user-" + std::to_string(i), R"(["g-mkt"])"));
  // At least a record header and one pair a user; page slack and table slots
  // stay within a small multiple (the benchmark suite measures the real figure).
  EXPECT_GT(engine.state_bytes(), empty + kUsers * 40);
  EXPECT_LT(engine.state_bytes(), empty + kUsers * 200);
}

}  // namespace
}  // namespace claimmap::testing
