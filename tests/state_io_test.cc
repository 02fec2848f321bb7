// docs/spec.md §9, NDJSON form: export, import, refusal of bad lines, and what a load
// under the current config drops.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "tests/test_util.h"

namespace claimmap::testing {
namespace {

TEST(StateIo, ExportIsOneSortedLinePerUserInTheSpecShape) {
  EngineHarness h;
  h.run(entra_login("u2", R"(["g-mkt", "g-read"])", R"(, "iat": 1700000000, "dept": "Sales")"));
  h.run(R"({"type": "assign", "provider": "entra", "subject": "u1", "group": "hr"})");
  h.run(R"({"type": "grant", "provider": "entra", "subject": "u1", "role": "Ops.Pager"})");
  h.run(R"({"type": "suspend", "provider": "entra", "subject": "u1"})");
  EXPECT_EQ(h.engine().export_state(),
            "{\"provider\": \"entra\", \"subject\": \"u1\", \"mapped\": {}, \"manual\": [\"hr\"], "
            "\"direct_roles\": [\"Ops.Pager\"], \"last_iat\": null, \"suspended\": true}\n"
            "{\"provider\": \"entra\", \"subject\": \"u2\", \"mapped\": {\"marketing\": [\"m-mkt\"], "
            "\"readers\": [\"m-read\", \"m-read2\"]}, \"manual\": [], \"direct_roles\": [], "
            "\"last_iat\": 1700000000, \"suspended\": false}\n");
}

TEST(StateIo, ExportImportRoundTrips) {
  EngineHarness h;
  h.run(entra_login("u1", R"(["g-mkt"])", R"(, "iat": 12.5)"));
  h.run(R"({"type": "assign", "provider": "kc", "subject": "k\"1", "group": "readers"})");
  const std::string state = h.engine().export_state();
  EngineHarness other;
  StateLoadReport report;
  ASSERT_TRUE(other.engine().import_state(state, &report).ok());
  EXPECT_EQ(report.users, 2u);
  EXPECT_EQ(report.dropped(), 0u);
  EXPECT_EQ(other.engine().export_state(), state);
  // The imported stale guard works.
  EXPECT_EQ(other.run(entra_login("u1", "[]", R"(, "iat": 12)")).status, claimmap::DeltaStatus::kStale);
}

TEST(StateIo, ImportReplacesTheState) {
  EngineHarness h;
  h.run(entra_login("old", "[]"));
  ASSERT_TRUE(h.engine().import_state(R"({"provider": "entra", "subject": "new"})").ok());
  EXPECT_EQ(h.engine().user_count(), 1u);
  EXPECT_TRUE(h.run(entra_login("old", "[]")).new_user);
}

void expect_refused(const std::string& ndjson, const std::string& message_part) {
  EngineHarness h;
  h.run(entra_login("keep", R"(["g-mkt"])"));
  const std::string before = h.engine().export_state();
  Status s = h.engine().import_state(ndjson);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kInvalidState);
  EXPECT_NE(s.message().find(message_part), std::string::npos) << s.message();
  EXPECT_EQ(h.engine().export_state(), before) << "a refused load must change nothing";
}

TEST(StateIo, BadLineRefusesTheWholeLoadNamingIt) {
  const std::string good = R"({"provider": "entra", "subject": "a", "manual": ["hr"]})";
  expect_refused(good + "\n{not json\n", "state line 2: not valid JSON");
  expect_refused(good + "\n\n" + R"({"subject": "b"})", "state line 3: missing \"provider\"");
  expect_refused(R"({"provider": "entra"})", "state line 1: missing \"subject\"");
  expect_refused(good + "\n" + good + "\n", "state line 2: user repeated (first at state line 1)");
  expect_refused(R"({"provider": "entra", "subject": "a", "manual": "hr"})", "state line 1: \"manual\"");
  expect_refused(R"({"provider": "entra", "subject": "a", "suspended": 1})", "state line 1: \"suspended\"");
  expect_refused("[1]", "state line 1: not a JSON object");
}

// A large state is read in pieces of a few MB, in parallel
// (engine/state/state_io.cc): its problems are still judged in file order,
// and line numbers count from the start of the file, not of a piece.
std::string many_users(size_t n, size_t first = 0) {
  std::string out;
  for (size_t i = first; i < first + n; ++i) {
    out += R"({"provider": "entra", "subject": "user-)" + std::to_string(i) +
           R"(-padding-to-make-the-line-longer-than-most", "manual": ["hr"], "last_iat": )" + std::to_string(i) + "}\n";
  }
  return out;
}

TEST(StateIo, ALargeStateLoadsWholeAndNamesItsFirstProblemInFileOrder) {
  const std::string big = many_users(150000);  // ~19 MB: several pieces
  ASSERT_GT(big.size(), size_t{12} << 20);
  {
    EngineHarness h;
    StateLoadReport report;
    ASSERT_TRUE(h.engine().import_state(big, &report).ok());
    EXPECT_EQ(report.users, 150000u);
    EXPECT_EQ(h.engine().user_count(), 150000u);
  }
  // A bad line near the end, in the last piece.
  expect_refused(big + "{not json\n", "state line 150001: not valid JSON");
  // A repeat in a later piece of a user of the first: the repeat is named,
  // with where the user first was.
  expect_refused(big + many_users(1, 3), "state line 150001: user repeated (first at state line 4)");
  // Two problems in two pieces: the earlier one in the file is the one named.
  std::string two = many_users(60000) + "[1]\n" + many_users(60000, 60000) + many_users(1, 5);
  expect_refused(two, "state line 60001: not a JSON object");
  // A repeat before a bad line that sits later in the same piece.
  std::string order = many_users(70000) + many_users(1, 69999) + "{bad\n";
  expect_refused(order, "state line 70001: user repeated (first at state line 70000)");
}

TEST(StateIo, LoadUnderCurrentConfigDropsWhatItNoLongerJustifies) {
  EngineHarness h;
  StateLoadReport report;
  const std::string state =
      R"({"provider": "entra", "subject": "a", "mapped": {"marketing": ["m-mkt", "m-gone"], "readers": ["m-mkt"], "devs": ["m-devs"], "gone": ["m-read"]}, "manual": ["hr", "nope"], "direct_roles": ["Ops.Pager", "Gone.Role"]})"
      "\n"
      R"({"provider": "gone-idp", "subject": "b", "manual": ["hr"]})"
      "\n";
  ASSERT_TRUE(h.engine().import_state(state, &report).ok());
  // b's provider is not in the config: b is kept with its manual membership,
  // as after a reload that deleted the provider (docs/spec.md §7.3).
  EXPECT_EQ(report.users, 2u);
  EXPECT_EQ(report.users_without_provider, 1u);
  // m-gone: no such mapping; readers/m-mkt: the mapping grants another group;
  // devs/m-devs: inactive; gone/m-read: no such group.
  EXPECT_EQ(report.dropped_mapped, 4u);
  EXPECT_EQ(report.dropped_manual, 1u);
  EXPECT_EQ(report.dropped_direct_roles, 1u);
  EXPECT_EQ(h.engine().export_state(),
            "{\"provider\": \"entra\", \"subject\": \"a\", \"mapped\": {\"marketing\": [\"m-mkt\"]}, \"manual\": "
            "[\"hr\"], \"direct_roles\": [\"Ops.Pager\"], \"last_iat\": null, \"suspended\": false}\n"
            "{\"provider\": \"gone-idp\", \"subject\": \"b\", \"mapped\": {}, \"manual\": [\"hr\"], "
            "\"direct_roles\": [], \"last_iat\": null, \"suspended\": false}\n");
  EXPECT_NE(report.to_string().find("2 users loaded"), std::string::npos);
}

TEST(StateIo, SaveAndLoadFile) {
  EngineHarness h;
  h.run(entra_login("u1", R"(["g-mkt"])", R"(, "iat": 5)"));
  const std::string path = ::testing::TempDir() + "/claimmap_state_test_" + std::to_string(::getpid()) + ".ndjson";
  ASSERT_TRUE(h.engine().save_state_file(path).ok());
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), h.engine().export_state());
  EngineHarness other;
  ASSERT_TRUE(other.engine().load_state_file(path).ok());
  EXPECT_EQ(other.engine().export_state(), h.engine().export_state());
  std::remove(path.c_str());
}

// A state file larger than the pieces load_state_file reads it in (4 MiB,
// engine/state/state_io.cc), with a line starting exactly at the first
// piece's end, a newline exactly at the second's, a line longer than the
// reader's look-ahead (64 KiB) across the third, blank and CRLF lines, and
// no newline at the end: the file loads to exactly what import_state of the
// same text gives.
std::string large_state(std::string* long_subject_line = nullptr) {
  constexpr size_t kPiece = size_t{4} << 20;
  std::string text;
  size_t n = 0;
  auto line = [&](size_t length) {  // one user line of exactly `length` bytes, newline included
    const std::string head = "{\"provider\": \"entra\", \"subject\": \"u" + std::to_string(n++) + "-";
    const std::string tail = "\", \"manual\": [\"hr\"]}\n";
    text += head + std::string(length - head.size() - tail.size(), 'x') + tail;
  };
  auto fill_to = [&](size_t until) {  // lines of 80–220 bytes, then one that ends exactly at `until`
    while (until - text.size() > 400) line(80 + n % 141);
    line(until - text.size());
  };
  fill_to(kPiece);          // the next line starts at the piece's end
  fill_to(2 * kPiece + 1);  // a newline at the second piece's end
  fill_to(3 * kPiece - 70000);
  text += "\n\r\n";  // blank lines
  line(150000);      // across the third end, more than the look-ahead
  if (long_subject_line != nullptr) *long_subject_line = std::to_string(n - 1);
  text += "{\"provider\": \"entra\", \"subject\": \"crlf\"}\r\n";
  fill_to(3 * kPiece + 200000);
  text += "{\"provider\": \"entra\", \"subject\": \"last\"}";
  return text;
}

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/claimmap_" + name + "_" + std::to_string(::getpid()) + ".ndjson";
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(StateIo, LargeFileLoadsInPiecesAsTheWholeText) {
  const std::string text = large_state();
  const std::string path = write_temp("large_state", text);
  EngineHarness from_file, from_text;
  StateLoadReport file_report, text_report;
  ASSERT_TRUE(from_file.engine().load_state_file(path, &file_report).ok());
  ASSERT_TRUE(from_text.engine().import_state(text, &text_report).ok());
  EXPECT_GT(file_report.users, 40000u);
  EXPECT_EQ(file_report.users, text_report.users);
  EXPECT_EQ(from_file.engine().user_count(), file_report.users);
  EXPECT_EQ(from_file.engine().export_state(), from_text.engine().export_state());
  std::remove(path.c_str());
}

TEST(StateIo, LargeFileProblemsAreNamedAsInTheWholeText) {
  // A bad line just past the second piece's start, then a user repeated
  // across pieces: the first of the file is named, with its line number.
  std::string text = large_state();
  for (const std::string& variant : {std::string("bad"), std::string("repeat")}) {
    std::string changed = text;
    const size_t at = changed.find('\n', (size_t{4} << 20) + 10) + 1;
    changed.insert(at, variant == "bad" ? "{\"provider\": 7}\n" : "{\"provider\": \"entra\", \"subject\": \"last\"}\n");
    const std::string path = write_temp("large_state_" + variant, changed);
    EngineHarness from_file, from_text;
    const Status file_status = from_file.engine().load_state_file(path);
    const Status text_status = from_text.engine().import_state(changed);
    ASSERT_FALSE(text_status.ok());
    EXPECT_EQ(file_status.code(), ErrorCode::kInvalidState);
    EXPECT_EQ(file_status.message(), path + ": " + text_status.message());
    EXPECT_NE(file_status.message().find(variant == "bad" ? "\"provider\" must be a string" : "user repeated"),
              std::string::npos)
        << file_status.message();
    EXPECT_EQ(from_file.engine().user_count(), 0u) << "a refused load loads nothing";
    std::remove(path.c_str());
  }
}

TEST(StateIo, LoadOfMissingFileIsAnIoError) {
  EngineHarness h;
  Status s = h.engine().load_state_file("/nonexistent/dir/state.ndjson");
  EXPECT_EQ(s.code(), ErrorCode::kIoError);
}

TEST(StateIo, SaveIntoMissingDirectoryFailsCleanly) {
  EngineHarness h;
  Status s = h.engine().save_state_file("/nonexistent/dir/state.ndjson");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kIoError);
}

}  // namespace
}  // namespace claimmap::testing
