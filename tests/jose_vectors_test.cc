// Signed tokens against suites nobody here wrote (docs/spec.md §15): the JWS
// verifier and the JWK reader of engine/jose run over
//   - Project Wycheproof (tests/data/wycheproof, Apache-2.0): the JWS and JWK
//     files, raw Ed25519, and raw-r‖s ECDSA for P-256/384/521;
//   - the RFC 7520 examples (tests/data/jose-cookbook, public domain).
// The JSON files are read at test time (ctest runs from the repository root).
//
// Every `valid` vector must verify and every `invalid` one must be refused,
// except where ClaimMap's documented policy is stricter than JOSE; such a
// vector is not skipped blindly: the test checks that it is refused, with the
// code the policy gives, and lists it under its reason in the printed table.
//   - HS256/384/512 and `none` are never accepted: a valid HMAC token must be
//     refused with invalid_token.
//   - Keys are public only: a JWK or JWK Set with a private member (`d`, …) or
//     a symmetric (`oct`) key is refused.
//   - A JWK's own `alg` binds the key (RFC 7517 §4.4): a token of another
//     algorithm finds no key (unknown_key), and a JWK whose `alg` is not an
//     algorithm name ClaimMap knows (Wycheproof's misspelt "ES521") is refused.
// `acceptable` vectors (none in the files copied today) would be run and their
// outcome printed without an assertion either way: Wycheproof uses the word
// for behaviour that is not wrong in either direction.
// A vector that is `invalid` yet verifies is a failure unless it is listed in
// kKnownGaps below, with the reason ClaimMap does not refuse it.
//
// Each valid token is also altered (one signature byte flipped, the payload
// changed, the header's `alg` swapped within its family, a non-canonical,
// padded or '+'/'/' base64 signature) and every altered copy must be refused
// with the code §15 gives.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/jose/base64url.h"
#include "engine/jose/jwk.h"
#include "engine/jose/jws_algorithm.h"
#include "engine/jose/jws_verifier.h"

namespace claimmap {
namespace {

using Json = nlohmann::json;

const std::string kWycheproof = "tests/data/wycheproof/";
const std::string kCookbook = "tests/data/jose-cookbook/";

constexpr JwsAlgorithm kAccepted[] = {
    JwsAlgorithm::kRS256, JwsAlgorithm::kRS384, JwsAlgorithm::kRS512, JwsAlgorithm::kPS256, JwsAlgorithm::kPS384,
    JwsAlgorithm::kPS512, JwsAlgorithm::kES256, JwsAlgorithm::kES384, JwsAlgorithm::kES512, JwsAlgorithm::kEdDSA,
};

// Invalid vectors that ClaimMap verifies, on purpose or for now, each with
// why. The test prints them and does not fail on them; an entry that is
// refused after all is reported too, so that the list does not go stale.
struct KnownGap {
  const char* file;
  int tc_id;
  const char* why;
};
constexpr KnownGap kKnownGaps[] = {
    {"json_web_key_test.json", 7,
     "ROCA-vulnerable RSA modulus (CVE-2017-15361, Infineon key generation): a 2049-bit public key "
     "whose signature is genuine; §15 asks for no weak-key fingerprint test"},
};

const KnownGap* known_gap(const std::string& file, int tc_id) {
  for (const KnownGap& g : kKnownGaps) {
    if (file == g.file && tc_id == g.tc_id) return &g;
  }
  return nullptr;
}

// --- small helpers ---------------------------------------------------------

Json load_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << path << " (the test runs from the repository root, as ctest runs it)";
    return Json::object();
  }
  std::stringstream text;
  text << in.rdbuf();
  return Json::parse(text.str());
}

std::string unhex(std::string_view hex) {
  std::string out;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  return out;
}

std::string b64u(std::string_view bytes) {
  std::string out;
  base64url_encode(bytes, &out);
  return out;
}

// Lenient: for reading what a vector's parts hold (the header's alg), not
// for judging them.
std::optional<std::string> unb64u(std::string_view text) {
  std::string out;
  if (!base64url_decode(text, &out)) return std::nullopt;
  return out;
}

std::vector<std::string> split_dots(const std::string& token) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t dot = token.find('.', start);
    parts.push_back(token.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) return parts;
    start = dot + 1;
  }
}

// The `alg` a token's header names, "" when it cannot be read.
std::string header_alg(const std::string& token) {
  const std::vector<std::string> parts = split_dots(token);
  if (parts.size() != 3) return "";
  std::optional<std::string> header = unb64u(parts[0]);
  if (!header) return "";
  Json h = Json::parse(*header, nullptr, /*allow_exceptions=*/false);
  if (!h.is_object() || !h.contains("alg") || !h["alg"].is_string()) return "";
  return h["alg"].get<std::string>();
}

AlgorithmSet only(JwsAlgorithm alg) {
  AlgorithmSet set;
  set.add(alg);
  return set;
}

AlgorithmSet all_accepted() {
  AlgorithmSet set;
  for (JwsAlgorithm alg : kAccepted) set.add(alg);
  return set;
}

std::string name_of(JwsAlgorithm alg) { return std::string(jws_algorithm_name(alg)); }

const char* name_of(TokenError e) {
  switch (e) {
    case TokenError::kNone: return "verified";
    case TokenError::kInvalidToken: return "invalid_token";
    case TokenError::kUnknownKey: return "unknown_key";
    case TokenError::kInvalidSignature: return "invalid_signature";
  }
  return "?";
}

KeySet key_set(const PublicKey& key) {
  KeySet set;
  set.keys.push_back(key);
  return set;
}

std::optional<PublicKey> jwk(const Json& json, std::string* why = nullptr) {
  Result<PublicKey> key = parse_jwk(json.dump());
  if (!key.ok()) {
    if (why != nullptr) *why = key.status().message();
    return std::nullopt;
  }
  return key.value();
}

// The JWK with its private members removed: the public key a config holds.
Json public_part(Json key) {
  for (const char* secret : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) key.erase(secret);
  return key;
}

struct Outcome {
  TokenError error = TokenError::kNone;
  std::string message;
};

Outcome check_token(JwsVerifier& verifier, std::string_view token, const KeySet& keys, AlgorithmSet allowed) {
  Outcome o;
  o.error = verifier.decode(token, &o.message);
  if (o.error == TokenError::kNone) o.error = verifier.verify(keys, allowed, &o.message);
  return o;
}

std::string describe(const Outcome& o) {
  return std::string(name_of(o.error)) + (o.message.empty() ? "" : " (" + o.message + ")");
}

// --- what a suite checked --------------------------------------------------

struct Counts {
  int valid = 0;    // valid vectors that verified
  int invalid = 0;  // invalid vectors that were refused
  int altered = 0;  // altered copies of valid tokens/signatures that were refused
  int policy = 0;   // vectors refused by ClaimMap's policy although JOSE accepts them
  int gaps = 0;     // invalid vectors listed in kKnownGaps
};

struct Report {
  explicit Report(std::string name) : suite(std::move(name)) {}

  std::string suite;
  std::map<std::string, Counts> by_alg;                     // algorithm (or what the vector names) → counts
  std::map<std::string, std::vector<std::string>> skipped;  // policy reason → vector ids
  std::vector<std::string> failures;
  std::vector<std::string> notes;  // known gaps hit, acceptable outcomes, stale gap entries

  void fail(const std::string& what) { failures.push_back(suite + ": " + what); }
  void policy(const std::string& alg, const std::string& reason, const std::string& id) {
    ++by_alg[alg].policy;
    skipped[reason].push_back(id);
  }

  void add(const Report& other) {
    for (const auto& [alg, c] : other.by_alg) {
      Counts& mine = by_alg[alg];
      mine.valid += c.valid, mine.invalid += c.invalid, mine.altered += c.altered;
      mine.policy += c.policy, mine.gaps += c.gaps;
    }
    failures.insert(failures.end(), other.failures.begin(), other.failures.end());
  }

  void print() const {
    std::printf("\n[%s]\n  %-28s %7s %9s %9s %14s %6s\n", suite.c_str(), "algorithm", "valid", "invalid", "altered",
                "policy-skipped", "gaps");
    for (const auto& [alg, c] : by_alg) {
      std::printf("  %-28s %7d %9d %9d %14d %6d\n", alg.c_str(), c.valid, c.invalid, c.altered, c.policy, c.gaps);
    }
    for (const auto& [reason, ids] : skipped) {
      std::string list;
      for (const std::string& id : ids) list += (list.empty() ? "" : ", ") + id;
      std::printf("  skipped (refused by policy, checked): %s\n    vectors: %s\n", reason.c_str(), list.c_str());
    }
    for (const std::string& note : notes) std::printf("  note: %s\n", note.c_str());
    std::fflush(stdout);
  }

  void expect_no_failures() const {
    for (const std::string& f : failures) ADD_FAILURE() << f;
  }
};

// Refusal of a known-gap vector that verifies is a note, of any other a failure.
void invalid_verified(Report& r, const std::string& file, int tc_id, const std::string& alg, const std::string& what) {
  if (const KnownGap* gap = known_gap(file, tc_id)) {
    ++r.by_alg[alg].gaps;
    r.notes.push_back("KNOWN GAP " + file + " tcId " + std::to_string(tc_id) + ": " + gap->why);
    return;
  }
  r.fail(file + " tcId " + std::to_string(tc_id) + " (" + alg + "): expected refused, got verified — " + what);
}

void gap_refused(Report& r, const std::string& file, int tc_id) {
  if (known_gap(file, tc_id)) {
    r.notes.push_back("kKnownGaps lists " + file + " tcId " + std::to_string(tc_id) +
                      " but it is refused now: remove it from the list");
  }
}

// Altered copies of a token that verifies with (keys, allowed): each must be
// refused, with the code §15 gives for it.
void check_altered_token(Report& r, JwsVerifier& verifier, const std::string& label, const std::string& id,
                         const std::string& token, const KeySet& keys, AlgorithmSet allowed) {
  const std::vector<std::string> parts = split_dots(token);
  if (parts.size() != 3) return r.fail(id + ": a valid token without three parts");
  const std::string signature = unb64u(parts[2]).value_or("");
  const std::string payload = unb64u(parts[1]).value_or("");
  auto expect = [&](const std::string& what, const std::string& altered, AlgorithmSet set, TokenError want) {
    const Outcome o = check_token(verifier, altered, keys, set);
    if (o.error != want) {
      r.fail(id + " altered (" + what + "): expected " + name_of(want) + ", got " + describe(o));
    } else {
      ++r.by_alg[label].altered;
    }
  };
  if (!signature.empty()) {
    std::string flipped = signature;
    flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x01);
    expect("one signature byte flipped", parts[0] + "." + parts[1] + "." + b64u(flipped), allowed,
           TokenError::kInvalidSignature);
    std::string last = signature;
    last.back() = static_cast<char>(last.back() ^ 0x80);
    expect("last signature byte flipped", parts[0] + "." + parts[1] + "." + b64u(last), allowed,
           TokenError::kInvalidSignature);
    expect("signature one byte short", parts[0] + "." + parts[1] + "." + b64u(signature.substr(1)), allowed,
           TokenError::kInvalidSignature);
  }
  expect("payload changed", parts[0] + "." + b64u(payload + "x") + "." + parts[2], allowed,
         TokenError::kInvalidSignature);
  if (!payload.empty()) {
    std::string changed = payload;
    changed[0] = static_cast<char>(changed[0] ^ 0x20);
    expect("payload's first byte changed", parts[0] + "." + b64u(changed) + "." + parts[2], allowed,
           TokenError::kInvalidSignature);
  }
  // Strict base64url (§15 step 1): padding, '+' or '/', unused bits set.
  expect("signature padded with '='", token + "=", allowed, TokenError::kInvalidToken);
  if (signature.size() % 3 != 0) {
    // The last character carries 2 (size % 3 == 1) or 4 (== 2) bits; the rest must be zero.
    std::string sig_text = parts[2];
    static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const size_t value = kAlphabet.find(sig_text.back());
    sig_text.back() = kAlphabet[value | 1];
    expect("signature with its unused low bits set", parts[0] + "." + parts[1] + "." + sig_text, allowed,
           TokenError::kInvalidToken);
  }
  if (const size_t at = parts[2].find_first_of("-_"); at != std::string::npos) {
    std::string std_b64 = parts[2];
    std_b64[at] = std_b64[at] == '-' ? '+' : '/';
    expect("signature in standard base64 ('+' or '/')", parts[0] + "." + parts[1] + "." + std_b64, allowed,
           TokenError::kInvalidToken);
  }
  if (Json p = Json::parse(payload, nullptr, false); !(p.is_object() && p.contains("alg"))) {
    expect("payload part in the header's place", parts[1] + "." + parts[0] + "." + parts[2], all_accepted(),
           TokenError::kInvalidToken);
  }
  // The header's alg swapped within its family: the signature no longer fits
  // (a key bound to its own alg finds nothing: unknown_key).
  const std::optional<std::string> header_text = unb64u(parts[0]);
  Json header = Json::parse(header_text.value_or(""), nullptr, false);
  if (!header.is_object() || !header.contains("alg")) return;
  const std::string alg = header["alg"].get<std::string>();
  static const std::map<std::string, std::vector<std::string>> kSiblings = {
      {"RS256", {"RS384", "PS256"}}, {"RS384", {"RS512", "PS384"}}, {"RS512", {"RS256", "PS512"}},
      {"PS256", {"PS384", "RS256"}}, {"PS384", {"PS512", "RS384"}}, {"PS512", {"PS256", "RS512"}},
      {"ES256", {"ES384"}},          {"ES384", {"ES512"}},          {"ES512", {"ES256"}},
  };
  auto siblings = kSiblings.find(alg);
  if (siblings == kSiblings.end()) return;
  for (const std::string& sibling : siblings->second) {
    Json swapped_header = header;
    swapped_header["alg"] = sibling;
    const JwsAlgorithm other = *jws_algorithm_from_name(sibling);
    AlgorithmSet both = allowed;
    both.add(other);
    const std::string swapped = b64u(swapped_header.dump()) + "." + parts[1] + "." + parts[2];
    // Which key would the swapped token find? With a kid, that key; else the
    // only one fitting the new alg. None, or one not for it: unknown_key.
    const bool has_kid = header.contains("kid");
    const PublicKey* key = nullptr;
    size_t fitting = 0;
    for (const PublicKey& k : keys.keys) {
      if (has_kid && k.has_kid && k.kid == header["kid"].get<std::string>()) key = &k;
      if (!has_kid && k.type == key_type_for(other) && (!k.alg || *k.alg == other)) key = &k, ++fitting;
    }
    const bool finds_key = key != nullptr && (has_kid || fitting == 1) && key->type == key_type_for(other) &&
                           (!key->alg || *key->alg == other);
    expect("alg swapped to " + sibling, swapped, both, finds_key ? TokenError::kInvalidSignature : TokenError::kUnknownKey);
    expect("alg swapped to " + sibling + ", not allowed", swapped, allowed, TokenError::kInvalidToken);
  }
}

// Altered copies of a raw (message, signature) that verifies.
void check_altered_signature(Report& r, const std::string& label, const std::string& id, JwsAlgorithm alg,
                             const PublicKey& key, const std::string& msg, const std::string& sig) {
  auto expect_refused = [&](const std::string& what, const std::string& m, const std::string& s) {
    if (verify_jws_signature(alg, key, m, s)) {
      r.fail(id + " altered (" + what + "): verified");
    } else {
      ++r.by_alg[label].altered;
    }
  };
  if (!sig.empty()) {
    std::string flipped = sig;
    flipped[sig.size() / 2] = static_cast<char>(flipped[sig.size() / 2] ^ 0x01);
    expect_refused("one signature byte flipped", msg, flipped);
    expect_refused("signature with a zero byte appended", msg, sig + std::string(1, '\0'));
  }
  expect_refused("message with a byte appended", msg + "x", sig);
}

// --- Wycheproof: json_web_signature_test.json ------------------------------

// The code §15 gives to a Wycheproof JWS vector refused with its own key and
// that key's algorithm allowed; nullopt where the vector does not pin it.
std::optional<TokenError> expected_jws_error(const Json& test, const std::string& group_comment,
                                             const std::string& token_alg, const std::string& key_alg) {
  const std::string comment = test.value("comment", "");
  std::vector<std::string> flags;
  for (const Json& f : test.value("flags", Json::array())) flags.push_back(f.get<std::string>());
  auto flagged = [&](const char* f) { return std::find(flags.begin(), flags.end(), f) != flags.end(); };
  if (flagged("AlgIsNone") || flagged("JsonSerialization")) return TokenError::kInvalidToken;
  if (flagged("WrongPrimitive")) return token_alg == key_alg ? TokenError::kInvalidSignature : TokenError::kInvalidToken;
  if (flagged("ModifiedPadding") || flagged("ModifiedSignature")) return TokenError::kInvalidSignature;
  static const std::vector<std::string> kBadSignature = {
      "rejectsModifiedSignature", "rejectsMissingSignature", "rejectsModifiedPayload",
      "rejectsMissingPayload",    "rejectsAttackerProvidedEmbeddedJwk",
  };
  static const std::vector<std::string> kBadToken = {
      "rejectsMissingSignatureAndSeparator",
      "rejectsMissingPayloadAndSeparator",
      "rejectsMissingHeader",
      "rejectsMissingHeaderAndSeparator",
      "rejectsMissingHeaderAndSignature",
      "rejectsMissingHeaderSignatureAndSeparators",
      "rejectsMissingHeaderSignatureAndSeparator",
      "rejectsEmptyString",
      "rejectsExtraEmptyComponent",
      "rejectsExtraComponent",
      "rejectsNoneAlgorithmAndMissingSignature",
      "rejectsSymmetryConfusionAttacks_aesKeyFromEcVerificationKeyBytes",
  };
  auto in = [&](const std::vector<std::string>& list) { return std::find(list.begin(), list.end(), comment) != list.end(); };
  if (in(kBadSignature)) return TokenError::kInvalidSignature;
  if (in(kBadToken)) return TokenError::kInvalidToken;
  if (comment == "rejectsModifiedHeader") return TokenError::kUnknownKey;  // its kid was changed
  if (group_comment == "SpecialCaseEs256") return TokenError::kInvalidSignature;
  return std::nullopt;
}

Report run_wycheproof_jws() {
  const std::string file = "json_web_signature_test.json";
  Report r{"Wycheproof " + file};
  const Json doc = load_json(kWycheproof + file);
  JwsVerifier verifier;  // one for the file, as a thread keeps one: its key contexts are reused
  for (const Json& group : doc.value("testGroups", Json::array())) {
    const std::string group_comment = group.value("comment", "");
    const bool has_public = group.contains("public");
    std::optional<PublicKey> key;
    std::string key_refused;
    std::string key_alg;
    if (has_public) {
      key_alg = group["public"].value("alg", "");
      key = jwk(group["public"], &key_refused);
    }
    if (group.contains("private") && jwk(group["private"])) {
      r.fail("group " + group_comment + ": its private JWK was accepted (§15: public keys only)");
    }
    const KeySet keys = key ? key_set(*key) : KeySet{};
    for (const Json& test : group["tests"]) {
      const int tc_id = test["tcId"].get<int>();
      const std::string id = "tcId " + std::to_string(tc_id);
      const std::string token = test["jws"].get<std::string>();
      const std::string result = test["result"].get<std::string>();
      const std::string token_alg = header_alg(token);
      const std::optional<JwsAlgorithm> alg = jws_algorithm_from_name(token_alg);
      std::string label = alg ? token_alg
                              : (jws_algorithm_from_name(key_alg) ? key_alg : (token_alg.empty() ? group_comment : token_alg));
      // The HMAC groups have no public key; the alg is the header's, or (a
      // header that does not decode) the group's private key's.
      const std::string hmac_alg =
          !token_alg.empty() ? token_alg : group.contains("private") ? group["private"].value("alg", "HS256") : "HS256";
      if (!has_public) label = hmac_alg;
      if (!jws_algorithm_from_name(label)) label += " (never accepted)";

      if (result == "valid") {
        if (!has_public) {
          const Outcome o = check_token(verifier, token, KeySet{}, all_accepted());
          if (o.error != TokenError::kInvalidToken) {
            r.fail(id + " (" + token_alg + "): a valid HMAC token must be refused with invalid_token, got " + describe(o));
          }
          r.policy(label, "HMAC (" + hmac_alg + ") is never accepted (§15); refused with invalid_token", id);
          continue;
        }
        if (!key) {
          r.policy(label, "the vector's JWK is refused by the key policy: " + key_refused, id);
          continue;
        }
        if (!alg) {
          r.fail(id + ": a valid vector whose alg " + token_alg + " ClaimMap does not know");
          continue;
        }
        if (key->alg && *key->alg != *alg) {
          const Outcome o = check_token(verifier, token, keys, only(*alg));
          if (o.error != TokenError::kUnknownKey) {
            r.fail(id + ": token alg " + token_alg + " with a JWK for " + key_alg + ": expected unknown_key, got " +
                   describe(o));
          }
          r.policy(label, "the JWK says alg " + key_alg + ", the token " + token_alg +
                              ": a JWK verifies only its own alg (RFC 7517 §4.4); refused with unknown_key",
                   id);
          continue;
        }
        const Outcome o = check_token(verifier, token, keys, only(*alg));
        if (o.error != TokenError::kNone) {
          r.fail(id + " (" + token_alg + ", " + test.value("comment", "") + "): expected verified, got " + describe(o));
          continue;
        }
        ++r.by_alg[label].valid;
        // The one-shot path must agree with the verifier's cached one.
        const std::vector<std::string> parts = split_dots(token);
        if (!verify_jws_signature(*alg, *key, parts[0] + "." + parts[1], unb64u(parts[2]).value_or(""))) {
          r.fail(id + ": JwsVerifier::verify accepts it, verify_jws_signature does not");
        }
        check_altered_token(r, verifier, label, id, token, keys, only(*alg));
      } else if (result == "invalid") {
        if (has_public && !key) {
          ++r.by_alg[label].invalid;  // refused at the key: it never reaches a config
          continue;
        }
        AlgorithmSet narrow = all_accepted();
        if (key && key->alg) {
          narrow = only(*key->alg);
        } else if (alg) {
          narrow = only(*alg);
        }
        const Outcome own = check_token(verifier, token, keys, narrow);
        const Outcome any = check_token(verifier, token, keys, all_accepted());
        if (own.error == TokenError::kNone || any.error == TokenError::kNone) {
          invalid_verified(r, file, tc_id, label, test.value("comment", ""));
          continue;
        }
        gap_refused(r, file, tc_id);
        std::optional<TokenError> want =
            has_public ? expected_jws_error(test, group_comment, token_alg, key_alg) : TokenError::kInvalidToken;
        if (want && own.error != *want) {
          r.fail(id + " (" + test.value("comment", "") + "): expected " + name_of(*want) + ", got " + describe(own));
          continue;
        }
        ++r.by_alg[label].invalid;
      } else {
        const Outcome o = check_token(verifier, token, keys, alg ? only(*alg) : all_accepted());
        r.notes.push_back("acceptable " + id + " (" + test.value("comment", "") + "): " + describe(o));
      }
    }
  }
  return r;
}

// --- Wycheproof: json_web_key_test.json ------------------------------------

Report run_wycheproof_jwk() {
  const std::string file = "json_web_key_test.json";
  Report r{"Wycheproof " + file};
  const Json doc = load_json(kWycheproof + file);
  JwsVerifier verifier;
  for (const Json& group : doc.value("testGroups", Json::array())) {
    const std::string group_comment = group.value("comment", "");
    // A private key set never loads: private members and symmetric keys are refused.
    if (group.contains("private")) {
      if (parse_jwk_set(group["private"].dump()).ok()) {
        r.fail("group " + group_comment + ": its private JWK Set was accepted (§15: public keys only)");
      }
    }
    std::optional<KeySet> keys;
    std::string refused;
    if (group.contains("public")) {
      Result<KeySet> set = parse_jwk_set(group["public"].dump());
      if (set.ok()) {
        keys = set.value();
      } else {
        refused = set.status().message();
      }
    }
    for (const Json& test : group["tests"]) {
      const int tc_id = test["tcId"].get<int>();
      const std::string id = "tcId " + std::to_string(tc_id);
      const std::string token = test["jws"].get<std::string>();
      const std::string result = test["result"].get<std::string>();
      const std::string token_alg = header_alg(token);
      const std::optional<JwsAlgorithm> alg = jws_algorithm_from_name(token_alg);
      std::string label = token_alg.empty() ? group_comment : token_alg;
      if (!alg) label += " (never accepted)";
      if (!group.contains("public")) {
        // Only a symmetric set: nothing a config can hold; its tokens are refused.
        const Outcome o = check_token(verifier, token, KeySet{}, all_accepted());
        if (o.error == TokenError::kNone) r.fail(id + ": verified with no key");
        if (result == "valid") {
          r.policy(label, "symmetric (oct) JWK Set: refused by the key policy, its HMAC token with invalid_token", id);
        } else {
          ++r.by_alg[label].invalid;
        }
        continue;
      }
      if (result == "valid") {
        if (!keys) {
          r.fail(id + " (" + group_comment + "): a valid public JWK Set was refused: " + refused);
          continue;
        }
        if (!alg) {
          r.fail(id + ": a valid vector whose alg " + token_alg + " ClaimMap does not know");
          continue;
        }
        const Outcome o = check_token(verifier, token, *keys, only(*alg));
        if (o.error != TokenError::kNone) {
          r.fail(id + " (" + group_comment + "): expected verified, got " + describe(o));
          continue;
        }
        ++r.by_alg[label].valid;
        check_altered_token(r, verifier, label, id, token, *keys, only(*alg));
      } else if (result == "invalid") {
        // The keys of these groups are what is wrong: the set must be refused
        // when the config is read, not only the token later.
        if (!keys) {
          gap_refused(r, file, tc_id);
          ++r.by_alg[label].invalid;
          continue;
        }
        const Outcome o = check_token(verifier, token, *keys, all_accepted());
        invalid_verified(r, file, tc_id, label,
                         group_comment + ": the public JWK Set was accepted (token: " + describe(o) + ")");
      } else {
        r.notes.push_back("acceptable " + id + " (" + group_comment + "): set " + (keys ? "accepted" : "refused"));
      }
    }
  }
  return r;
}

// --- Wycheproof: raw signatures (Ed25519, ECDSA r‖s) -----------------------

// Runs a Wycheproof verify file whose groups hold one public key each and
// whose tests are (msg, sig, result) in hex, through verify_jws_signature.
// `make_jwk` gives the JWK of a group.
template <typename MakeJwk>
Report run_raw_signatures(const std::string& file, JwsAlgorithm alg, MakeJwk make_jwk) {
  Report r{"Wycheproof " + file};
  const std::string label = name_of(alg);
  const Json doc = load_json(kWycheproof + file);
  for (const Json& group : doc.value("testGroups", Json::array())) {
    std::string refused;
    const std::optional<PublicKey> key = jwk(make_jwk(group), &refused);
    for (const Json& test : group["tests"]) {
      const int tc_id = test["tcId"].get<int>();
      const std::string id = "tcId " + std::to_string(tc_id);
      const std::string msg = unhex(test["msg"].get<std::string>());
      const std::string sig = unhex(test["sig"].get<std::string>());
      const std::string result = test["result"].get<std::string>();
      const bool verified = key && verify_jws_signature(alg, *key, msg, sig);
      if (result == "valid") {
        if (!key) {
          r.fail(id + ": the vector's public key was refused: " + refused);
        } else if (!verified) {
          r.fail(id + " (" + test.value("comment", "") + "): expected verified, got refused");
        } else {
          ++r.by_alg[label].valid;
          check_altered_signature(r, label, id, alg, *key, msg, sig);
        }
      } else if (result == "invalid") {
        if (verified) {
          invalid_verified(r, file, tc_id, label, test.value("comment", ""));
        } else {
          gap_refused(r, file, tc_id);
          ++r.by_alg[label].invalid;
        }
      } else {
        r.notes.push_back("acceptable " + id + " (" + test.value("comment", "") + "): " +
                          (verified ? "verified" : "refused"));
      }
    }
  }
  return r;
}

Report run_wycheproof_ed25519() {
  // The JWK of RFC 8037 §2 built from the raw key, as the brief of §15 reads it.
  return run_raw_signatures("ed25519_test.json", JwsAlgorithm::kEdDSA, [](const Json& group) {
    return Json{{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", b64u(unhex(group["publicKey"]["pk"].get<std::string>()))}};
  });
}

Report run_wycheproof_ecdsa(const std::string& file, JwsAlgorithm alg, const char* crv, size_t size) {
  return run_raw_signatures(file, alg, [crv, size](const Json& group) {
    if (group.contains("publicKeyJwk")) return group["publicKeyJwk"];
    // A few groups give only the point: 04 ‖ x ‖ y, each of the curve's size.
    const std::string point = unhex(group["publicKey"]["uncompressed"].get<std::string>());
    return Json{{"kty", "EC"}, {"crv", crv}, {"x", b64u(point.substr(1, size))}, {"y", b64u(point.substr(1 + size, size))}};
  });
}

// --- RFC 7520 (JOSE cookbook) ----------------------------------------------

Report run_cookbook() {
  Report r{"RFC 7520 / JOSE cookbook"};
  JwsVerifier verifier;
  struct Example {
    std::string name, token;
    KeySet keys;
    JwsAlgorithm alg;
  };
  std::vector<Example> examples;
  // RFC 7520 §4.1–4.3 and RFC 8037 §A.4: compact tokens that must verify.
  for (const char* name : {"jws/4_1.rsa_v15_signature.json", "jws/4_2.rsa-pss_signature.json",
                           "jws/4_3.ecdsa_signature.json", "curve25519/jws.json"}) {
    const Json example = load_json(kCookbook + name);
    if (!example.contains("input")) continue;
    const std::string alg_name = example["input"]["alg"].get<std::string>();
    const std::optional<JwsAlgorithm> alg = jws_algorithm_from_name(alg_name);
    if (!alg) {
      r.fail(std::string(name) + ": unknown alg " + alg_name);
      continue;
    }
    const Json& full_key = example["input"]["key"];
    if (jwk(full_key)) r.fail(std::string(name) + ": the private JWK was accepted (§15: public keys only)");
    std::string why;
    const std::optional<PublicKey> key = jwk(public_part(full_key), &why);
    if (!key) {
      r.fail(std::string(name) + ": its public JWK was refused: " + why);
      continue;
    }
    const KeySet keys = key_set(*key);
    const std::string token = example["output"]["compact"].get<std::string>();
    const Outcome o = check_token(verifier, token, keys, only(*alg));
    if (o.error != TokenError::kNone) {
      r.fail(std::string(name) + ": expected verified, got " + describe(o));
      continue;
    }
    if (verifier.payload() != example["input"]["payload"].get<std::string>()) {
      r.fail(std::string(name) + ": the decoded payload is not the example's");
    }
    if (verifier.header_alg() != alg_name) r.fail(std::string(name) + ": header_alg() is not " + alg_name);
    ++r.by_alg[alg_name].valid;
    examples.push_back({name, token, keys, *alg});
    check_altered_token(r, verifier, alg_name, name, token, keys, only(*alg));
    // Every other algorithm allowed too changes nothing: the header names the algorithm.
    if (check_token(verifier, token, keys, all_accepted()).error != TokenError::kNone) {
      r.fail(std::string(name) + ": refused with every algorithm allowed");
    }
    // Only the other algorithms allowed: refused at step 2.
    AlgorithmSet others;
    for (JwsAlgorithm a : kAccepted) {
      if (a != *alg) others.add(a);
    }
    if (const Outcome x = check_token(verifier, token, keys, others); x.error != TokenError::kInvalidToken) {
      r.fail(std::string(name) + ": its alg not allowed: expected invalid_token, got " + describe(x));
    } else {
      ++r.by_alg[alg_name].altered;
    }
  }

  // One verifier (one thread's) goes from one algorithm to another at every
  // token, as a storm of several IdPs does: each still verifies, in any order.
  for (int round = 0; round < 3; ++round) {
    std::vector<const Example*> order;
    for (const Example& e : examples) order.push_back(&e);
    if (round == 1) std::reverse(order.begin(), order.end());
    if (round == 2) std::rotate(order.begin(), order.end() - 1, order.end());
    std::string sequence;
    for (const Example* e : order) sequence += (sequence.empty() ? "" : " → ") + name_of(e->alg);
    for (const Example* e : order) {
      if (const Outcome o = check_token(verifier, e->token, e->keys, only(e->alg)); o.error != TokenError::kNone) {
        r.fail("one JwsVerifier, algorithms in turn (" + sequence + "): " + e->name + " expected verified, got " +
               describe(o));
      }
    }
  }

  // RFC 7520 §4.8: the RS256 signature has `alg` protected and `kid` unprotected;
  // as a compact token it names no kid, and the one RSA key of the set fits.
  const Json multi = load_json(kCookbook + "jws/4_8.multiple_signatures.json");
  if (multi.contains("signing")) {
    const std::string payload = b64u(multi["input"]["payload"].get<std::string>());
    const std::optional<PublicKey> rsa = jwk(public_part(multi["input"]["key"][0]));
    const std::optional<PublicKey> ec = jwk(public_part(multi["input"]["key"][1]));
    if (!rsa || !ec) {
      r.fail("4_8: its public keys were refused");
    } else {
      KeySet two_kinds;
      two_kinds.keys = {*rsa, *ec};
      // The two keys share a kid; a set keeps both only if read as separate JWKs
      // (parse_jwk_set refuses the pair: one kid, two keys).
      const Json& s0 = multi["signing"][0];
      const std::string rs256 =
          s0["protected_b64u"].get<std::string>() + "." + payload + "." + s0["sig"].get<std::string>();
      AlgorithmSet allowed = only(JwsAlgorithm::kRS256);
      allowed.add(JwsAlgorithm::kES512);
      if (const Outcome o = check_token(verifier, rs256, two_kinds, allowed); o.error != TokenError::kNone) {
        r.fail("4_8 RS256 without kid, one RSA key in the set: expected verified, got " + describe(o));
      } else {
        ++r.by_alg["RS256"].valid;
        check_altered_token(r, verifier, "RS256", "4_8 RS256", rs256, two_kinds, allowed);
      }
      // Two RSA keys and no kid: which one is meant is unknown.
      Json other_rsa = public_part(multi["input"]["key"][0]);
      other_rsa["kid"] = "another";
      const Json wp_rsa = load_json(kWycheproof + "json_web_signature_test.json")["testGroups"][2]["public"];
      other_rsa["n"] = wp_rsa["n"];
      if (const std::optional<PublicKey> second = jwk(other_rsa)) {
        KeySet two_rsa;
        two_rsa.keys = {*rsa, *second};
        if (const Outcome o = check_token(verifier, rs256, two_rsa, allowed); o.error != TokenError::kUnknownKey) {
          r.fail("4_8 RS256 without kid, two RSA keys: expected unknown_key, got " + describe(o));
        } else {
          ++r.by_alg["RS256"].altered;
        }
      } else {
        r.fail("4_8: a second RSA key was refused");
      }
      // The ES512 signature has no protected header: an empty first part.
      const Json& s1 = multi["signing"][1];
      const std::string no_header = "." + payload + "." + s1["sig"].get<std::string>();
      if (const Outcome o = check_token(verifier, no_header, two_kinds, allowed); o.error != TokenError::kInvalidToken) {
        r.fail("4_8 ES512 with no protected header: expected invalid_token, got " + describe(o));
      } else {
        ++r.by_alg["ES512"].altered;
      }
      // The one-kid-two-keys set is a config error.
      Json set = {{"keys", Json::array({public_part(multi["input"]["key"][0]), public_part(multi["input"]["key"][1])})}};
      if (parse_jwk_set(set.dump()).ok()) r.fail("4_8: a JWK Set with two keys of one kid was accepted");
    }
  }

  // RFC 7520 §4.4: HS256, never accepted, whatever is allowed.
  const Json hmac = load_json(kCookbook + "jws/4_4.hmac-sha2_integrity_protection.json");
  if (hmac.contains("output")) {
    const Outcome o = check_token(verifier, hmac["output"]["compact"].get<std::string>(), KeySet{}, all_accepted());
    if (o.error != TokenError::kInvalidToken) r.fail("4_4 HS256: expected invalid_token, got " + describe(o));
    r.policy("HS256 (never accepted)", "HMAC (HS256) is never accepted (§15); refused with invalid_token", "4_4");
    if (jwk(hmac["input"]["key"])) r.fail("4_4: its oct JWK was accepted");
  }

  // RFC 7797: b64 false with crit; refused at the header whatever the signature.
  const Json b64 = load_json(kCookbook + "rfc7797/hmac-sha2_b64_false.json");
  if (b64.contains("signing")) {
    const std::string protected_b64u = split_dots(b64["output"]["compact"].get<std::string>())[0];
    const std::string token = protected_b64u + "." + b64u(b64["input"]["payload"].get<std::string>()) + "." +
                              b64["signing"]["sig"].get<std::string>();
    if (const Outcome o = check_token(verifier, token, KeySet{}, all_accepted()); o.error != TokenError::kInvalidToken) {
      r.fail("rfc7797 b64=false: expected invalid_token, got " + describe(o));
    } else {
      ++r.by_alg["HS256 (never accepted)"].invalid;
    }
    // The same header with an accepted alg is refused for b64/crit alone.
    Json h = Json::parse(*unb64u(protected_b64u));
    h["alg"] = "RS256";
    const std::optional<PublicKey> rsa = jwk(load_json(kCookbook + "jwk/3_3.rsa_public_key.json"));
    if (rsa) {
      const std::string rs = b64u(h.dump()) + "." + b64u("{}") + "." + b64u(std::string(256, 'x'));
      if (const Outcome o = check_token(verifier, rs, key_set(*rsa), all_accepted()); o.error != TokenError::kInvalidToken) {
        r.fail("RS256 with b64=false and crit: expected invalid_token, got " + describe(o));
      } else {
        ++r.by_alg["RS256"].altered;
      }
    }
  }

  // RFC 7520 §3: public keys load, private and symmetric ones do not; a
  // private key stripped of its private members is its public key.
  struct KeyFile {
    const char* name;
    bool loads;
  };
  for (const KeyFile& f : {KeyFile{"jwk/3_1.ec_public_key.json", true}, KeyFile{"jwk/3_2.ec_private_key.json", false},
                           KeyFile{"jwk/3_3.rsa_public_key.json", true}, KeyFile{"jwk/3_4.rsa_private_key.json", false},
                           KeyFile{"jwk/3_5.symmetric_key_mac_computation.json", false},
                           KeyFile{"jwk/3_6.symmetric_key_encryption.json", false}}) {
    const Json key = load_json(kCookbook + f.name);
    std::string why;
    const bool loaded = jwk(key, &why).has_value();
    if (loaded != f.loads) {
      r.fail(std::string(f.name) + (f.loads ? " was refused: " + why : " was accepted (§15: public keys only)"));
    }
  }
  const std::optional<PublicKey> ec_public = jwk(load_json(kCookbook + "jwk/3_1.ec_public_key.json"));
  const std::optional<PublicKey> ec_stripped = jwk(public_part(load_json(kCookbook + "jwk/3_2.ec_private_key.json")));
  const std::optional<PublicKey> rsa_public = jwk(load_json(kCookbook + "jwk/3_3.rsa_public_key.json"));
  const std::optional<PublicKey> rsa_stripped = jwk(public_part(load_json(kCookbook + "jwk/3_4.rsa_private_key.json")));
  if (!ec_public || !ec_stripped || ec_public->canonical != ec_stripped->canonical || ec_public->type != KeyType::kEcP521 ||
      ec_public->bits != 521 || ec_public->kid != "bilbo.baggins@hobbiton.example") {
    r.fail("jwk 3_1/3_2: the P-521 key does not read as itself");
  }
  if (!rsa_public || !rsa_stripped || rsa_public->canonical != rsa_stripped->canonical ||
      rsa_public->type != KeyType::kRsa || rsa_public->bits != 2048) {
    r.fail("jwk 3_3/3_4: the 2048-bit RSA key does not read as itself");
  }
  if (ec_public && rsa_public && ec_public->serial == rsa_public->serial) r.fail("two keys share a serial");
  return r;
}

Report run_all() {
  Report all{"all suites"};
  all.add(run_wycheproof_jws());
  all.add(run_wycheproof_jwk());
  all.add(run_wycheproof_ed25519());
  all.add(run_wycheproof_ecdsa("ecdsa_secp256r1_sha256_p1363_test.json", JwsAlgorithm::kES256, "P-256", 32));
  all.add(run_wycheproof_ecdsa("ecdsa_secp384r1_sha384_p1363_test.json", JwsAlgorithm::kES384, "P-384", 48));
  all.add(run_wycheproof_ecdsa("ecdsa_secp521r1_sha512_p1363_test.json", JwsAlgorithm::kES512, "P-521", 66));
  all.add(run_cookbook());
  return all;
}

void expect_checked(const Report& r, std::initializer_list<JwsAlgorithm> algs) {
  for (JwsAlgorithm alg : algs) {
    auto it = r.by_alg.find(name_of(alg));
    const Counts c = it == r.by_alg.end() ? Counts{} : it->second;
    EXPECT_GT(c.valid + c.invalid, 0) << r.suite << ": no vector checked for " << name_of(alg);
  }
}

// --- the tests -------------------------------------------------------------

TEST(WycheproofJws, ValidVerifyInvalidRefused) {
  const Report r = run_wycheproof_jws();
  r.print();
  r.expect_no_failures();
  expect_checked(r, {JwsAlgorithm::kRS256, JwsAlgorithm::kRS384, JwsAlgorithm::kRS512, JwsAlgorithm::kPS256,
                     JwsAlgorithm::kPS384, JwsAlgorithm::kPS512, JwsAlgorithm::kES256});
}

TEST(WycheproofJwk, PublicKeysLoadBadKeysRefused) {
  const Report r = run_wycheproof_jwk();
  r.print();
  r.expect_no_failures();
  expect_checked(r, {JwsAlgorithm::kRS256, JwsAlgorithm::kES256});
}

TEST(WycheproofEd25519, EveryVector) {
  const Report r = run_wycheproof_ed25519();
  r.print();
  r.expect_no_failures();
  expect_checked(r, {JwsAlgorithm::kEdDSA});
}

TEST(WycheproofEcdsaRaw, P256) {
  const Report r = run_wycheproof_ecdsa("ecdsa_secp256r1_sha256_p1363_test.json", JwsAlgorithm::kES256, "P-256", 32);
  r.print();
  r.expect_no_failures();
  expect_checked(r, {JwsAlgorithm::kES256});
}

TEST(WycheproofEcdsaRaw, P384) {
  const Report r = run_wycheproof_ecdsa("ecdsa_secp384r1_sha384_p1363_test.json", JwsAlgorithm::kES384, "P-384", 48);
  r.print();
  r.expect_no_failures();
  expect_checked(r, {JwsAlgorithm::kES384});
}

TEST(WycheproofEcdsaRaw, P521) {
  const Report r = run_wycheproof_ecdsa("ecdsa_secp521r1_sha512_p1363_test.json", JwsAlgorithm::kES512, "P-521", 66);
  r.print();
  r.expect_no_failures();
  expect_checked(r, {JwsAlgorithm::kES512});
}

TEST(JoseCookbook, Rfc7520ExamplesVerifyAlteredCopiesDoNot) {
  const Report r = run_cookbook();
  r.print();
  r.expect_no_failures();
  expect_checked(r, {JwsAlgorithm::kRS256, JwsAlgorithm::kPS384, JwsAlgorithm::kES512, JwsAlgorithm::kEdDSA});
}

// Every algorithm ClaimMap accepts meets third-party vectors that verify and
// altered or invalid ones that do not.
TEST(JoseVectors, EveryAcceptedAlgorithmIsChecked) {
  const Report all = run_all();
  std::printf("\n[checked per accepted algorithm, all suites]\n");
  for (JwsAlgorithm alg : kAccepted) {
    auto it = all.by_alg.find(name_of(alg));
    const Counts c = it == all.by_alg.end() ? Counts{} : it->second;
    std::printf("  %-6s valid %4d  invalid %4d  altered %4d  policy-skipped %3d  gaps %d\n", name_of(alg).c_str(),
                c.valid, c.invalid, c.altered, c.policy, c.gaps);
    EXPECT_GT(c.valid, 0) << "no valid third-party vector verified for " << name_of(alg);
    EXPECT_GT(c.invalid + c.altered, 0) << "no invalid or altered vector refused for " << name_of(alg);
  }
  std::fflush(stdout);
  EXPECT_TRUE(all.failures.empty()) << all.failures.size() << " failures (see the suites' own tests)";
}

}  // namespace
}  // namespace claimmap
