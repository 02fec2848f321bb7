// docs/spec.md §2: how a mapping's `claim` names a claim — a JSON Pointer (RFC 6901)
// when it starts with "/", else one literal top-level member name.
#include "engine/config/claim_path.h"

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace claimmap::testing {
namespace {

TEST(ClaimPath, LiteralNameIsOneToken) {
  auto p = parse_claim_path("https://example.com/roles");
  ASSERT_TRUE(p.has_value());
  EXPECT_FALSE(p->is_pointer);
  EXPECT_EQ(p->tokens, Names({"https://example.com/roles"}));
  EXPECT_EQ(parse_claim_path("a.b.c")->tokens, Names({"a.b.c"}));
}

TEST(ClaimPath, PointerSplitsAndUnescapes) {
  auto p = parse_claim_path("/realm_access/roles");
  ASSERT_TRUE(p.has_value());
  EXPECT_TRUE(p->is_pointer);
  EXPECT_EQ(p->tokens, Names({"realm_access", "roles"}));
  // ~1 is "/", ~0 is "~", in that order (RFC 6901 §4): "~01" is "~1".
  EXPECT_EQ(parse_claim_path("/a~1b/c~0d/~01")->tokens, Names({"a/b", "c~d", "~1"}));
  EXPECT_EQ(parse_claim_path("/a//b")->tokens, Names({"a", "", "b"}));
}

TEST(ClaimPath, BadEscapeIsRefused) {
  EXPECT_FALSE(parse_claim_path("/a~2").has_value());
  EXPECT_FALSE(parse_claim_path("/a~").has_value());
  // Outside a pointer "~" is just a character.
  EXPECT_TRUE(parse_claim_path("a~2").has_value());
}

TEST(ClaimPath, EscapedPointerMatchesMemberWithSlash) {
  std::string config = kBaseConfig;
  const std::string needle = R"("claim": "/realm_access/roles")";
  config.replace(config.find(needle), needle.size(), R"("claim": "/a~1b/c~0d")");
  EngineHarness h(config);
  Delta d = h.run(R"({"iss": "https://kc.example/realms/corp", "sub": "k1", "a/b": {"c~d": ["admin"]}})");
  EXPECT_EQ(d.groups_added, Names({"marketing"}));
}

}  // namespace
}  // namespace claimmap::testing
