#include "engine/config/config_loader.h"

#include <algorithm>
#include <string>

#include <boost/container/small_vector.hpp>
#include <simdjson.h>

#include "engine/common/file_io.h"
#include "engine/common/huge_pages.h"
#include "engine/common/parallel_pieces.h"
#include "engine/common/json_text.h"
#include "engine/config/claim_path.h"
#include "engine/jose/jwk.h"

namespace claimmap {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

std::string index_path(std::string_view base, size_t i) {
  std::string p(base);
  p += '[';
  p += std::to_string(i);
  p += ']';
  return p;
}

std::string member_path(std::string_view base, std::string_view name) {
  if (base.empty()) return std::string(name);
  std::string p(base);
  p += '.';
  p += name;
  return p;
}

// Where check_duplicates is, as a chain up to the root: the path is only
// spelled out for an error (a large config has millions of members, almost
// never a repeated one).
struct PathLink {
  const PathLink* parent;
  std::string_view key;  // a member's name, or empty for an array element
  size_t index;
  std::string root;  // only on the root link: the path the walk started from

  std::string spell() const {
    if (parent == nullptr) return root;
    const std::string up = parent->spell();
    return key.data() != nullptr ? member_path(up, key) : index_path(up, index);
  }
};

void check_duplicates(element e, const PathLink& at, std::vector<ConfigProblem>* errors) {
  if (e.type() == element_type::ARRAY) {
    size_t i = 0;
    for (element child : simdjson::dom::array(e.get_array().value_unsafe())) {
      check_duplicates(child, PathLink{&at, {}, i++, {}}, errors);
    }
    return;
  }
  if (e.type() != element_type::OBJECT) return;
  // Most objects have a few members: compared pairwise in a fixed buffer,
  // with no allocation; larger ones are sorted.
  constexpr size_t kSmall = 16;
  std::string_view small[kSmall];
  std::vector<std::string_view> large;
  size_t n = 0;
  const simdjson::dom::object object(e.get_object().value_unsafe());
  for (auto field : object) {
    if (n < kSmall) {
      small[n] = field.key;
    } else {
      if (large.empty()) large.assign(small, small + kSmall);
      large.push_back(field.key);
    }
    ++n;
    check_duplicates(field.value, PathLink{&at, field.key, 0, {}}, errors);
  }
  auto repeated = [&](std::string_view key) { errors->push_back({member_path(at.spell(), key), "member appears more than once"}); };
  if (n <= kSmall) {
    // Each repeated name once (at its second appearance), in name order as
    // for a large object.
    std::string_view names[kSmall];
    size_t m = 0;
    for (size_t i = 1; i < n; ++i) {
      size_t before = 0;
      for (size_t j = 0; j < i; ++j) before += small[j] == small[i];
      if (before == 1) names[m++] = small[i];
    }
    std::sort(names, names + m);
    for (size_t k = 0; k < m; ++k) repeated(names[k]);
    return;
  }
  std::sort(large.begin(), large.end());
  for (size_t i = 1; i < large.size(); ++i) {
    if (large[i] == large[i - 1] && (i + 1 == large.size() || large[i + 1] != large[i])) repeated(large[i]);
  }
}

void check_duplicates(element e, const std::string& path, std::vector<ConfigProblem>* errors) {
  check_duplicates(e, PathLink{nullptr, {}, 0, path}, errors);
}

const char* type_name(element_type t) {
  switch (t) {
    case element_type::ARRAY: return "an array";
    case element_type::OBJECT: return "an object";
    case element_type::STRING: return "a string";
    case element_type::BOOL: return "a boolean";
    case element_type::NULL_VALUE: return "null";
    default: return "a number";
  }
}

// Reads the members of one object, remembering which were asked for so that the
// rest can be reported as unknown (typos must not be silently ignored).
class ObjectReader {
 public:
  ObjectReader(element e, std::string path, std::vector<ConfigProblem>* errors)
      : path_(std::move(path)), errors_(errors) {
    read(e);
  }
  // Element `index` of the array at `array_path` (which must outlive the
  // reader): its path is spelled only for an error (a million mappings would
  // build a million "mappings[N]" strings).
  ObjectReader(element e, const std::string& array_path, size_t index, std::vector<ConfigProblem>* errors)
      : errors_(errors), array_path_(&array_path), index_(index) {
    read(e);
  }

  bool valid() const { return valid_; }
  std::string path() const { return array_path_ != nullptr ? index_path(*array_path_, index_) : path_; }

  // The member, or nullopt when absent (JSON null counts as absent where `null_is_absent`).
  // A repeated member is reported once, by check_duplicates, not also as unknown.
  std::optional<element> find(std::string_view name, bool null_is_absent = false) {
    std::optional<element> first;
    for (auto& f : fields_) {
      if (f.key != name) continue;
      if (!first) first = f.value;
      f.used = true;
    }
    if (first && null_is_absent && first->type() == element_type::NULL_VALUE) return std::nullopt;
    return first;
  }

  // The member, without marking it read (for sizing, not for reading).
  std::optional<element> peek(std::string_view name) const {
    for (const auto& f : fields_) {
      if (f.key == name) return f.value;
    }
    return std::nullopt;
  }

  // A string member within [min_len, max_len] code points.
  // A view into the parsed document: copy it where it must outlive that.
  std::optional<std::string_view> string(std::string_view name, bool required, size_t min_len, size_t max_len,
                                         bool null_is_absent = false) {
    auto e = find(name, null_is_absent);
    auto p = [&] { return member_path(path(), name); };  // only for an error: most members have none
    if (!e) {
      if (required) error(p(), "missing");
      return std::nullopt;
    }
    if (e->type() != element_type::STRING) {
      error(p(), std::string("must be a string, not ") + type_name(e->type()));
      return std::nullopt;
    }
    std::string_view s = e->get_string().value_unsafe();
    // Code points are never more than bytes, and a string of at least one
    // byte has one: most strings need no count (a twentieth of a large load).
    if (s.size() <= max_len && s.size() >= min_len && min_len <= 1) return s;
    const size_t n = json_text::count_code_points(s);
    if (n < min_len) {
      error(p(), min_len == 1 ? "empty" : "shorter than " + std::to_string(min_len) + " characters");
      return std::nullopt;
    }
    if (n > max_len) {
      error(p(), "longer than " + std::to_string(max_len) + " characters");
      return std::nullopt;
    }
    return s;
  }

  std::optional<std::string_view> id(bool required = true) { return string("id", required, 1, kMaxIdLength); }

  void finish() {
    if (!valid_) return;
    for (const auto& f : fields_) {
      if (!f.used) error(member_path(path(), f.key), "unknown member");
    }
  }

  void error(std::string path, std::string message) { errors_->push_back({std::move(path), std::move(message)}); }

  static constexpr size_t kMaxIdLength = 256;

 private:
  struct Field {
    std::string_view key;
    element value;
    bool used;
  };
  void read(element e) {
    if (e.type() != element_type::OBJECT) {
      error(path(), std::string("must be an object, not ") + type_name(e.type()));
      valid_ = false;
      return;
    }
    for (auto field : simdjson::dom::object(e.get_object().value_unsafe())) fields_.push_back({field.key, field.value, false});
  }

  std::string path_;
  std::vector<ConfigProblem>* errors_;
  const std::string* array_path_ = nullptr;  // with index_, instead of path_
  size_t index_ = 0;
  // In place for an object of up to 8 members (a mapping has 4 to 7): a
  // million objects read without an allocation each.
  boost::container::small_vector<Field, 8> fields_;
  bool valid_ = true;
};

// Calls `each(element, path)` for every element of the array member `name`.
template <typename F>
void for_each_in_array(ObjectReader& obj, std::string_view name, F each) {
  auto e = obj.find(name);
  if (!e) return;
  const std::string p = member_path(obj.path(), name);
  if (e->type() != element_type::ARRAY) {
    obj.error(p, std::string("must be an array, not ") + type_name(e->type()));
    return;
  }
  size_t i = 0;
  for (element item : simdjson::dom::array(e->get_array().value_unsafe())) each(item, index_path(p, i++));
}

// A stage or role name in a list: an id, with the limits of ids.
std::optional<std::string> string_item(element e, const std::string& path, std::vector<ConfigProblem>* errors) {
  if (e.type() != element_type::STRING) {
    errors->push_back({path, std::string("must be a string, not ") + type_name(e.type())});
    return std::nullopt;
  }
  std::string_view s = e.get_string().value_unsafe();
  if (s.empty()) {
    errors->push_back({path, "empty"});
    return std::nullopt;
  }
  if (json_text::count_code_points(s) > ObjectReader::kMaxIdLength) {
    errors->push_back({path, "longer than " + std::to_string(ObjectReader::kMaxIdLength) + " characters"});
    return std::nullopt;
  }
  return std::string(s);
}

// A JWK Set file (`jwks_file`), relative to the config's folder: read and
// checked whole, its problems under the member's path.
void read_jwks_file(const std::string& file, const std::string& base_dir, const std::string& path, KeySet* keys,
                    std::vector<ConfigProblem>* errors) {
  const std::string full = file.front() == '/' || base_dir.empty() ? file : base_dir + "/" + file;
  Result<std::string> text = read_file(full);
  if (!text.ok()) return errors->push_back({path, "cannot read " + json_text::quoted(full) + ": " + text.status().message()});
  simdjson::dom::parser parser;
  simdjson::padded_string padded(text.value());
  element root;
  if (auto err = parser.parse(padded).get(root)) {
    return errors->push_back({path, json_text::quoted(full) + " is not valid JSON: " + simdjson::error_message(err)});
  }
  const size_t before = errors->size();
  check_duplicates(root, path, errors);
  if (errors->size() == before) read_jwk_set(root, path, keys, errors);
}

// The members of docs/spec.md §15 on a provider: its keys and how its tokens are checked.
void read_token_policy(ObjectReader& obj, const std::string& path, const std::string& base_dir, ProviderDef* p,
                       std::vector<ConfigProblem>* errors) {
  TokenPolicy& t = p->token;
  auto jwks = obj.find("jwks", /*null_is_absent=*/true);
  auto file = obj.string("jwks_file", false, 1, 4096, /*null_is_absent=*/true);
  if (jwks && file) {
    obj.error(member_path(path, "jwks_file"), "give \"jwks\" or \"jwks_file\", not both");
  } else if (jwks) {
    t.has_keys = true;
    read_jwk_set(*jwks, member_path(path, "jwks"), &t.keys, errors);
  } else if (file) {
    t.has_keys = true;
    t.jwks_file = *file;
    read_jwks_file(t.jwks_file, base_dir, member_path(path, "jwks_file"), &t.keys, errors);
  }
  if (auto algorithms = obj.find("algorithms")) {
    const std::string ap = member_path(path, "algorithms");
    t.algorithms = AlgorithmSet{};
    if (algorithms->type() != element_type::ARRAY) {
      obj.error(ap, "must be an array of algorithm names");
    } else {
      size_t i = 0;
      for (element a : simdjson::dom::array(algorithms->get_array().value_unsafe())) {
        const std::string item = index_path(ap, i++);
        if (a.type() != element_type::STRING) {
          obj.error(item, std::string("must be a string, not ") + type_name(a.type()));
          continue;
        }
        std::string_view name = a.get_string().value_unsafe();
        if (auto alg = jws_algorithm_from_name(name)) {
          t.algorithms.add(*alg);
        } else if (name == "none") {
          obj.error(item, "\"none\" is never accepted: a token must be signed");
        } else if (name == "HS256" || name == "HS384" || name == "HS512") {
          obj.error(item, json_text::quoted(name) + " is refused: an HMAC key is a secret shared with every relying party");
        } else {
          obj.error(item, "unknown algorithm " + json_text::quoted(name) +
                              " (RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA)");
        }
      }
      if (i == 0) obj.error(ap, "empty");
    }
  }
  for_each_in_array(obj, "audiences", [&](element item, const std::string& ip) {
    if (item.type() != element_type::STRING || item.get_string().value_unsafe().empty()) {
      obj.error(ip, "must be a non-empty string");
    } else {
      t.audiences.emplace_back(item.get_string().value_unsafe());
    }
  });
  if (auto a = obj.find("audiences"); a && a->type() == element_type::ARRAY && t.audiences.empty() &&
                                      simdjson::dom::array(a->get_array().value_unsafe()).size() == 0) {
    obj.error(member_path(path, "audiences"), "empty: leave it out to accept any audience");
  }
  if (auto leeway = obj.find("leeway_seconds")) {
    int64_t v = 0;
    if (leeway->get_int64().get(v) || v < 0 || v > 600) {
      obj.error(member_path(path, "leeway_seconds"), "must be a whole number of seconds from 0 to 600");
    } else {
      t.leeway_seconds = v;
    }
  }
  if (auto unsigned_ok = obj.find("accept_unsigned")) {
    bool v = false;
    if (unsigned_ok->get_bool().get(v)) {
      obj.error(member_path(path, "accept_unsigned"), "must be true or false");
    } else {
      t.accept_unsigned = v;
    }
  }
  if (t.has_keys && !p->has_issuer) {
    obj.error(member_path(path, "issuer"), "missing: a provider with keys needs an issuer (tokens are checked against it)");
  }
}

// A `match` member (docs/spec.md §16): absent means exact.
MatchKind read_match_kind(ObjectReader& obj) {
  auto kind = obj.string("match", false, 1, 16, /*null_is_absent=*/true);
  if (!kind) return MatchKind::kExact;
  if (auto k = parse_match_kind(*kind)) return *k;
  obj.error(member_path(obj.path(), "match"), "must be \"exact\", \"prefix\", \"glob\" or \"regex\", not " + json_text::quoted(*kind));
  return MatchKind::kExact;
}

// A claim path member: a name, or a JSON Pointer (docs/spec.md §2).
std::optional<std::string_view> read_claim(ObjectReader& obj) {
  auto claim = obj.string("claim", true, 1, 50);
  if (!claim) return std::nullopt;
  if (!parse_claim_path(*claim)) {
    obj.error(member_path(obj.path(), "claim"), "invalid JSON Pointer: \"~\" must be followed by 0 or 1");
    return std::nullopt;
  }
  return claim;
}

void read_require_rule(element e, const std::string& path, ProviderDef* p, std::vector<ConfigProblem>* errors) {
  ObjectReader obj(e, path, errors);
  RequireDef r;
  if (obj.valid()) {
    if (auto claim = read_claim(obj)) r.claim = *claim;
    if (auto value = obj.string("value", true, 1, 256)) r.value = *value;
    if (auto delimiter = obj.string("delimiter", false, 0, 3, /*null_is_absent=*/true)) r.delimiter = *delimiter;
    r.match = read_match_kind(obj);
    obj.finish();
  }
  // Keep indices aligned with the file so that later errors name the right rule.
  p->require.push_back(std::move(r));
}

void read_provider(element e, const std::string& path, const std::string& base_dir, ConfigModel* model,
                   std::vector<ConfigProblem>* errors) {
  ObjectReader obj(e, path, errors);
  // Keep indices aligned with the file so that later errors name the right item.
  if (!obj.valid()) return model->providers.emplace_back(), void();
  ProviderDef p;
  if (auto id = obj.id()) p.id = *id;
  if (auto type = obj.string("type", true, 1, 16)) {
    if (*type == "oidc") {
      p.type = ProviderType::kOidc;
    } else if (*type == "saml") {
      p.type = ProviderType::kSaml;
    } else {
      obj.error(member_path(path, "type"), "must be \"oidc\" or \"saml\", not " + json_text::quoted(*type));
    }
  }
  if (auto issuer = obj.string("issuer", false, 1, 2048, /*null_is_absent=*/true)) {
    p.has_issuer = true;
    p.issuer = *issuer;
  }
  if (auto scope = obj.find("scope")) {
    const std::string sp = member_path(path, "scope");
    if (scope->type() == element_type::STRING && scope->get_string().value_unsafe() == "organization") {
      p.organization_scope = true;
    } else if (scope->type() == element_type::ARRAY) {
      size_t i = 0;
      for (element s : simdjson::dom::array(scope->get_array().value_unsafe())) {
        if (auto stage = string_item(s, index_path(sp, i), errors)) p.scope_stages.push_back(*stage);
        ++i;
      }
    } else {
      obj.error(sp, "must be \"organization\" or a list of stages");
    }
  } else {
    obj.error(member_path(path, "scope"), "missing");
  }
  if (auto subject = obj.string("subject_claim", false, 1, 50, /*null_is_absent=*/true)) p.subject_claim = *subject;
  read_token_policy(obj, path, base_dir, &p, errors);
  for_each_in_array(obj, "require", [&](element item, const std::string& rp) { read_require_rule(item, rp, &p, errors); });
  obj.finish();
  model->providers.push_back(std::move(p));
}

void read_role(element e, const std::string& path, ConfigModel* model, std::vector<ConfigProblem>* errors) {
  ObjectReader obj(e, path, errors);
  // Keep indices aligned with the file so that later errors name the right item.
  if (!obj.valid()) return model->roles.emplace_back(), void();
  RoleDef r;
  if (auto id = obj.id()) r.id = *id;
  if (auto app = obj.string("app", true, 1, ObjectReader::kMaxIdLength)) r.app = *app;
  obj.finish();
  model->roles.push_back(std::move(r));
}

void read_group(element e, const std::string& path, ConfigModel* model, std::vector<ConfigProblem>* errors) {
  ObjectReader obj(e, path, errors);
  // Keep indices aligned with the file so that later errors name the right item.
  if (!obj.valid()) return model->groups.emplace_back(), void();
  GroupDef g;
  if (auto id = obj.id()) g.id = *id;
  if (auto stage = obj.string("stage", true, 1, ObjectReader::kMaxIdLength)) g.stage = *stage;
  for_each_in_array(obj, "roles", [&](element item, const std::string& p) {
    if (auto role = string_item(item, p, errors)) g.roles.push_back(*role);
  });
  obj.finish();
  model->groups.push_back(std::move(g));
}

// Mapping `index` of the array at `array_path` into `*out` (left empty when
// it is not an object: indices stay aligned with the file).
void read_mapping(element e, const std::string& array_path, size_t index, MappingDef* out,
                  std::vector<ConfigProblem>* errors) {
  ObjectReader obj(e, array_path, index, errors);
  if (!obj.valid()) return;
  MappingDef& m = *out;
  if (auto id = obj.id()) m.id = *id;
  if (auto provider = obj.string("provider", true, 1, ObjectReader::kMaxIdLength)) m.provider = *provider;
  if (auto claim = read_claim(obj)) m.claim = *claim;
  if (auto value = obj.string("value", true, 1, 256)) m.value = *value;
  // Absent, null and "" all mean "no delimiter" (docs/spec.md §2).
  if (auto delimiter = obj.string("delimiter", false, 0, 3, /*null_is_absent=*/true)) m.delimiter = *delimiter;
  if (auto group = obj.string("group", true, 1, ObjectReader::kMaxIdLength)) m.group = *group;
  m.match = read_match_kind(obj);
  obj.finish();
}

// The mappings section: most of a large config. Its objects are read in
// pieces on the caller's TBB arena's threads (the document is only read);
// each piece's problems are kept apart and appended in file order, so the
// report is the one a single pass gives.
void read_mappings(ObjectReader& top, ConfigModel* model, std::vector<ConfigProblem>* errors) {
  auto section = top.find("mappings");
  if (!section) return;
  const std::string path = "mappings";
  if (section->type() != element_type::ARRAY) {
    return top.error(path, std::string("must be an array, not ") + type_name(section->type()));
  }
  const simdjson::dom::array array = section->get_array().value_unsafe();
  std::vector<element> items;
  items.reserve(array.size());  // (the tape's count; it saturates at 16M, then the vector grows)
  for (element item : array) items.push_back(item);
  // Room first, advised, then filled: the advice must come before the pages
  // are first touched, or they fault in 4 KiB at a time.
  model->mappings.reserve(items.size());
  advise_huge_pages(model->mappings.data(), model->mappings.capacity() * sizeof(MappingDef));
  model->mappings.resize(items.size());
  constexpr size_t kPiece = 1 << 16;
  const size_t pieces = (items.size() + kPiece - 1) / kPiece;
  std::vector<std::vector<ConfigProblem>> found(pieces);
  for_each_piece(pieces, [&](size_t k) {
    for (size_t i = k * kPiece; i < std::min(items.size(), (k + 1) * kPiece); ++i) {
      read_mapping(items[i], path, i, &model->mappings[i], &found[k]);
    }
  });
  for (auto& piece : found) errors->insert(errors->end(), piece.begin(), piece.end());
}

}  // namespace

bool read_config_model(std::string_view json, const std::string& base_dir, ConfigModel* model,
                       std::vector<ConfigProblem>* errors, size_t readable_padding) {
  // Kept with the model: the mappings are views into its strings.
  auto document = std::make_shared<simdjson::dom::parser>();
  model->document = document;
  simdjson::dom::parser& parser = *document;
  simdjson::padded_string padded;
  if (readable_padding < simdjson::SIMDJSON_PADDING) {
    padded = simdjson::padded_string(json);
    json = std::string_view(padded.data(), padded.size());
  }
  // The document's buffers, sized by the text, filled by the parse. (The
  // parser's allocate() sizes only its own index; the document's tape and
  // strings are allocated here too, so that they exist to be advised before
  // the parse touches them — the parse would otherwise allocate them itself.)
  if (parser.allocate(json.size()) == simdjson::SUCCESS && parser.doc.allocate(json.size()) == simdjson::SUCCESS) {
    advise_huge_pages(parser.doc.tape.get(), (json.size() + 3) * sizeof(uint64_t));
    advise_huge_pages(parser.doc.string_buf.get(), 5 * json.size() / 3);
    // Stage 1's index of structural characters: 4 bytes a byte of text at most.
    advise_huge_pages(parser.implementation->structural_indexes.get(), json.size() * sizeof(uint32_t));
  }
  element root;
  if (auto err = parser.parse(json.data(), json.size(), /*realloc_if_needed=*/false).get(root)) {
    errors->push_back({"", std::string("not valid JSON: ") + simdjson::error_message(err)});
    return false;
  }
  check_duplicates(root, "", errors);
  ObjectReader top(root, "", errors);
  if (!top.valid()) return true;

  if (auto version = top.find("version")) {
    int64_t v = 0;
    if (version->get_int64().get(v) || v != 1) top.error("version", "must be 1");
  } else {
    top.error("version", "missing");
  }
  // The sections' sizes are known from the parsed document: their vectors
  // are allocated once (a million mappings moved through every doubling of
  // the vector cost a tenth of a large config's load).
  auto size_of = [&top](std::string_view name) -> size_t {
    auto e = top.peek(name);
    return e && e->type() == element_type::ARRAY ? simdjson::dom::array(e->get_array().value_unsafe()).size() : 0;
  };
  model->roles.reserve(size_of("roles"));
  model->groups.reserve(size_of("groups"));
  for_each_in_array(top, "stages", [&](element item, const std::string& p) {
    if (auto stage = string_item(item, p, errors)) model->stages.push_back(*stage);
  });
  for_each_in_array(top, "providers", [&](element item, const std::string& p) { read_provider(item, p, base_dir, model, errors); });
  for_each_in_array(top, "roles", [&](element item, const std::string& p) { read_role(item, p, model, errors); });
  for_each_in_array(top, "groups", [&](element item, const std::string& p) { read_group(item, p, model, errors); });
  read_mappings(top, model, errors);
  top.finish();
  return true;
}

}  // namespace claimmap
