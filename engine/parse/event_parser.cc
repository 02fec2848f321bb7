#include "engine/parse/event_parser.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>

#include <simdjson.h>

#include "engine/common/json_text.h"
#include "engine/jose/jws_verifier.h"

namespace claimmap {

namespace od = simdjson::ondemand;
using simdjson::error_code;

int64_t TokenClock::now() const { return fixed ? *fixed : static_cast<int64_t>(std::time(nullptr)); }

std::string_view event_kind_name(EventKind kind) {
  switch (kind) {
    case EventKind::kLogin: return "login";
    case EventKind::kAssign: return "assign";
    case EventKind::kUnassign: return "unassign";
    case EventKind::kGrant: return "grant";
    case EventKind::kRevoke: return "revoke";
    case EventKind::kSuspend: return "suspend";
    case EventKind::kResume: return "resume";
    case EventKind::kDelete: return "delete";
  }
  return "login";
}

void ClaimCaptures::reset(size_t node_count) {
  if (slots_.size() != node_count) {
    slots_.assign(node_count, CaptureSlot{});
    touched_.clear();
  } else {
    for (uint32_t node : touched_) slots_[node] = CaptureSlot{};
    touched_.clear();
  }
  entries_.clear();
  has_claim_names = false;
  claim_names.clear();
}

CaptureSlot& ClaimCaptures::touch(uint32_t node) {
  CaptureSlot& s = slots_[node];
  if (s.kind == ValueKind::kAbsent) touched_.push_back(node);
  s.begin = s.end = static_cast<uint32_t>(entries_.size());
  return s;
}

void ClaimCaptures::add_candidate(uint32_t node, std::string_view text) {
  CaptureSlot& s = slots_[node];
  if (s.end != entries_.size()) s.contiguous = false;  // a nested capture came in between
  entries_.push_back({node, text});
  s.end = static_cast<uint32_t>(entries_.size());
}

namespace {

constexpr int kMaxDepth = 1024;

// Names of the members that make a line an envelope or a push (docs/spec.md §3).
struct RootMember {
  bool present = false;
  od::json_type type = od::json_type::null;
  std::string_view text;  // when a string
};

struct RootMembers {
  RootMember claims, token, type, provider, subject, group, role;
};

std::string_view json_type_name(od::json_type t) {
  switch (t) {
    case od::json_type::array: return "array";
    case od::json_type::object: return "object";
    case od::json_type::number: return "number";
    case od::json_type::string: return "string";
    case od::json_type::boolean: return "boolean";
    case od::json_type::null: return "null";
  }
  return "value";
}

std::string malformed_reason(error_code e) {
  switch (e) {
    case simdjson::UTF8_ERROR: return "not valid UTF-8";
    case simdjson::UNESCAPED_CHARS: return "control character inside a string";
    case simdjson::UNCLOSED_STRING: return "unclosed string";
    case simdjson::STRING_ERROR: return "bad escape in a string";
    case simdjson::NUMBER_ERROR: return "bad number";
    case simdjson::DEPTH_ERROR: return "nested deeper than 1024 levels";
    case simdjson::T_ATOM_ERROR:
    case simdjson::F_ATOM_ERROR:
    case simdjson::N_ATOM_ERROR: return "bad literal";
    case simdjson::EMPTY: return "no JSON value";
    case simdjson::TRAILING_CONTENT: return "unexpected content after the value";
    default: return "bad structure";
  }
}

}  // namespace

struct EventParser::Impl {
  od::parser parser;
  const CompiledConfig* config = nullptr;
  ClaimCaptures root_claims;      // the line read as a bare token
  ClaimCaptures envelope_claims;  // an envelope's "claims" object
  std::vector<std::string_view> keys;  // member names of the open objects, for duplicate checks
  bool duplicate_found = false;
  std::string duplicate_name;
  RootMembers root;
  char index_buf[24];
  // A signed token's payload is a second document, read while the line's
  // own (whose strings the envelope's members view) is still in use.
  od::parser payload_parser;
  JwsVerifier verifier;

  explicit Impl(size_t max_line_bytes) : parser(max_line_bytes + 64), payload_parser(max_line_bytes + 64) {}

  // A login that carries a signed token: docs/spec.md §15's seven steps, then
  // the payload's claims as an envelope's.
  void token_login(const RootMember& provider_member, std::string_view token, const TokenClock& clock,
                   ParsedEvent* out);

  void capture_scalar(ClaimCaptures* cs, uint32_t node, ValueKind kind, std::string_view text) {
    CaptureSlot& s = cs->touch(node);
    s.kind = kind;
    s.scalar = text;
    const bool gives_candidate = kind == ValueKind::kString || kind == ValueKind::kNumber || kind == ValueKind::kBool;
    if (gives_candidate && config->trie.nodes[node].captured) {
      cs->add_candidate(node, text);
    }
  }

  // Reads a scalar completely (validating it) and returns its kind and text.
  error_code read_scalar(od::value& v, od::json_type t, ValueKind* kind, std::string_view* text) {
    switch (t) {
      case od::json_type::string:
        *kind = ValueKind::kString;
        return v.get_string().get(*text);
      case od::json_type::number: {
        *text = json_text::trim_json_whitespace(v.raw_json_token());
        *kind = ValueKind::kNumber;
        // On-Demand checks numbers only when asked for their value; the literal
        // text is what matching compares, so check its grammar here.
        return json_text::is_number(*text) ? simdjson::SUCCESS : simdjson::NUMBER_ERROR;
      }
      case od::json_type::boolean: {
        bool b;
        if (auto e = v.get_bool().get(b)) return e;
        *kind = ValueKind::kBool;
        *text = b ? "true" : "false";
        return simdjson::SUCCESS;
      }
      case od::json_type::null: {
        bool is_null;
        if (auto e = v.is_null().get(is_null)) return e;
        if (!is_null) return simdjson::N_ATOM_ERROR;
        *kind = ValueKind::kNull;
        return simdjson::SUCCESS;
      }
      default:
        return simdjson::INCORRECT_TYPE;
    }
  }

  uint32_t child_node(ClaimCaptures* cs, uint32_t node, std::string_view name) const {
    if (cs == nullptr || node == kNoIndex) return kNoIndex;
    return config->trie.child(node, name);
  }

  // Walks any value. `node` is its capture-trie node (kNoIndex when no claim
  // path leads here); `parent` is a captured array whose candidates a scalar
  // element adds to (docs/spec.md §4 step 2).
  error_code walk_value(od::value& v, ClaimCaptures* cs, uint32_t node, uint32_t parent, int depth) {
    od::json_type t;
    if (auto e = v.type().get(t)) return e;
    // Every node on a claim path records its kind (a pointer's top-level member
    // must be known present for overage); captured nodes also keep candidates.
    const bool tracked = cs != nullptr && node != kNoIndex;
    const bool captured = tracked && config->trie.nodes[node].captured;
    if (parent != kNoIndex && t != od::json_type::string) cs->note_not_string(parent);
    if (t == od::json_type::object) {
      if (depth >= kMaxDepth) return simdjson::DEPTH_ERROR;
      od::object o;
      if (auto e = v.get_object().get(o)) return e;
      if (tracked) cs->touch(node).kind = ValueKind::kObject;
      return walk_object(o, cs, node, depth + 1, /*claims_root=*/false);
    }
    if (t == od::json_type::array) {
      if (depth >= kMaxDepth) return simdjson::DEPTH_ERROR;
      od::array a;
      if (auto e = v.get_array().get(a)) return e;
      if (tracked) cs->touch(node).kind = ValueKind::kArray;
      return walk_array(a, cs, node, captured ? node : kNoIndex, depth + 1);
    }
    ValueKind kind;
    std::string_view text;
    if (auto e = read_scalar(v, t, &kind, &text)) return e;
    if (tracked) capture_scalar(cs, node, kind, text);
    if (parent != kNoIndex && kind != ValueKind::kNull) cs->add_candidate(parent, text);
    return simdjson::SUCCESS;
  }

  error_code walk_array(od::array& a, ClaimCaptures* cs, uint32_t node, uint32_t captured_parent, int depth) {
    const bool has_children = cs != nullptr && node != kNoIndex && !config->trie.nodes[node].children.empty();
    size_t index = 0;
    for (auto element : a) {
      od::value v;
      if (auto e = element.get(v)) return e;
      uint32_t child = kNoIndex;
      if (has_children) {  // JSON Pointer array index tokens ("/groups/0")
        auto r = std::to_chars(index_buf, index_buf + sizeof index_buf, index);
        child = child_node(cs, node, std::string_view(index_buf, static_cast<size_t>(r.ptr - index_buf)));
      }
      // Objects and nested arrays inside a claim array give no candidates.
      if (auto e = walk_value(v, cs, child, captured_parent, depth)) return e;
      ++index;
    }
    return simdjson::SUCCESS;
  }

  void check_duplicates(size_t first_key) {
    if (duplicate_found) return;
    const size_t n = keys.size() - first_key;
    auto begin = keys.begin() + static_cast<std::ptrdiff_t>(first_key);
    if (n <= 16) {
      // A key is compared with the ones before it only when a 64-bit mask of
      // (length, first and last byte) says one of them may be the same: a
      // token's dozen keys then cost a dozen bit tests, not every pair (and
      // keys of one length, "iss", "sub", "aud", "exp", are the rule there).
      auto sign = [](std::string_view k) {
        const unsigned h = k.empty() ? 0u
                                     : static_cast<unsigned>(k.size()) * 7u +
                                           static_cast<unsigned char>(k.front()) * 3u +
                                           static_cast<unsigned char>(k.back());
        return uint64_t{1} << (h & 63);
      };
      auto same = [](std::string_view a, std::string_view b) {
        return a.size() == b.size() && (a.empty() || (a.front() == b.front() && a.back() == b.back() && a == b));
      };
      uint64_t seen = 0;
      for (size_t i = first_key; i < keys.size(); ++i) {
        const uint64_t bit = sign(keys[i]);
        if (seen & bit) {
          for (size_t j = first_key; j < i; ++j) {
            if (same(keys[i], keys[j])) return note_duplicate(keys[i]);
          }
        }
        seen |= bit;
      }
      return;
    }
    std::sort(begin, keys.end());
    auto dup = std::adjacent_find(begin, keys.end());
    if (dup != keys.end()) note_duplicate(*dup);
  }

  void note_duplicate(std::string_view name) {
    duplicate_found = true;
    duplicate_name.assign(name);
  }

  error_code walk_object(od::object& o, ClaimCaptures* cs, uint32_t node, int depth, bool claims_root) {
    const size_t first_key = keys.size();
    for (auto field : o) {
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return e;
      keys.push_back(key);
      od::value v;
      if (auto e = field.value().get(v)) return e;
      if (claims_root && key == "_claim_names") {
        if (auto e = walk_claim_names(v, cs, depth)) return e;
        continue;
      }
      if (auto e = walk_value(v, cs, child_node(cs, node, key), kNoIndex, depth)) return e;
    }
    check_duplicates(first_key);
    keys.resize(first_key);
    return simdjson::SUCCESS;
  }

  // `_claim_names` lists the claims an IdP left out for size (docs/spec.md §4, overage).
  error_code walk_claim_names(od::value& v, ClaimCaptures* cs, int depth) {
    od::json_type t;
    if (auto e = v.type().get(t)) return e;
    if (t != od::json_type::object) return walk_value(v, nullptr, kNoIndex, kNoIndex, depth);
    od::object o;
    if (auto e = v.get_object().get(o)) return e;
    cs->has_claim_names = true;
    const size_t first_key = keys.size();
    for (auto field : o) {
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return e;
      keys.push_back(key);
      cs->claim_names.push_back(key);
      od::value member;
      if (auto e = field.value().get(member)) return e;
      if (auto e = walk_value(member, nullptr, kNoIndex, kNoIndex, depth + 1)) return e;
    }
    check_duplicates(first_key);
    keys.resize(first_key);
    return simdjson::SUCCESS;
  }

  RootMember* root_member(std::string_view key) {
    if (key.size() < 4 || key.size() > 8) return nullptr;
    if (key == "claims") return &root.claims;
    if (key == "token") return &root.token;
    if (key == "type") return &root.type;
    if (key == "provider") return &root.provider;
    if (key == "subject") return &root.subject;
    if (key == "group") return &root.group;
    if (key == "role") return &root.role;
    return nullptr;
  }

  // The line's own object: read as a bare token (into root_claims) and, at the
  // same time, for the members of envelopes and pushes.
  error_code walk_root(od::object& o) {
    const size_t first_key = keys.size();
    for (auto field : o) {
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return e;
      keys.push_back(key);
      od::value v;
      if (auto e = field.value().get(v)) return e;
      RootMember* member = root_member(key);
      if (member == nullptr) {
        if (key == "_claim_names") {
          if (auto e = walk_claim_names(v, &root_claims, 1)) return e;
        } else if (auto e = walk_value(v, &root_claims, child_node(&root_claims, CaptureTrie::kRoot, key), kNoIndex, 1)) {
          return e;
        }
        continue;
      }
      member->present = true;
      if (auto e = v.type().get(member->type)) return e;
      if (member == &root.claims && member->type == od::json_type::object) {
        od::object claims;
        if (auto e = v.get_object().get(claims)) return e;
        if (auto e = walk_object(claims, &envelope_claims, CaptureTrie::kRoot, 2, /*claims_root=*/true)) return e;
        continue;
      }
      const uint32_t node = child_node(&root_claims, CaptureTrie::kRoot, key);
      if (member->type == od::json_type::string) {
        if (auto e = v.get_string().get(member->text)) return e;
        if (node != kNoIndex) capture_scalar(&root_claims, node, ValueKind::kString, member->text);
        continue;
      }
      if (auto e = walk_value(v, &root_claims, node, kNoIndex, 1)) return e;
    }
    check_duplicates(first_key);
    keys.resize(first_key);
    return simdjson::SUCCESS;
  }

  // Validates the whole line. Returns the first parse error (malformed JSON);
  // duplicates and the root's type are left in members for the caller.
  // A line that is one number, boolean or null must be exactly that token.
  // Checked on the text: simdjson 3.0.1's root getters look past the token
  // (is_root_null() reads json[5], so "null0" passes and "null " fails on the
  // padding bytes) and a root number's getter ignores what follows ("1 2").
  static error_code check_root_atom(od::document& doc, od::json_type type, std::string_view line) {
    std::string_view token;
    if (auto e = doc.raw_json_token().get(token)) return e;
    token = json_text::trim_json_whitespace(token);
    const bool valid = type == od::json_type::number    ? json_text::is_number(token)
                       : type == od::json_type::boolean ? token == "true" || token == "false"
                                                        : token == "null";
    if (!valid) return type == od::json_type::number ? simdjson::NUMBER_ERROR : simdjson::N_ATOM_ERROR;
    // Nothing but JSON whitespace may follow the token.
    const size_t end = static_cast<size_t>(token.data() + token.size() - line.data());
    if (!json_text::trim_json_whitespace(line.substr(end)).empty()) return simdjson::TRAILING_CONTENT;
    return simdjson::SUCCESS;
  }

  // A verified-to-be-decoded token payload (docs/spec.md §15 step 1): a JSON
  // object without repeated member names, read as an envelope's claims into
  // envelope_claims. False with the reason otherwise.
  bool walk_payload(std::string_view payload, std::string* why) {
    envelope_claims.reset(config->trie.nodes.size());
    duplicate_found = false;
    od::document doc;
    od::json_type type = od::json_type::null;
    error_code e = payload_parser.iterate(payload.data(), payload.size(), payload.size() + simdjson::SIMDJSON_PADDING).get(doc);
    if (!e) e = doc.type().get(type);
    if (!e && type != od::json_type::object) {
      *why = "the payload is not a JSON object";
      return false;
    }
    od::object o;
    if (!e) e = doc.get_object().get(o);
    if (!e) e = walk_object(o, &envelope_claims, CaptureTrie::kRoot, 1, /*claims_root=*/true);
    if (!e && doc.current_location().error() != simdjson::OUT_OF_BOUNDS) e = simdjson::TRAILING_CONTENT;
    if (e) {
      *why = "the payload is not JSON in UTF-8: " + malformed_reason(e);
      return false;
    }
    if (duplicate_found) {
      *why = "member " + json_text::quoted(duplicate_name) + " appears twice in the payload";
      return false;
    }
    return true;
  }

  error_code walk_document(od::document& doc, std::string_view line, od::json_type* root_type) {
    if (auto e = doc.type().get(*root_type)) return e;
    switch (*root_type) {
      case od::json_type::object: {
        od::object o;
        if (auto e = doc.get_object().get(o)) return e;
        if (auto e = walk_root(o)) return e;
        break;
      }
      case od::json_type::array: {
        od::array a;
        if (auto e = doc.get_array().get(a)) return e;
        if (auto e = walk_array(a, nullptr, kNoIndex, kNoIndex, 1)) return e;
        break;
      }
      case od::json_type::string: {
        std::string_view s;
        if (auto e = doc.get_string().get(s)) return e;
        break;
      }
      case od::json_type::number:
      case od::json_type::boolean:
      case od::json_type::null:
        return check_root_atom(doc, *root_type, line);
    }
    // simdjson 3.0 has no document::at_end(): past the last token,
    // current_location() answers OUT_OF_BOUNDS.
    if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) return simdjson::TRAILING_CONTENT;
    return simdjson::SUCCESS;
  }
};

EventParser::EventParser(size_t max_line_bytes)
    : impl_(std::make_unique<Impl>(max_line_bytes)), max_line_bytes_(max_line_bytes) {}
EventParser::~EventParser() = default;

namespace {

void fail(ParsedEvent* out, ErrorCode code, std::string message) {
  out->error = code;
  out->error_message = std::move(message);
}

bool push_kind(std::string_view type, EventKind* kind) {
  static constexpr std::pair<std::string_view, EventKind> kKinds[] = {
      {"login", EventKind::kLogin},   {"assign", EventKind::kAssign},   {"unassign", EventKind::kUnassign},
      {"grant", EventKind::kGrant},   {"revoke", EventKind::kRevoke},   {"suspend", EventKind::kSuspend},
      {"resume", EventKind::kResume}, {"delete", EventKind::kDelete},
  };
  for (const auto& [name, k] : kKinds) {
    if (name == type) {
      *kind = k;
      return true;
    }
  }
  return false;
}

// A login's subject and iat from its claims, its provider known (docs/spec.md §3, §5).
void resolve_subject(const CompiledConfig& config, const ClaimCaptures& claims, ParsedEvent* out);

// Resolves a login's provider, subject and iat from its decoded claims
// (docs/spec.md §3, §5); a provider with keys refuses them (§15).
void resolve_login(const CompiledConfig& config, const RootMember& provider_member, const ClaimCaptures& claims,
                   ParsedEvent* out) {
  const CaptureSlot& iss = claims.slot(config.iss_node);
  if (provider_member.present) {
    auto it = config.provider_by_id.find(provider_member.text);
    if (it == config.provider_by_id.end()) {
      return fail(out, ErrorCode::kUnknownProvider, "no provider " + json_text::quoted(provider_member.text));
    }
    const ProviderDef& def = config.provider(it->second).def;
    // A token of one IdP must not be evaluated against another IdP's mappings:
    // an iss that is present (not null) must be this provider's issuer, or, for
    // a provider without one, must not be another provider's.
    const bool has_iss = iss.kind != ValueKind::kAbsent && iss.kind != ValueKind::kNull;
    if (def.has_issuer && has_iss && iss.kind != ValueKind::kString) {
      return fail(out, ErrorCode::kUnknownProvider,
                  "token iss is not a string; provider " + json_text::quoted(def.id) + " has an issuer");
    }
    if (def.has_issuer && iss.kind == ValueKind::kString && iss.scalar != def.issuer) {
      return fail(out, ErrorCode::kUnknownProvider,
                  "token iss " + json_text::quoted(iss.scalar) + " does not match the issuer of provider " +
                      json_text::quoted(def.id));
    }
    if (!def.has_issuer && iss.kind == ValueKind::kString) {
      auto owner = config.provider_by_issuer.find(iss.scalar);
      if (owner != config.provider_by_issuer.end()) {
        return fail(out, ErrorCode::kUnknownProvider,
                    "token iss " + json_text::quoted(iss.scalar) + " is the issuer of provider " +
                        json_text::quoted(config.provider(owner->second).def.id) + ", not of " +
                        json_text::quoted(def.id));
      }
    }
    out->provider = it->second;
  } else {
    if (iss.kind != ValueKind::kString) {
      return fail(out, ErrorCode::kUnknownProvider, "the token has no \"iss\" claim to find its provider by");
    }
    auto it = config.provider_by_issuer.find(iss.scalar);
    if (it == config.provider_by_issuer.end()) {
      return fail(out, ErrorCode::kUnknownProvider, "no provider has issuer " + json_text::quoted(iss.scalar));
    }
    out->provider = it->second;
  }
  out->provider_known = true;

  const TokenPolicy& policy = config.provider(out->provider).def.token;
  if (policy.has_keys && !policy.accept_unsigned) {
    return fail(out, ErrorCode::kUnsignedToken,
                "provider " + json_text::quoted(config.provider(out->provider).def.id) +
                    " has keys: its logins must carry a signed \"token\" (or set accept_unsigned)");
  }
  resolve_subject(config, claims, out);
}

void resolve_subject(const CompiledConfig& config, const ClaimCaptures& claims, ParsedEvent* out) {
  const CompiledProvider& provider = config.provider(out->provider);
  const CaptureSlot& subject = claims.slot(provider.subject_node);
  const bool ok_subject = (subject.kind == ValueKind::kString && !subject.scalar.empty()) ||
                          (subject.kind == ValueKind::kNumber && json_text::is_integer(subject.scalar));
  if (!ok_subject) {
    return fail(out, ErrorCode::kMissingSubject,
                "claim " + json_text::quoted(provider.def.subject_claim) + " must be a non-empty string or an integer");
  }
  out->subject = subject.scalar;
  out->subject_known = true;

  const CaptureSlot& iat = claims.slot(config.iat_node);
  if (iat.kind == ValueKind::kNumber) {
    double value = 0;
    auto r = std::from_chars(iat.scalar.data(), iat.scalar.data() + iat.scalar.size(), value);
    if (r.ec == std::errc()) {
      out->has_iat = true;
      out->iat = value;
    }
  }
  out->claims = &claims;
}

bool needs_group(EventKind kind) { return kind == EventKind::kAssign || kind == EventKind::kUnassign; }
bool needs_role(EventKind kind) { return kind == EventKind::kGrant || kind == EventKind::kRevoke; }

// A push's names (docs/spec.md §3, 2) resolved against the config, after its
// members' JSON types were checked: the one rule for pushes read from a
// line and pushes given as values (EventParser::resolve_push).
void resolve_push_names(const CompiledConfig& config, const PushFields& push, bool subject_ok, ParsedEvent* out) {
  auto provider = config.provider_by_id.find(push.provider);
  if (provider == config.provider_by_id.end()) {
    return fail(out, ErrorCode::kUnknownProvider, "no provider " + json_text::quoted(push.provider));
  }
  out->provider = provider->second;
  out->provider_known = true;
  if (!subject_ok || push.subject.empty()) {
    return fail(out, ErrorCode::kMissingSubject, "\"subject\" must be a non-empty string");
  }
  out->subject = push.subject;
  out->subject_known = true;
  if (needs_group(out->kind)) {
    const std::optional<GroupId> group = config.find_group(push.group);
    if (!group) return fail(out, ErrorCode::kUnknownGroup, "no group " + json_text::quoted(push.group));
    out->group = *group;
  }
  if (needs_role(out->kind)) {
    const std::optional<RoleId> role = config.find_role(push.role);
    if (!role) return fail(out, ErrorCode::kUnknownRole, "no role " + json_text::quoted(push.role));
    out->role = *role;
  }
}

void resolve_push_members(const CompiledConfig& config, const RootMembers& root, ParsedEvent* out) {
  const std::string type_name(event_kind_name(out->kind));
  auto require_string = [&](const RootMember& m, const char* name) {
    if (m.present && m.type == od::json_type::string) return true;
    fail(out, ErrorCode::kInvalidEvent, type_name + " needs \"" + name + "\" as a string");
    return false;
  };
  if (!require_string(root.provider, "provider")) return;
  if (needs_group(out->kind) && !require_string(root.group, "group")) return;
  if (needs_role(out->kind) && !require_string(root.role, "role")) return;
  const bool subject_ok = root.subject.present && root.subject.type == od::json_type::string;
  resolve_push_names(config, PushFields{out->kind, root.provider.text, root.subject.text, root.group.text, root.role.text},
                     subject_ok, out);
}

}  // namespace

void EventParser::Impl::token_login(const RootMember& provider_member, std::string_view token,
                                    const TokenClock& clock, ParsedEvent* out) {
  const CompiledConfig& c = *config;
  if (provider_member.present) {
    auto it = c.provider_by_id.find(provider_member.text);
    if (it == c.provider_by_id.end()) {
      return fail(out, ErrorCode::kUnknownProvider, "no provider " + json_text::quoted(provider_member.text));
    }
    out->provider = it->second;
    out->provider_known = true;
  }
  // 1. The form: three strict base64url parts, a header and a payload that
  // are JSON objects without repeated names. The payload is read even when
  // the rest is bad: without a named provider its iss finds the provider,
  // and unknown_provider comes before invalid_token (docs/spec.md §8.2).
  std::string why, payload_why;
  const bool form_ok = verifier.decode(token, &why) == TokenError::kNone;
  const bool payload_ok = verifier.payload_decoded() && walk_payload(verifier.payload(), &payload_why);
  if (!payload_ok || (!form_ok && out->provider_known)) {
    return fail(out, ErrorCode::kInvalidToken, "token: " + (form_ok ? payload_why : why));
  }
  const CaptureSlot& iss = envelope_claims.slot(c.iss_node);
  if (!out->provider_known) {  // the payload's iss, read before verification only to choose the keys
    if (iss.kind != ValueKind::kString) {
      return fail(out, ErrorCode::kUnknownProvider, "the token has no \"iss\" claim to find its provider by");
    }
    auto it = c.provider_by_issuer.find(iss.scalar);
    if (it == c.provider_by_issuer.end()) {
      return fail(out, ErrorCode::kUnknownProvider, "no provider has issuer " + json_text::quoted(iss.scalar));
    }
    out->provider = it->second;
    out->provider_known = true;
  }
  if (!form_ok) return fail(out, ErrorCode::kInvalidToken, "token: " + why);
  const ProviderDef& def = c.provider(out->provider).def;
  const TokenPolicy& policy = def.token;
  // 2–4. The algorithm from the provider's list, the key, the signature.
  switch (verifier.verify(policy.keys, policy.algorithms, &why)) {
    case TokenError::kNone: break;
    case TokenError::kInvalidToken: return fail(out, ErrorCode::kInvalidToken, "token: " + why);
    case TokenError::kUnknownKey: return fail(out, ErrorCode::kUnknownKey, "token: " + why);
    case TokenError::kInvalidSignature: return fail(out, ErrorCode::kInvalidSignature, "token: " + why);
  }
  // 5. The issuer.
  if (iss.kind != ValueKind::kString || iss.scalar != def.issuer) {
    return fail(out, ErrorCode::kWrongIssuer,
                std::string("token: ") + (iss.kind == ValueKind::kString ? "iss " + json_text::quoted(iss.scalar) : "no string \"iss\"") +
                    "; provider " + json_text::quoted(def.id) + " has issuer " + json_text::quoted(def.issuer));
  }
  // 6. The times, with the provider's leeway. A token without exp never
  // expires, and is refused for that.
  const double now = static_cast<double>(clock.now());
  const double leeway = static_cast<double>(policy.leeway_seconds);
  auto number = [&](uint32_t node, double* value) {
    if (node == kNoIndex) return false;
    const CaptureSlot& slot = envelope_claims.slot(node);
    if (slot.kind != ValueKind::kNumber) return false;
    auto r = std::from_chars(slot.scalar.data(), slot.scalar.data() + slot.scalar.size(), *value);
    return r.ec == std::errc() && std::isfinite(*value);
  };
  double exp = 0;
  if (!number(c.exp_node, &exp)) return fail(out, ErrorCode::kTokenExpired, "token: no numeric \"exp\" (a token must expire)");
  if (!(now <= exp + leeway)) {
    return fail(out, ErrorCode::kTokenExpired,
                "token: expired at " + std::string(json_text::trim_json_whitespace(envelope_claims.slot(c.exp_node).scalar)) +
                    "; now is " + std::to_string(clock.now()) + ", leeway " + std::to_string(policy.leeway_seconds) + " s");
  }
  if (c.nbf_node != kNoIndex && envelope_claims.slot(c.nbf_node).kind != ValueKind::kAbsent) {
    double nbf = 0;
    if (!number(c.nbf_node, &nbf)) return fail(out, ErrorCode::kTokenNotYetValid, "token: \"nbf\" is not a number");
    if (!(now >= nbf - leeway)) {
      return fail(out, ErrorCode::kTokenNotYetValid,
                  "token: not valid before " + std::string(envelope_claims.slot(c.nbf_node).scalar) + "; now is " +
                      std::to_string(clock.now()) + ", leeway " + std::to_string(policy.leeway_seconds) + " s");
    }
  }
  // 7. The audience, when the provider names its own.
  if (!policy.audiences.empty()) {
    bool found = false;
    auto check = [&](std::string_view aud) {
      for (const std::string& a : policy.audiences) found = found || a == aud;
    };
    const CaptureSlot& aud = envelope_claims.slot(c.aud_node);
    if (aud.kind == ValueKind::kString) {
      check(aud.scalar);
    } else if (aud.kind == ValueKind::kArray && aud.only_strings) {
      envelope_claims.for_each_candidate(c.aud_node, check);
    }
    if (!found) {
      return fail(out, ErrorCode::kWrongAudience,
                  "token: \"aud\" names none of the audiences of provider " + json_text::quoted(def.id));
    }
  }
  resolve_subject(c, envelope_claims, out);
}

void EventParser::resolve_push(const CompiledConfig& config, const PushFields& push, ParsedEvent* out) const {
  *out = ParsedEvent{};
  out->kind = push.kind;
  out->kind_known = true;
  if (push.kind == EventKind::kLogin) return fail(out, ErrorCode::kInvalidEvent, "a login push needs \"claims\"");
  resolve_push_names(config, push, true, out);
}

void EventParser::too_large(uint64_t length, ParsedEvent* out) const {
  *out = ParsedEvent{};
  fail(out, ErrorCode::kEventTooLarge,
       "line is " + std::to_string(length) + " bytes; the limit is " + std::to_string(max_line_bytes_));
}

void EventParser::parse(const CompiledConfig& config, std::string_view line, ParsedEvent* out, const TokenClock& clock) {
  if (line.size() > max_line_bytes_) return too_large(line.size(), out);
  *out = ParsedEvent{};
  Impl& s = *impl_;
  s.config = &config;
  s.root_claims.reset(config.trie.nodes.size());
  s.envelope_claims.reset(config.trie.nodes.size());
  s.keys.clear();
  s.duplicate_found = false;
  s.root = RootMembers{};

  od::document doc;
  od::json_type root_type = od::json_type::null;
  error_code e = s.parser.iterate(line.data(), line.size(), line.size() + simdjson::SIMDJSON_PADDING).get(doc);
  if (!e) e = s.walk_document(doc, line, &root_type);
  if (e) return fail(out, ErrorCode::kMalformedJson, "invalid JSON: " + malformed_reason(e));
  if (s.duplicate_found) {
    return fail(out, ErrorCode::kDuplicateClaim,
                "member " + json_text::quoted(s.duplicate_name) + " appears twice in one object");
  }
  if (root_type != od::json_type::object) {
    return fail(out, ErrorCode::kNotAnObject,
                "the line is a JSON " + std::string(json_type_name(root_type)) + ", not an object");
  }

  const RootMembers& root = s.root;
  if (root.claims.present || root.token.present) {  // an envelope (docs/spec.md §3, 1; §15)
    out->kind = EventKind::kLogin;
    out->kind_known = true;
    if (root.claims.present && root.token.present) {
      return fail(out, ErrorCode::kInvalidEvent, "an envelope carries \"claims\" or \"token\", not both");
    }
    if (root.claims.present && root.claims.type != od::json_type::object) {
      return fail(out, ErrorCode::kInvalidEvent, "\"claims\" must be an object");
    }
    if (root.token.present && root.token.type != od::json_type::string) {
      return fail(out, ErrorCode::kInvalidEvent, "\"token\" must be a string (a JWS in compact form)");
    }
    if (root.type.present) {
      if (root.type.type != od::json_type::string) return fail(out, ErrorCode::kInvalidEvent, "\"type\" must be a string");
      if (root.type.text != "login") {
        out->kind_known = false;
        return fail(out, ErrorCode::kUnknownEventType, "unknown event type " + json_text::quoted(root.type.text));
      }
    }
    if (root.provider.present && root.provider.type != od::json_type::string) {
      return fail(out, ErrorCode::kInvalidEvent, "\"provider\" must be a string");
    }
    if (root.token.present) return s.token_login(root.provider, root.token.text, clock, out);
    return resolve_login(config, root.provider, s.envelope_claims, out);
  }
  if (root.type.present) {  // a provisioning push (docs/spec.md §3, 2)
    if (root.type.type != od::json_type::string) return fail(out, ErrorCode::kInvalidEvent, "\"type\" must be a string");
    if (!push_kind(root.type.text, &out->kind)) {
      return fail(out, ErrorCode::kUnknownEventType, "unknown event type " + json_text::quoted(root.type.text));
    }
    out->kind_known = true;
    if (out->kind == EventKind::kLogin) return fail(out, ErrorCode::kInvalidEvent, "a login push needs \"claims\"");
    return resolve_push_members(config, root, out);
  }
  out->kind = EventKind::kLogin;  // a bare decoded token (docs/spec.md §3, 3)
  out->kind_known = true;
  return resolve_login(config, RootMember{}, s.root_claims, out);
}

}  // namespace claimmap
