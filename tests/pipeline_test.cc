// The stream behind `claimmap eval` (docs/spec.md §8): line numbering, blank and CRLF
// lines, a final line without newline, over-long lines, input order, and
// --changes-only.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include "claimmap/stream.h"
#include "tests/test_util.h"

namespace claimmap::testing {
namespace {

TEST(Pipeline, OutputLineFormatIsExact) {
  Engine engine(must_load(kBaseConfig));
  EXPECT_EQ(eval_stream(engine, entra_login("u1", R"(["g-mkt"])") + "\n"),
            R"({"seq": 1, "cause": "login", "provider": "entra", "subject": "u1", "status": "ok", "new_user": true, )"
            R"("groups_added": ["marketing"], "groups_removed": [], "roles_granted": ["Crm.Editor", "Crm.Viewer"], )"
            R"("roles_revoked": []})"
            "\n");
}

TEST(Pipeline, ErrorLineFormatIsExact) {
  Engine engine(must_load(kBaseConfig));
  EXPECT_EQ(eval_stream(engine, "[1]\n"),
            R"({"seq": 1, "status": "error", "error": {"code": "not_an_object", "message": "the line is a JSON array, not an object"}})"
            "\n");
}

TEST(Pipeline, BlankLinesAreCountedButGiveNoOutput) {
  Engine engine(must_load(kBaseConfig));
  const std::string out = eval_stream(engine, "\n  \t\n\r\n" + entra_login("u1", "[]") + "\n\n");
  auto lines = lines_of(out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind(R"({"seq": 4,)", 0), 0u) << lines[0];
}

TEST(Pipeline, CrlfAndFinalLineWithoutNewline) {
  Engine engine(must_load(kBaseConfig));
  auto lines = lines_of(eval_stream(engine, entra_login("u1", "[]") + "\r\n" + entra_login("u2", "[]")));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find(R"("status": "ok")"), std::string::npos);
  EXPECT_NE(lines[1].find(R"({"seq": 2, "cause": "login", "provider": "entra", "subject": "u2", "status": "ok")"),
            std::string::npos);
}

TEST(Pipeline, OverLongLineGetsItsErrorAndTheStreamGoesOn) {
  Engine engine(must_load(kBaseConfig), EngineOptions{1000});
  const std::string big = entra_login("big", "[\"" + std::string(5000, 'x') + "\"]");
  StreamSummary summary;
  auto lines = lines_of(eval_stream(engine, entra_login("u1", "[]") + "\n" + big + "\n" + entra_login("u2", "[]") + "\n", {}, &summary));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[1].find(R"("code": "event_too_large", "message": "line is )" + std::to_string(big.size()) +
                          " bytes; the limit is 1000\""),
            std::string::npos)
      << lines[1];
  EXPECT_NE(lines[2].find(R"("seq": 3)"), std::string::npos);
  EXPECT_EQ(summary.counters.errors_by_code[static_cast<size_t>(ErrorCode::kEventTooLarge)], 1u);
  EXPECT_EQ(engine.user_count(), 2u);
}

TEST(Pipeline, OverLongLineLongerThanAReadBlock) {
  Engine engine(must_load(kBaseConfig));
  const std::string big = entra_login("big", "[\"" + std::string(9 << 20, 'x') + "\"]");
  auto lines = lines_of(eval_stream(engine, big + "\n" + entra_login("u2", "[]")));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("event_too_large"), std::string::npos);
  EXPECT_NE(lines[1].find(R"("seq": 2, "cause": "login")"), std::string::npos);
}

TEST(Pipeline, ManyLinesKeepInputOrderAcrossBlocks) {
  Engine engine(must_load(kBaseConfig));
  std::string input;
  const int n = 30000;  // several 4 MiB read blocks with the padding below
  for (int i = 1; i <= n; ++i) {
    input += entra_login("u" + std::to_string(i % 1000), i % 2 ? R"(["g-mkt"])" : R"(["g-read"])",
                         R"(, "pad": ")" + std::string(200, 'p') + "\"") +
             "\n";
  }
  auto lines = lines_of(eval_stream(engine, input));
  ASSERT_EQ(lines.size(), static_cast<size_t>(n));
  for (int i = 1; i <= n; ++i) {
    ASSERT_EQ(lines[i - 1].rfind("{\"seq\": " + std::to_string(i) + ",", 0), 0u) << lines[i - 1];
  }
}

TEST(Pipeline, ChangesOnlyKeepsChangesErrorsAndNewUsers) {
  Engine engine(must_load(kBaseConfig));
  const std::string input = entra_login("u1", "[]") + "\n" +           // new user: kept
                            entra_login("u1", "[]") + "\n" +           // nothing: left out
                            entra_login("u1", R"(["g-mkt"])") + "\n" +  // change: kept
                            "{\n";                                     // error: kept
  auto lines = lines_of(eval_stream(engine, input, StreamOptions{true, 1, {}}));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].rfind(R"({"seq": 1,)", 0), 0u);
  EXPECT_EQ(lines[1].rfind(R"({"seq": 3,)", 0), 0u);
  EXPECT_EQ(lines[2].rfind(R"({"seq": 4,)", 0), 0u);
}

TEST(Pipeline, SummaryCountsEverything) {
  Engine engine(must_load(kBaseConfig));
  StreamSummary s;
  eval_stream(engine,
       entra_login("u1", R"(["g-mkt"])", R"(, "iat": 5)") + "\n\n" + entra_login("u1", "[]", R"(, "iat": 4)") + "\n" +
           entra_login("u1", "[]", R"(, "iat": 6)") + "\n{\n[]\n",
       {}, &s);
  EXPECT_EQ(s.lines, 6u);
  EXPECT_EQ(s.counters.events, 5u);
  EXPECT_EQ(s.counters.ok, 2u);
  EXPECT_EQ(s.counters.stale, 1u);
  EXPECT_EQ(s.counters.errors, 2u);
  EXPECT_EQ(s.counters.errors_by_code[static_cast<size_t>(ErrorCode::kMalformedJson)], 1u);
  EXPECT_EQ(s.counters.errors_by_code[static_cast<size_t>(ErrorCode::kNotAnObject)], 1u);
  EXPECT_EQ(s.counters.new_users, 1u);
  EXPECT_EQ(s.counters.groups_added, 1u);
  EXPECT_EQ(s.counters.groups_removed, 1u);
  EXPECT_EQ(s.counters.roles_granted, 2u);
  EXPECT_EQ(s.counters.roles_revoked, 2u);
  EXPECT_NE(s.to_text().find("not_an_object=1"), std::string::npos);
}

TEST(Pipeline, ProcessToNdjsonMatchesTheStream) {
  Engine a(must_load(kBaseConfig)), b(must_load(kBaseConfig));
  const std::string l1 = entra_login("u1", R"(["g-mkt"])"), l2 = "{\"a\": 1, \"a\": 2}";
  std::string direct;
  (void)a.process_to_ndjson(l1, 1, &direct);
  (void)a.process_to_ndjson(l2, 2, &direct);
  EXPECT_EQ(direct, eval_stream(b, l1 + "\n" + l2 + "\n"));
}

}  // namespace
}  // namespace claimmap::testing
