// support/credentials.h: the tokens file of `serve --tokens-file`
// (docs/server.md "Credentials, the audit log and rate limits") — what a
// line may hold, what refuses the whole file and with which line number —
// and which credential a bearer token is.
#include <gtest/gtest.h>

#include <string>

#include "support/credentials.h"

namespace claimmap::support {
namespace {

// sha256("test"), sha256("foo"), as `printf %s T | sha256sum` prints them.
constexpr const char* kTestDigest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
constexpr const char* kFooDigest = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";

std::string line(const std::string& name, const std::string& scopes, const std::string& digest) {
  return name + " " + scopes + " " + digest + "\n";
}

// The message of a refused file, or "accepted".
std::string refusal(const std::string& text) {
  Result<CredentialSet> set = CredentialSet::parse(text, "tokens.txt");
  if (set.ok()) return "accepted";
  EXPECT_EQ(set.status().code(), ErrorCode::kInvalidArgument);
  return set.status().message();
}

TEST(TokensFile, CommentsBlankLinesAndWhitespace) {
  const std::string text = "# name scopes digest\n"
                           "\n"
                           "   \t  \n"
                           "auth-pipeline\tevents   " + std::string(kTestDigest) + "   # the pipeline\r\n"
                           "  # indented comment\n"
                           "iam.connector@corp scim,read,metrics " + kFooDigest;  // no final newline
  Result<CredentialSet> set = CredentialSet::parse(text, "tokens.txt");
  ASSERT_TRUE(set.ok()) << set.status().message();
  const auto& c = set.value().credentials();
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].name, "auth-pipeline");
  EXPECT_EQ(c[0].scopes, uint32_t{kScopeEvents});
  EXPECT_EQ(c[0].digest, sha256_of("test"));
  EXPECT_EQ(c[1].name, "iam.connector@corp");
  EXPECT_EQ(c[1].scopes, uint32_t{kScopeScim | kScopeRead | kScopeMetrics});
  EXPECT_EQ(c[1].digest, sha256_of("foo"));
}

TEST(TokensFile, EveryScopeByName) {
  Result<CredentialSet> set = CredentialSet::parse(line("ops", "events,scim,admin,read,metrics", kTestDigest), "f");
  ASSERT_TRUE(set.ok()) << set.status().message();
  EXPECT_EQ(set.value().credentials()[0].scopes, uint32_t{kAllScopes});
  EXPECT_EQ(scope_name(kScopeAdmin), "admin");
  EXPECT_EQ(scope_name(kScopeMetrics), "metrics");
}

TEST(TokensFile, UpperCaseHexIsTheSameDigest) {
  std::string upper = kTestDigest;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  Result<CredentialSet> set = CredentialSet::parse(line("a", "read", upper), "f");
  ASSERT_TRUE(set.ok()) << set.status().message();
  EXPECT_EQ(set.value().credentials()[0].digest, sha256_of("test"));
}

// A bad line is named by its number in the file, comments and blank lines counted.
TEST(TokensFile, ABadLineIsNamedByItsNumber) {
  const std::string text = "# header\n\n" + line("a", "events", kTestDigest) + "# more\nb events\n";
  EXPECT_EQ(refusal(text).substr(0, 45), "tokens.txt line 5: expected 3 fields, got 2 (");
  EXPECT_NE(refusal(text).find("want: NAME SCOPE[,SCOPE…] SHA256HEX"), std::string::npos);
  EXPECT_EQ(refusal("\r\n" + line("a", "events", kTestDigest) + "a b c d\n").substr(0, 43),
            "tokens.txt line 3: expected 3 fields, got 4");
}

TEST(TokensFile, UnknownScope) {
  EXPECT_EQ(refusal(line("a", "events,write", kTestDigest)).substr(0, 44),
            "tokens.txt line 1: unknown scope \"write\" (wa");
  EXPECT_NE(refusal(line("a", "Events", kTestDigest)).find("unknown scope \"Events\""), std::string::npos)
      << "scopes are lower case";
  EXPECT_NE(refusal(line("a", "events,", kTestDigest)).find("unknown scope \"\""), std::string::npos);
  EXPECT_NE(refusal(line("a", ",read", kTestDigest)).find("unknown scope \"\""), std::string::npos);
}

TEST(TokensFile, DuplicateNameOrDigest) {
  EXPECT_EQ(refusal(line("a", "events", kTestDigest) + line("a", "read", kFooDigest)),
            "tokens.txt line 2: credential \"a\" is named twice (want: NAME SCOPE[,SCOPE…] SHA256HEX; scopes: "
            "events, scim, admin, read, metrics)");
  EXPECT_NE(refusal(line("a", "events", kTestDigest) + "\n" + line("b", "read", kTestDigest))
                .find("line 3: the same token digest as credential \"a\""),
            std::string::npos);
}

TEST(TokensFile, BadDigest) {
  const std::string digest = kTestDigest;
  const std::string why = "the third field must be the token's SHA-256 as 64 hex digits";
  for (const std::string& bad : {digest.substr(0, 63), digest + "0", digest.substr(0, 62) + "zz", std::string("my-token"),
                                 digest.substr(0, 32)}) {
    const std::string message = refusal(line("a", "events", bad));
    EXPECT_NE(message.find("tokens.txt line 1: " + why), std::string::npos) << bad << ": " << message;
  }
}

TEST(TokensFile, BadName) {
  EXPECT_NE(refusal(line("a/b", "events", kTestDigest)).find("line 1: a name is letters, digits and -_.@"),
            std::string::npos);
}

TEST(TokensFile, NoCredentialAtAll) {
  EXPECT_EQ(refusal(""), "tokens.txt: no credential in the file");
  EXPECT_EQ(refusal("# only a comment\n\n"), "tokens.txt: no credential in the file");
}

TEST(TokensFile, AMissingFileIsAnIoError) {
  Result<CredentialSet> set = load_tokens_file("/nonexistent/claimmap/tokens");
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().code(), ErrorCode::kIoError);
  EXPECT_NE(set.status().message().find("/nonexistent/claimmap/tokens"), std::string::npos);
}

TEST(Authenticate, TheCredentialOfTheToken) {
  Result<CredentialSet> set =
      CredentialSet::parse(line("t", "events", kTestDigest) + line("f", "read", kFooDigest), "f");
  ASSERT_TRUE(set.ok());
  const CredentialSet& s = set.value();
  ASSERT_NE(s.authenticate("Bearer foo"), nullptr);
  EXPECT_EQ(s.authenticate("Bearer foo")->name, "f");
  EXPECT_EQ(s.authenticate("bEaReR test")->name, "t") << "the scheme ignores case";
  EXPECT_EQ(s.authenticate("Bearer fo"), nullptr);
  EXPECT_EQ(s.authenticate("Bearer foo "), nullptr) << "the token is taken as sent";
  EXPECT_EQ(s.authenticate("Basic foo"), nullptr);
  EXPECT_EQ(s.authenticate("Bearer "), nullptr);
  EXPECT_EQ(s.authenticate(""), nullptr);
  EXPECT_EQ(s.authenticate(std::string("Bearer ") + kFooDigest), nullptr) << "the digest is not the token";
}

TEST(Authenticate, SingleTokenHasEveryScope) {
  const CredentialSet s = CredentialSet::single_token("s3cret");
  const Credential* c = s.authenticate("Bearer s3cret");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->name, "token");
  EXPECT_EQ(c->scopes, uint32_t{kAllScopes});
}

}  // namespace
}  // namespace claimmap::support
